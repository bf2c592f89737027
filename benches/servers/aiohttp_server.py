"""aiohttp.web server: WebSocket echo on ``/echo`` and ``GET /hello``.

The echo handler is the documented ``web.WebSocketResponse`` loop, with ``compress=False`` and
``max_msg_size`` raised to ``MAX_MESSAGE_SIZE``. The access log is off (as for every HTTP peer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import WSMsgType, web

from benches._harness import (
    MAX_MESSAGE_SIZE,
    exit_after,
    raise_nofile_limit,
    run_on,
    server_arguments,
)


def echo_handler(
    *, compress: bool
) -> Callable[[web.Request], Coroutine[Any, Any, web.WebSocketResponse]]:
    """The echo handler, with permessage-deflate accepted or not."""

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=compress, max_msg_size=MAX_MESSAGE_SIZE)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
            elif msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws

    return echo


echo = echo_handler(compress=False)


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, World!")  # text/plain; charset=utf-8


async def serve(host: str, port: int) -> None:
    app = web.Application()
    app.router.add_get("/echo", echo)
    app.router.add_get("/hello", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.get_running_loop().create_future()  # until killed
    finally:
        await runner.cleanup()


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio")).parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    run_on(args.loop, lambda: serve(args.host, args.port))


if __name__ == "__main__":
    main()
