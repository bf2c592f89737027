"""Minimal hello-world applications, no framework: a raw ASGI app and a raw RSGI app.

``GET /hello`` answers ``Hello, World!`` as text/plain; anything else is a 404. The ASGI app also
answers the lifespan protocol, so it runs under servers that send lifespan events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = b"Hello, World!"
_ASGI_HELLO_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"13")]
_ASGI_404_HEADERS = [(b"content-type", b"text/plain"), (b"content-length", b"0")]


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        if scope["path"] == "/hello":
            status, headers, body = 200, _ASGI_HELLO_HEADERS, BODY
        else:
            status, headers, body = 404, _ASGI_404_HEADERS, b""
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


_RSGI_HELLO_HEADERS = [("content-type", "text/plain")]


async def rsgi_app(scope: Any, protocol: Any) -> None:
    if scope.path == "/hello":
        protocol.response_bytes(200, _RSGI_HELLO_HEADERS, BODY)
    else:
        protocol.response_bytes(404, _RSGI_HELLO_HEADERS, b"")
