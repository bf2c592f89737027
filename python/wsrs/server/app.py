"""`App`: routing by exact path to plain HTTP handlers and WebSocket routes; `ServerApp`, what
`wsrs.serve` asks of any app it serves (`App`, or `AsgiApp` for ASGI applications)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from wsrs.http._writer import Responder
from wsrs.http.messages import HttpHandler, Request, Response
from wsrs.ws.session import DefaultWebSocketSession

if TYPE_CHECKING:
    from wsrs.server.server import Server

__all__ = ["AcceptHook", "App", "ServerApp", "WebSocketHandler", "WebSocketRoute"]

WebSocketHandler = Callable[[DefaultWebSocketSession], Awaitable[None]]
"""A WebSocket route's handler: runs for the session's lifetime; the session closes after it."""
AcceptHook = Callable[[Request], Awaitable[Response | None]]
"""Runs before a WebSocket is accepted; a `Response` it returns refuses the handshake."""

H = TypeVar("H", bound=HttpHandler)
W = TypeVar("W", bound=WebSocketHandler)


@dataclass(frozen=True)
class WebSocketRoute:
    """A WebSocket endpoint and how its handshakes are answered."""

    handler: WebSocketHandler
    subprotocols: Sequence[str] = ()
    """Subprotocols we speak, in order of preference; the first the client offers is chosen."""
    origins: Sequence[str] | None = None
    """Allowed ``Origin`` values (403 for others); None allows any origin."""
    headers: Sequence[tuple[str, str]] = ()
    """Extra header fields of the 101 response."""
    accept: AcceptHook | None = None
    """Checks a handshake before it is accepted; a returned `Response` refuses it."""


Answer = Response | Awaitable[Response] | Responder | WebSocketRoute
"""What an app answers a request with: a response, an awaitable of one, a `Responder` that writes
its own, or a WebSocket route whose handshake the server then checks and answers."""


class ServerApp(Protocol):
    """What `wsrs.serve` asks of the app it serves."""

    def http_route(self, request: Request) -> Answer:
        """What answers `request` (see `Answer`)."""

    def serving(self, server: Server) -> AbstractAsyncContextManager[None]:
        """Entered before `server` listens, left after its last connection: an ASGI lifespan."""


@dataclass
class _HttpRoute:
    handler: HttpHandler
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"GET", "HEAD"}))


class App:
    """Routes by exact path: HTTP handlers with `route`, WebSocket handlers with `websocket`."""

    def __init__(self) -> None:
        self._http: dict[str, _HttpRoute] = {}
        self._websocket: dict[str, WebSocketRoute] = {}

    def route(self, path: str, *, methods: Sequence[str] = ("GET", "HEAD")) -> Callable[[H], H]:
        """Register a plain HTTP handler for `path` (a decorator)."""

        def register(handler: H) -> H:
            self._http[path] = _HttpRoute(handler, frozenset(m.upper() for m in methods))
            return handler

        return register

    def websocket(
        self,
        path: str,
        *,
        subprotocols: Sequence[str] = (),
        origins: Sequence[str] | None = None,
        headers: Sequence[tuple[str, str]] = (),
        accept: AcceptHook | None = None,
    ) -> Callable[[W], W]:
        """Register a WebSocket handler for `path` (a decorator); see `WebSocketRoute`."""

        def register(handler: W) -> W:
            self._websocket[path] = WebSocketRoute(
                handler, tuple(subprotocols), origins, tuple(headers), accept
            )
            return handler

        return register

    def serving(self, server: Server) -> AbstractAsyncContextManager[None]:
        """Nothing to set up: an `App`'s handlers need no startup or shutdown."""
        return nullcontext()

    def http_route(self, request: Request) -> Answer:
        """What answers `request`: a WebSocket route, or the HTTP handler's result."""
        path = request.path
        websocket = self._websocket.get(path)
        if websocket is not None:
            return websocket
        route = self._http.get(path)
        if route is None:
            return Response.text("Not Found\n", 404)
        if request.method not in route.methods:
            allow = ", ".join(sorted(route.methods))
            return Response.text("Method Not Allowed\n", 405, [("Allow", allow)])
        return route.handler(request)
