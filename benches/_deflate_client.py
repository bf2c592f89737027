"""The client side of ``benches.deflate``, run in its own process on uvloop.

``python -m benches._deflate_client rt URL --message json --client websockets --duration 5``
    One connection, one message in flight (send, wait for the echo, check it, repeat): a 1 KiB
    JSON text, a 1 MiB text, or a 64-byte text. The websockets client compresses at its defaults
    (as in every row of the compressed table); the wsrs client takes ``--compression on|off``.
    Prints one JSON object: round trips/s and the server's and the client's CPU time per round
    trip.

``python -m benches._deflate_client idle URL --sessions 2000 --echoes 2``
    Opens sessions with websockets' client (compression on), sends ``--echoes`` 1 KiB JSON
    messages on each and reads their echoes, then leaves them idle; driven by ``open`` and
    ``close`` lines on stdin, answering one JSON line after each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benches._harness import MAX_MESSAGE_SIZE, group_cpu_seconds, raise_nofile_limit, run_on

Send = Callable[[str], Awaitable[None]]
Receive = Callable[[], Awaitable[str | bytes]]


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def json_message(seed: int) -> str:
    """About 1 KiB of JSON, different for every seed (as chat or telemetry messages are)."""
    rng = random.Random(seed)
    words = ["hello", "world", "deflate", "message", "window", "session", "room", "price"]
    items = [
        {
            "id": seed * 10 + i,
            "user": f"user{rng.randint(0, 9999)}",
            "active": rng.random() < 0.5,
            "text": " ".join(rng.choice(words) for _ in range(6)),
            "score": round(rng.random(), 4),
        }
        for i in range(8)
    ]
    return json.dumps({"type": "update", "seq": seed, "items": items})[:1024].ljust(1024)


def text_message(size: int) -> str:
    """Prose-like text of `size` characters."""
    rng = random.Random(size)
    words = ["the", "session", "window", "compressed", "message", "frame", "server", "client"]
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(words)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:size]


MESSAGES: dict[str, Callable[[int], str]] = {
    "json": json_message,
    "text1m": lambda seed: text_message(1 << 20),
    "small": lambda seed: f"{seed:016d}".ljust(64, "."),
}


async def round_trips(
    send: Send, receive: Receive, kind: str, warmup: float, duration: float, server_pgid: int | None
) -> dict[str, Any]:
    pool = [MESSAGES[kind](seed) for seed in range(1 if kind == "text1m" else 64)]

    async def run(seconds: float) -> int:
        count = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            message = pool[count % len(pool)]
            await send(message)
            if await receive() != message:
                raise RuntimeError("echo differs from the message sent")
            count += 1
        return count

    await run(warmup)
    cpu_before = group_cpu_seconds(server_pgid) if server_pgid else 0.0
    own_before = time.process_time()
    started = time.perf_counter()
    count = await run(duration)
    elapsed = time.perf_counter() - started
    own = time.process_time() - own_before
    cpu = (group_cpu_seconds(server_pgid) - cpu_before) if server_pgid else 0.0
    return {
        "rate": count / elapsed,
        "server_cpu_us": cpu / count * 1e6,
        "client_cpu_us": own / count * 1e6,
        "count": count,
    }


async def rt_websockets(args: argparse.Namespace) -> None:
    from websockets.asyncio.client import connect

    async with connect(args.url, max_size=MAX_MESSAGE_SIZE) as ws:
        if not ws.protocol.extensions:
            raise RuntimeError("the server did not accept permessage-deflate")
        emit(
            await round_trips(
                ws.send, ws.recv, args.message, args.warmup, args.duration, args.server_pgid
            )
        )


async def rt_wsrs(args: argparse.Namespace) -> None:
    from wsrs import Deflate, connect

    compression = Deflate() if args.compression == "on" else None
    async with connect(args.url, max_frame_size=MAX_MESSAGE_SIZE, compression=compression) as ws:
        if (ws.compression is None) != (compression is None):
            raise RuntimeError("compression was not negotiated as asked")
        emit(
            await round_trips(
                ws.send, ws.receive, args.message, args.warmup, args.duration, args.server_pgid
            )
        )


async def idle(args: argparse.Namespace) -> None:
    from websockets.asyncio.client import ClientConnection, connect

    sessions: list[ClientConnection] = []
    failures: list[str] = []
    slots = asyncio.Semaphore(args.concurrency)

    async def open_one(n: int) -> None:
        async with slots:
            try:
                ws = await connect(args.url, max_size=MAX_MESSAGE_SIZE, ping_interval=None)
                for seed in range(n, n + args.echoes):
                    message = json_message(seed)
                    await ws.send(message)
                    if await ws.recv() != message:
                        raise RuntimeError("echo differs")
                sessions.append(ws)
            except Exception as error:  # counted and reported, not raised
                failures.append(repr(error))

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emit({"ready": True})
    while line := (await reader.readline()).decode().strip():
        if line == "open":
            await asyncio.gather(*(open_one(n * args.echoes) for n in range(args.sessions)))
            compressed = sum(1 for ws in sessions if ws.protocol.extensions)
            emit(
                {
                    "opened": len(sessions),
                    "failed": len(failures),
                    "compressed": compressed,
                    "first_failure": failures[0] if failures else None,
                }
            )
        elif line == "close":
            dropped = sum(1 for ws in sessions if ws.close_code is not None)
            await asyncio.gather(*(ws.close() for ws in sessions), return_exceptions=True)
            emit({"dropped": dropped})
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rt = commands.add_parser("rt")
    rt.add_argument("url")
    rt.add_argument("--message", choices=sorted(MESSAGES), default="json")
    rt.add_argument("--client", choices=["websockets", "wsrs"], default="websockets")
    rt.add_argument("--compression", choices=["on", "off"], default="on")
    rt.add_argument("--warmup", type=float, default=1.0)
    rt.add_argument("--duration", type=float, default=5.0)
    rt.add_argument("--server-pgid", type=int)
    sessions = commands.add_parser("idle")
    sessions.add_argument("url")
    sessions.add_argument("--sessions", type=int, default=2000)
    sessions.add_argument("--concurrency", type=int, default=100)
    sessions.add_argument("--echoes", type=int, default=2, help="1 KiB JSON echoes per session")
    args = parser.parse_args()
    raise_nofile_limit()
    if args.command == "idle":
        run_on("uvloop", lambda: idle(args))
    elif args.client == "websockets":
        run_on("uvloop", lambda: rt_websockets(args))
    else:
        run_on("uvloop", lambda: rt_wsrs(args))


if __name__ == "__main__":
    main()
