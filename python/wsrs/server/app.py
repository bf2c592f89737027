"""`App`: routing by path to plain HTTP handlers and WebSocket routes; `ServerApp`, what
`wsrs.serve` asks of any app it serves (`App`, or `AsgiApp` for ASGI applications).

A path is matched exactly, or against a pattern whose ``{name}`` segments match one non-empty
path segment each (``/chat/{room}``); the values, percent-decoded, are the request's
`path_params`. Exact paths win over patterns; patterns are tried in the order registered.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar
from urllib.parse import unquote

from wsrs.http._writer import Responder
from wsrs.http.forms import FormLimits
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
R = TypeVar("R")

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    form_limits: FormLimits | None = None


class _Routes(Generic[R]):
    """Routes of one kind: exact paths in a dict, patterns in registration order."""

    def __init__(self) -> None:
        self._exact: dict[str, R] = {}
        self._patterns: list[tuple[re.Pattern[str], R]] = []

    def add(self, path: str, route: R) -> None:
        if "{" not in path and "}" not in path:
            self._exact[path] = route
            return
        regex = []
        for index, part in enumerate(_PARAMETER.split(path)):
            if index % 2:
                regex.append(f"(?P<{part}>[^/]+)")
            elif "{" in part or "}" in part:
                raise ValueError(f"malformed route pattern {path!r}: a name is {{letters_digits}}")
            else:
                regex.append(re.escape(part))
        try:
            pattern = re.compile("".join(regex))
        except re.error:
            raise ValueError(f"route pattern {path!r} names a segment twice") from None
        self._patterns.append((pattern, route))

    def match(self, path: str) -> tuple[R, dict[str, str]] | None:
        route = self._exact.get(path)
        if route is not None:
            return route, {}
        for pattern, route in self._patterns:
            found = pattern.fullmatch(path)
            if found is not None:
                return route, {name: unquote(value) for name, value in found.groupdict().items()}
        return None


class App:
    """Routes by path: HTTP handlers with `route`, WebSocket handlers with `websocket`."""

    def __init__(self) -> None:
        self._http = _Routes[_HttpRoute]()
        self._websocket = _Routes[WebSocketRoute]()

    def route(
        self,
        path: str,
        *,
        methods: Sequence[str] = ("GET", "HEAD"),
        form_limits: FormLimits | None = None,
    ) -> Callable[[H], H]:
        """Register a plain HTTP handler for `path`, exact or a pattern (a decorator).

        `form_limits` are what `request.form()` applies on this route when given none.
        """

        def register(handler: H) -> H:
            methods_set = frozenset(m.upper() for m in methods)
            self._http.add(path, _HttpRoute(handler, methods_set, form_limits))
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
        """Register a WebSocket handler for `path`, exact or a pattern (a decorator); see
        `WebSocketRoute`."""

        def register(handler: W) -> W:
            self._websocket.add(
                path, WebSocketRoute(handler, tuple(subprotocols), origins, tuple(headers), accept)
            )
            return handler

        return register

    def serving(self, server: Server) -> AbstractAsyncContextManager[None]:
        """Nothing to set up: an `App`'s handlers need no startup or shutdown."""
        return nullcontext()

    def http_route(self, request: Request) -> Answer:
        """What answers `request`: a WebSocket route, or the HTTP handler's result."""
        path = request.path
        websocket = self._websocket.match(path)
        if websocket is not None:
            request.path_params = websocket[1]
            return websocket[0]
        found = self._http.match(path)
        if found is None:
            return Response.text("Not Found\n", 404)
        route, request.path_params = found
        if request.method not in route.methods:
            allow = ", ".join(sorted(route.methods))
            return Response.text("Method Not Allowed\n", 405, [("Allow", allow)])
        if route.form_limits is not None:
            request.form_limits = route.form_limits
        return route.handler(request)
