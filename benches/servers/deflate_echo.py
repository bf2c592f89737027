"""WebSocket echo servers with permessage-deflate for ``benches.deflate``: ``/echo`` on wsrs,
websockets or aiohttp, each at its own default compression settings, at window 15, or off.

- wsrs: ``serve(compression=Deflate())`` (windows 12, level 1), ``Deflate(15, 15)``, or None;
  the handler is the idiomatic ``async for message in ws: await ws.send(message)``.
- websockets: ``compression="deflate"`` (its defaults: windows 12, memLevel 5, level 6), a
  plain ``ServerPerMessageDeflateFactory()`` (windows 15, memLevel 8), or None.
- aiohttp: ``compress=True`` (window 15, level 1 fixed) for both settings, or False.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benches._harness import (
    MAX_MESSAGE_SIZE,
    exit_after,
    raise_nofile_limit,
    run_on,
    server_arguments,
)

SETTINGS = ("default", "window15", "off")


async def serve_wsrs(host: str, port: int, settings: str) -> None:
    from wsrs import App, DefaultWebSocketSession, Deflate, serve

    app = App()

    @app.websocket("/echo")
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    compression = {
        "default": Deflate(),
        "window15": Deflate(server_max_window_bits=15, client_max_window_bits=15),
        "off": None,
    }[settings]
    options: dict[str, Any] = {"max_frame_size": MAX_MESSAGE_SIZE, "compression": compression}
    async with serve(app, host, port, **options) as server:
        await server.serve_forever()


async def serve_websockets(host: str, port: int, settings: str) -> None:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    options: dict[str, Any] = {"max_size": MAX_MESSAGE_SIZE}
    if settings == "window15":
        options.update(compression=None, extensions=[ServerPerMessageDeflateFactory()])
    elif settings == "off":
        options.update(compression=None)
    async with serve(echo, host, port, **options):
        await asyncio.get_running_loop().create_future()  # until killed


async def serve_aiohttp(host: str, port: int, settings: str) -> None:
    from aiohttp import web

    from benches.servers.aiohttp_server import echo_handler

    app = web.Application()
    app.router.add_get("/echo", echo_handler(compress=settings != "off"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.get_running_loop().create_future()  # until killed
    finally:
        await runner.cleanup()


def main() -> None:
    parser = server_arguments(__doc__ or "", ("uvloop", "asyncio", "trio"))
    parser.add_argument("--impl", choices=["wsrs", "websockets", "aiohttp"], required=True)
    parser.add_argument("--settings", choices=SETTINGS, default="default")
    args = parser.parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    serve = {"wsrs": serve_wsrs, "websockets": serve_websockets, "aiohttp": serve_aiohttp}
    run_on(args.loop, lambda: serve[args.impl](args.host, args.port, args.settings))


if __name__ == "__main__":
    main()
