"""WebSocket echo servers at given permessage-deflate settings, for ``benches.deflate_memory``:
``/echo`` on wsrs or websockets with the same window bits (both directions), memLevel and context
takeover, or with compression off.

- wsrs: ``Deflate(server_max_window_bits=W, client_max_window_bits=W, mem_level=M, ...)``.
- websockets: ``ServerPerMessageDeflateFactory`` with the same windows and resets and
  ``compress_settings={"memLevel": M}``; zlib's level stays at each library's default.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from benches._harness import (
    MAX_MESSAGE_SIZE,
    exit_after,
    raise_nofile_limit,
    run_on,
    server_arguments,
)


async def serve_wsrs(host: str, port: int, args: argparse.Namespace) -> None:
    from wsrs import App, DefaultWebSocketSession, Deflate, serve

    app = App()

    @app.websocket("/echo")
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    compression = None
    if not args.off:
        compression = Deflate(
            server_max_window_bits=args.window_bits,
            client_max_window_bits=args.window_bits,
            server_no_context_takeover=args.no_context_takeover,
            client_no_context_takeover=args.no_context_takeover,
            mem_level=args.mem_level,
        )
    options: dict[str, Any] = {"max_frame_size": MAX_MESSAGE_SIZE, "compression": compression}
    async with serve(app, host, port, **options) as server:
        await server.serve_forever()


async def serve_websockets(host: str, port: int, args: argparse.Namespace) -> None:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    extensions = []
    if not args.off:
        extensions.append(
            ServerPerMessageDeflateFactory(
                server_no_context_takeover=args.no_context_takeover,
                client_no_context_takeover=args.no_context_takeover,
                server_max_window_bits=args.window_bits,
                client_max_window_bits=args.window_bits,
                compress_settings={"memLevel": args.mem_level},
            )
        )
    options: dict[str, Any] = {"max_size": MAX_MESSAGE_SIZE, "compression": None}
    async with serve(echo, host, port, extensions=extensions, **options):
        await asyncio.get_running_loop().create_future()  # until killed


def main() -> None:
    parser = server_arguments(__doc__ or "", ("uvloop", "asyncio", "trio"))
    parser.add_argument("--impl", choices=["wsrs", "websockets"], required=True)
    parser.add_argument("--window-bits", type=int, default=12)
    parser.add_argument("--mem-level", type=int, default=8)
    parser.add_argument("--no-context-takeover", action="store_true")
    parser.add_argument("--off", action="store_true", help="no compression at all")
    args = parser.parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    serve = {"wsrs": serve_wsrs, "websockets": serve_websockets}[args.impl]
    run_on(args.loop, lambda: serve(args.host, args.port, args))


if __name__ == "__main__":
    main()
