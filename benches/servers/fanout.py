"""Fan-out servers for ``benches.broadcast``: N sessions on ``/ws``, publishing on command.

``python -m benches.servers.fanout --kind KIND --port P --sessions N [--redis URL]``

- ``wsrs``: `wsrs.broadcast(sessions, message)`; ``websockets``: `websockets.broadcast`.
- ``wsrs-redis``: a `wsrs.Hub` on `wsrs.RedisBroker`, sessions subscribed to one topic, each
  message `await hub.publish(...)`; ``broadcaster``: websockets with `broadcaster.Broadcast` on
  the same Redis, each message `await broadcast.publish(...)`, each received one sent to the local
  sessions with `websockets.broadcast`.

Prints ``{"ready": N}`` once its N sessions are connected (and, with Redis, subscribed). Each
line ``go COUNT SIZE`` on stdin publishes COUNT messages of SIZE bytes (sequence number and
`time.monotonic_ns()` first; hex text for the Redis kinds, whose peers carry text), one event
loop turn apart, and answers with the CPU seconds it took and the RSS before and after.
"""

from __future__ import annotations

import asyncio
import json
import resource
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benches._harness import exit_after, raise_nofile_limit, rss_kib, run_on, server_arguments

Publish = Callable[[bytes | str], Awaitable[None]]


def _message(sequence: int, size: int, text: bool) -> bytes | str:
    if text:
        words = f"{sequence:016x}{time.monotonic_ns():016x}"
        return words + "." * max(0, size - len(words))
    head = struct.pack(">QQ", sequence, time.monotonic_ns())
    return head + bytes(max(0, size - len(head)))


async def _command_loop(publish: Publish, text: bool) -> None:
    """Answer the harness's ``go`` lines from stdin (read in a thread, off the event loop)."""
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        _, count, size = line.split()
        before = rss_kib_self()
        started = resource.getrusage(resource.RUSAGE_SELF)
        peak = before
        for sequence in range(int(count)):
            await publish(_message(sequence, int(size), text))
            peak = max(peak, rss_kib_self())
            await asyncio.sleep(0)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = used.ru_utime + used.ru_stime - started.ru_utime - started.ru_stime
        answer = {"cpu": cpu, "rss_before_kib": before, "rss_peak_kib": peak}
        print(json.dumps(answer), flush=True)


def rss_kib_self() -> int:
    import os

    return rss_kib(os.getpid())


class Ready:
    """Says ``ready`` once `expected` sessions are in."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0

    def joined(self) -> None:
        self.count += 1
        if self.count == self.expected:
            print(json.dumps({"ready": self.count}), flush=True)


async def wsrs_server(args: Any) -> None:
    import anyio

    import wsrs

    ready = Ready(args.sessions)
    sessions: set[wsrs.DefaultWebSocketSession] = set()
    hub = wsrs.Hub(wsrs.RedisBroker(args.redis) if args.kind == "wsrs-redis" else None)
    app = wsrs.App()

    @app.websocket("/ws")
    async def member(ws: wsrs.DefaultWebSocketSession) -> None:
        if args.kind == "wsrs-redis":
            await ws.subscribe("bench")
        sessions.add(ws)
        ready.joined()
        await ws.wait_closed()
        sessions.discard(ws)

    async def publish_local(message: bytes | str) -> None:
        wsrs.broadcast(sessions, message)

    async def publish_redis(message: bytes | str) -> None:
        await hub.publish("bench", message)

    async with wsrs.serve(app, args.host, args.port, hub=hub, ping_interval=None, backlog=4096):
        if args.kind == "wsrs-redis":
            await hub.broker.wait_connected()  # type: ignore[attr-defined]
        publish = publish_redis if args.kind == "wsrs-redis" else publish_local
        await _command_loop(publish, text=args.kind == "wsrs-redis")
        await anyio.sleep_forever()


async def websockets_server(args: Any) -> None:
    import websockets
    from websockets.asyncio.server import ServerConnection, serve

    ready = Ready(args.sessions)
    connections: set[ServerConnection] = set()
    redis = args.kind == "broadcaster"
    if redis:
        from broadcaster import Broadcast

        channel = Broadcast(args.redis)
        await channel.connect()

        async def relay() -> None:
            async with channel.subscribe(channel="bench") as subscriber:
                while True:
                    event = await subscriber.get()
                    websockets.broadcast(connections, event.message)

        relaying = asyncio.get_running_loop().create_task(relay())

    async def member(ws: ServerConnection) -> None:
        connections.add(ws)
        ready.joined()
        await ws.wait_closed()
        connections.discard(ws)

    async def publish_local(message: bytes | str) -> None:
        websockets.broadcast(connections, message)

    async def publish_redis(message: bytes | str) -> None:
        await channel.publish(channel="bench", message=message)

    async with serve(member, args.host, args.port, compression=None, ping_interval=None):
        await _command_loop(publish_redis if redis else publish_local, text=redis)
        if redis:
            relaying.cancel()
        await asyncio.get_running_loop().create_future()


def main() -> None:
    parser = server_arguments(__doc__.split("\n")[0], ["uvloop", "asyncio"])
    parser.add_argument("--kind", choices=["wsrs", "websockets", "wsrs-redis", "broadcaster"])
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    serve = wsrs_server if args.kind.startswith("wsrs") else websockets_server
    run_on(args.loop, lambda: serve(args))


if __name__ == "__main__":
    main()
