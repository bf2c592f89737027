"""The app the command-line tests serve: a `wsrs.App`, and a factory making it."""

from __future__ import annotations

import os

from wsrs import App, DefaultWebSocketSession, Request, Response


def create_app() -> App:
    """The routes: who answered (`/pid`), what the server saw (`/client`), the environment
    (`/env`), and a WebSocket that echoes and says which process it runs in (`/ws`)."""
    app = App()

    @app.route("/hello")
    def hello(request: Request) -> Response:
        return Response.text(os.environ.get("WSRS_GREETING", "Hello, World!"))

    @app.route("/pid")
    def pid(request: Request) -> Response:
        return Response.text(str(os.getpid()))

    @app.route("/client")
    def client(request: Request) -> Response:
        return Response.json({"address": request.remote_address, "scheme": request.scheme})

    @app.route("/env")
    def env(request: Request) -> Response:
        return Response.text(os.environ.get("WSRS_TEST_VALUE", "unset"))

    @app.websocket("/ws")
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(str(os.getpid()) if message == "pid" else message)

    return app


app = create_app()
