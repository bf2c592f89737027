"""The apps of ``benches.asgi_server``, served alike by every ASGI server.

``raw_app`` is plain ASGI 3 (no framework): ``GET /hello`` (``Hello, World!``), ``GET /10k``
(10 KB of text), ``POST /echo`` (the request body back). ``starlette_app`` answers the same with
Starlette (``PlainTextResponse``, ``Response``), plus a WebSocket echo at ``/ws`` (bytes back
unchanged). Both answer the lifespan protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from benches.servers.hello_apps import asgi_app

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HELLO = b"Hello, World!"
TEN_KB = b"0123456789abcdef" * 640
_TEXT = (b"content-type", b"text/plain")
_LENGTHS = {len(HELLO): str(len(HELLO)).encode(), len(TEN_KB): str(len(TEN_KB)).encode()}


async def _answer(send: Send, status: int, body: bytes) -> None:
    length = _LENGTHS.get(len(body)) or str(len(body)).encode()
    headers = [_TEXT, (b"content-length", length)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await asgi_app(scope, receive, send)  # the hello app answers lifespan events
        return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/hello":
        await _answer(send, 200, HELLO)
    elif path == "/10k":
        await _answer(send, 200, TEN_KB)
    elif path == "/echo" and scope["method"] == "POST":
        parts = []
        more = True
        while more:
            message = await receive()
            parts.append(message.get("body", b""))
            more = message.get("more_body", False)
        await _answer(send, 200, b"".join(parts))
    else:
        await _answer(send, 404, b"")


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, World!")


async def _ten_kb(request: Request) -> Response:
    return Response(TEN_KB, media_type="text/plain")


async def _echo(request: Request) -> Response:
    return Response(await request.body(), media_type="text/plain")


async def _ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_bytes(await websocket.receive_bytes())
    except WebSocketDisconnect:
        pass


starlette_app = Starlette(
    routes=[
        Route("/hello", _hello),
        Route("/10k", _ten_kb),
        Route("/echo", _echo, methods=["POST"]),
        WebSocketRoute("/ws", _ws_echo),
    ]
)
