"""websockets WebSocket echo server: the new asyncio implementation, or the trio one.

``--loop asyncio|uvloop`` uses ``websockets.asyncio.server.serve``; ``--loop trio`` uses
``websockets.trio.server.serve`` (new in websockets 17). Both with ``compression=None`` and
``max_size`` raised to ``MAX_MESSAGE_SIZE``; keepalive and queue settings stay at their defaults.
"""

from __future__ import annotations

import asyncio

from benches._harness import (
    MAX_MESSAGE_SIZE,
    exit_after,
    raise_nofile_limit,
    run_on,
    server_arguments,
)


async def serve_asyncio(host: str, port: int) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, host, port, compression=None, max_size=MAX_MESSAGE_SIZE):
        await asyncio.get_running_loop().create_future()  # until killed


async def serve_trio(host: str, port: int) -> None:
    from websockets.trio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    await serve(echo, port, host=host, compression=None, max_size=MAX_MESSAGE_SIZE)


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio", "trio")).parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    if args.loop == "trio":
        run_on("trio", lambda: serve_trio(args.host, args.port))
    else:
        run_on(args.loop, lambda: serve_asyncio(args.host, args.port))


if __name__ == "__main__":
    main()
