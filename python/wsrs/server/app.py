"""`App`: routing by exact path to plain HTTP handlers and WebSocket routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from wsrs.http.forms import FormLimits
from wsrs.http.messages import HttpHandler, Request, Response
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["AcceptHook", "App", "WebSocketHandler", "WebSocketRoute"]

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


@dataclass
class _HttpRoute:
    handler: HttpHandler
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"GET", "HEAD"}))
    form_limits: FormLimits | None = None


class App:
    """Routes by exact path: HTTP handlers with `route`, WebSocket handlers with `websocket`."""

    def __init__(self) -> None:
        self._http: dict[str, _HttpRoute] = {}
        self._websocket: dict[str, WebSocketRoute] = {}

    def route(
        self,
        path: str,
        *,
        methods: Sequence[str] = ("GET", "HEAD"),
        form_limits: FormLimits | None = None,
    ) -> Callable[[H], H]:
        """Register a plain HTTP handler for `path` (a decorator).

        `form_limits` are what `request.form()` applies on this route when given none.
        """

        def register(handler: H) -> H:
            methods_set = frozenset(m.upper() for m in methods)
            self._http[path] = _HttpRoute(handler, methods_set, form_limits)
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

    def http_route(self, request: Request) -> Response | Awaitable[Response] | WebSocketRoute:
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
        if route.form_limits is not None:
            request.form_limits = route.form_limits
        return route.handler(request)
