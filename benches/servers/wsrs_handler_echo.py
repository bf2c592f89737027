"""wsrs WebSocket echo server answering from a message handler, with no task per message.

``/echo`` sets ``ws.set_message_handler(ws.send_nowait)``: each message is sent back from the
socket's read callback (reading pauses while the write buffer is full). The demo server that
``python -m wsrs serve`` runs is the idiomatic ``async for message in ws: await ws.send(message)``
form; this one is the fast path wsrs offers for handlers that answer without awaiting.
"""

from __future__ import annotations

import anyio

from benches._harness import MAX_MESSAGE_SIZE, exit_after, raise_nofile_limit, server_arguments
from wsrs import App, DefaultWebSocketSession, serve


def echo_app() -> App:
    app = App()

    @app.websocket("/echo")
    async def echo(ws: DefaultWebSocketSession) -> None:
        ws.set_message_handler(ws.send_nowait)
        await ws.wait_closed()

    return app


async def serve_echo(host: str, port: int) -> None:
    async with serve(echo_app(), host, port, max_frame_size=MAX_MESSAGE_SIZE) as server:
        await server.serve_forever()


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio", "trio")).parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    backend, options = (
        ("asyncio", {"use_uvloop": True}) if args.loop == "uvloop" else (args.loop, {})
    )
    anyio.run(serve_echo, args.host, args.port, backend=backend, backend_options=options)


if __name__ == "__main__":
    main()
