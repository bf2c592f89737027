"""Peer servers for the end-to-end benchmarks, one small module each.

Each runs as ``python -m benches.servers.<name> --port N [--loop asyncio|uvloop|trio]`` and serves
``/echo`` (WebSocket: every message echoed unchanged) and/or ``GET /hello`` (``Hello, World!`` as
text/plain) on 127.0.0.1, with compression off and message limits of ``MAX_MESSAGE_SIZE``.
"""
