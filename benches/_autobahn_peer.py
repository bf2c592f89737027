"""The peers ``benches.autobahn`` runs in their own process on uvloop: an echo server, or the
client that drives every case of kosoku's fuzzing server, for wsrs or websockets.

``python -m benches._autobahn_peer server wsrs|websockets --port PORT``
``python -m benches._autobahn_peer client wsrs|websockets --port PORT --concurrency 4 [--reset]``

wsrs compresses every message (``Deflate(min_size=0)``: kosoku's 12/13 cases also fail on an
uncompressed echo) and, with ``--reset``, offers ``client_no_context_takeover`` (for the cases
whose fuzzing server asks for it: 13.2, 13.5, 13.6); websockets runs at its defaults.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from benches._harness import MAX_MESSAGE_SIZE, exit_after, raise_nofile_limit, run_on


async def serve_wsrs(port: int) -> None:
    from wsrs import App, DefaultWebSocketSession, Deflate, serve

    app = App()

    @app.websocket("/")
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    options: dict[str, Any] = {"ping_interval": None, "compression": Deflate(min_size=0)}
    async with serve(app, "127.0.0.1", port, max_frame_size=MAX_MESSAGE_SIZE, **options) as s:
        await s.serve_forever()


async def serve_websockets(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", port, max_size=MAX_MESSAGE_SIZE, ping_interval=None):
        await asyncio.get_running_loop().create_future()


async def wsrs_case(url: str, reset: bool) -> None:
    from wsrs import ConnectionClosed, Deflate, connect

    compression = Deflate(min_size=0, client_no_context_takeover=reset)
    options: dict[str, Any] = {"ping_interval": None, "compression": compression}
    async with connect(url, max_frame_size=MAX_MESSAGE_SIZE, **options) as ws:
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass


async def websockets_case(url: str, reset: bool) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    try:
        async with connect(url, max_size=MAX_MESSAGE_SIZE, ping_interval=None) as ws:
            async for message in ws:
                await ws.send(message)
    except (ConnectionClosed, OSError):
        pass


async def drive(impl: str, port: int, concurrency: int, reset: bool) -> None:
    from websockets.asyncio.client import connect

    base = f"ws://127.0.0.1:{port}"
    async with connect(f"{base}/getCaseCount") as ws:
        total = int(await ws.recv())
    run = wsrs_case if impl == "wsrs" else websockets_case
    slots = asyncio.Semaphore(concurrency)

    async def one(case: int) -> None:
        async with slots:
            try:
                await run(f"{base}/runCase?case={case}&agent={impl}", reset)
            except Exception as error:  # a failed case is the fuzzing server's verdict to give
                print(f"case {case}: {error!r}", flush=True)

    await asyncio.gather(*(one(case) for case in range(1, total + 1)))
    async with connect(f"{base}/updateReports?agent={impl}"):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("impl", choices=["wsrs", "websockets"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--reset", action="store_true", help="wsrs offers client_no_context_takeover"
    )
    args = parser.parse_args()
    exit_after(7200)
    raise_nofile_limit()
    if args.role == "client":
        run_on("uvloop", lambda: drive(args.impl, args.port, args.concurrency, args.reset))
    elif args.impl == "wsrs":
        run_on("uvloop", lambda: serve_wsrs(args.port))
    else:
        run_on("uvloop", lambda: serve_websockets(args.port))


if __name__ == "__main__":
    main()
