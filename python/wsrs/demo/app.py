"""The demo server of `python -m wsrs serve`: a page, an echo WebSocket and a few HTTP endpoints.

- ``GET /``: a small page (``static/``) that opens a WebSocket to ``/echo`` and shows what comes
  back.
- ``/echo``: a WebSocket that sends every message back unchanged (text as text, binary as
  binary), up to the session's `max_frame_size`.
- ``GET /hello``: ``Hello, World!`` as plain text.
- ``POST /echo-body``: the request body streamed back as it arrives, chunked or not.
- ``POST /upload``: a ``multipart/form-data`` upload (the page's form, or ``curl -F``); answers
  each part's name, filename, size and SHA-256 as JSON, hashed while the part streams in, so no
  file is ever held whole.
- ``/chat/{room}``: a chat room shared by every process of the server's broker (`chat`).
"""

from __future__ import annotations

import hashlib
from importlib import resources

from wsrs.demo.chat import add_chat
from wsrs.http.messages import Request, Response
from wsrs.server.app import App
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["demo_app"]

STATIC = resources.files("wsrs.demo") / "static"
"""The page's files, shipped as package data."""
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}


def _static_route(app: App, path: str, name: str) -> None:
    """Serve the static file `name` at `path`, read once when the app is made."""
    body = (STATIC / name).read_bytes()
    content_type = CONTENT_TYPES[name[name.rindex(".") :]]

    @app.route(path)
    def serve_file(request: Request) -> Response:
        return Response(body, content_type=content_type)


def demo_app() -> App:
    """The demo's routes."""
    app = App()

    _static_route(app, "/", "index.html")
    for asset in ("app.js", "style.css"):
        _static_route(app, f"/static/{asset}", asset)

    @app.route("/hello")
    def hello(request: Request) -> Response:
        return Response.text("Hello, World!")

    @app.route("/hello-async")
    async def hello_async(request: Request) -> Response:
        return Response.text("Hello, World!")

    @app.route("/echo-body", methods=["POST"])
    async def echo_body(request: Request) -> Response:
        content_type = request.headers.get("Content-Type", "application/octet-stream")
        return Response(request.stream(), content_type=content_type)

    @app.route("/upload", methods=["POST"])
    async def upload(request: Request) -> Response:
        parts = []
        async for part in request.multipart():
            digest = hashlib.sha256()
            size = 0
            async for chunk in part:
                digest.update(chunk)
                size += len(chunk)
            parts.append(
                {
                    "name": part.name,
                    "filename": part.filename,
                    "size": size,
                    "sha256": digest.hexdigest(),
                }
            )
        return Response.json({"parts": parts})

    @app.websocket("/echo")
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    add_chat(app)
    return app
