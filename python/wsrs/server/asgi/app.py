"""`AsgiApp`: any ASGI 3 application served by `wsrs.serve`, and `is_asgi_app`.

The adapter answers every request with a `Responder`, so the app runs in the request's one task
and writes through the engine: the strict HTTP/1.1 engine (limits, pipelining, 400s) stands in
front of the app unchanged. A request that asks to switch to WebSocket is checked as a handshake
first (malformed ones are refused without calling the app) and then becomes a ``websocket``
scope. The lifespan protocol runs while the server serves (`serving`).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from wsrs.exceptions import HandshakeError
from wsrs.http._writer import Responder, ResponseWriter
from wsrs.http.messages import Request, Response
from wsrs.server.asgi.http import HttpCycle
from wsrs.server.asgi.lifespan import LifespanMode, lifespan
from wsrs.server.asgi.scope import http_scope, websocket_scope
from wsrs.server.asgi.types import AsgiCallable
from wsrs.server.asgi.websocket import run_websocket
from wsrs.ws.handshake import check_request, is_upgrade_request

if TYPE_CHECKING:
    from wsrs.server.server import Server

__all__ = ["AsgiApp", "is_asgi_app"]

HTTP_EXTENSIONS: dict[str, Any] = {
    "http.response.pathsend": {},
    "http.response.trailers": {},
    "http.response.early_hint": {},
}
WEBSOCKET_EXTENSIONS: dict[str, Any] = {"websocket.http.response": {}}


class AsgiApp:
    """An ASGI 3 application (Starlette, FastAPI, Django …) to serve with `wsrs.serve`.

    `root_path` is the prefix a proxy mounted the app under (the scope's ``root_path``);
    `lifespan` is ``"auto"``, ``"on"`` or ``"off"`` (see `wsrs.server.asgi.lifespan`).
    """

    def __init__(
        self, app: AsgiCallable, *, root_path: str = "", lifespan: LifespanMode = "auto"
    ) -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        self.app = app
        """The ASGI callable."""
        self.root_path = root_path
        self.lifespan: LifespanMode = lifespan
        self.state: dict[str, Any] = {}
        """What the app's lifespan startup stored; each scope gets a shallow copy."""
        self._server: Server | None = None
        self._http = Responder(self._run_http)
        self._websocket = Responder(self._run_websocket)

    @asynccontextmanager
    async def serving(self, server: Server) -> AsyncIterator[None]:
        """While `server` serves: the lifespan startup on entry, its shutdown on exit."""
        if self._server is not None:
            raise RuntimeError("an AsgiApp is served by one server at a time")
        self._server = server
        self.state = {}
        try:
            async with lifespan(self.app, self.state, self.lifespan):
                yield
        finally:
            self._server = None

    def http_route(self, request: Request) -> Responder:
        """Every request runs the app: as a WebSocket when it asks to switch, else as HTTP."""
        if request.head.upgrade is not None and is_upgrade_request(request):
            return self._websocket
        return self._http

    def _run_http(self, writer: ResponseWriter) -> Coroutine[Any, Any, None]:
        # A plain function returning the cycle's coroutine: one frame less on every request.
        scope = http_scope(writer.request, self.root_path, self.state, HTTP_EXTENSIONS)
        return HttpCycle(writer).run(self.app, scope)

    async def _run_websocket(self, writer: ResponseWriter) -> None:
        request = writer.request
        try:
            key = check_request(request)
        except HandshakeError as error:
            writer.respond(Response.text(error.message + "\n", error.status or 400, error.headers))
            return
        server = self._server
        if server is None:
            raise RuntimeError("an AsgiApp must be served with wsrs.serve")
        scope = websocket_scope(request, self.root_path, self.state, WEBSOCKET_EXTENSIONS)
        await run_websocket(self.app, scope, writer, server, key)

    def __repr__(self) -> str:
        return f"<AsgiApp {self.app!r}>"


def is_asgi_app(candidate: object) -> bool:
    """True for an ASGI 3 callable, False for a `wsrs.App` and for what is neither.

    What ``--interface auto`` uses: an object with `http_route` is a wsrs app; a class (an ASGI 2
    app or a factory) is not an ASGI 3 app; any other callable that takes
    ``(scope, receive, send)`` is.
    """
    if hasattr(candidate, "http_route") or not callable(candidate) or inspect.isclass(candidate):
        return False
    try:
        signature = inspect.signature(candidate)
    except (TypeError, ValueError):
        return True  # a builtin or extension callable: nothing more to check
    try:
        signature.bind(None, None, None)
    except TypeError:
        return False
    return True
