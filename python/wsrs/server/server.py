"""`wsrs.serve`: one server for pages, plain HTTP endpoints and WebSockets, on asyncio or trio.

Every connection runs the HTTP engine (`wsrs.http`); a request to a WebSocket route is checked
as an opening handshake (`wsrs.ws.handshake`) and, once answered with 101, the same transport is
handed to a `DefaultWebSocketSession` that runs the route's handler. On asyncio the transport is
the event loop's own (a protocol per connection, no task until a handler needs one); on trio it is
anyio's socket stream. Shutting down stops accepting, closes idle keep-alive connections, closes
sessions with 1001 "going away", waits up to `shutdown_timeout`, then cancels what is left.

A server listens on `host`:`port`, on a Unix socket (`uds`) or on a socket made elsewhere (`sock`:
an inherited descriptor, a worker's share of the supervisor's). Running out of file descriptors
pauses accepting instead of failing (`overload`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import AsyncExitStack, suppress
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
from anyio.streams.tls import TLSStream

from wsrs._loop.sync import (
    Deferred,
    Spawn,
    new_parking,
    require_supported_loop,
    running_trio,
    spawner,
    task_group,
)
from wsrs._loop.timers import TimeoutQueue, Timers
from wsrs._loop.transport import StreamTransport, Transport
from wsrs._wsrs import CloseReason, HttpLimits
from wsrs.broker.base import Broker
from wsrs.broker.hub import Hub
from wsrs.exceptions import HandshakeError
from wsrs.http._connection import DEFAULT_MAX_PIPELINED, HttpConnection
from wsrs.http._writer import Responder, ResponseWriter
from wsrs.http.messages import Request, Response
from wsrs.server.app import ServerApp, WebSocketRoute
from wsrs.server.listeners import bind_unix, remove_unix
from wsrs.server.overload import (
    ACCEPT_PAUSE,
    OutOfDescriptorsLog,
    filter_asyncio_accept_errors,
    out_of_descriptors,
)
from wsrs.server.proxy import ProxyHeaders
from wsrs.ws.config import SessionConfig
from wsrs.ws.handshake import accept_key, check_request, offered_subprotocols, select_subprotocol
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["GOING_AWAY", "RESTARTING", "Server", "serve"]

logger = logging.getLogger("wsrs")
access_logger = logging.getLogger("wsrs.access")

GOING_AWAY = CloseReason(1001, "Server is going down")
RESTARTING = CloseReason(1012, "Server is restarting")


class Server:
    """A listening server; use `async with serve(...) as server:` then `serve_forever()`.

    Keywords beyond the listed ones are the `SessionConfig` fields for every WebSocket session.
    `idle_timeout` is the keep-alive idle time between requests; `head_timeout` bounds the time
    from a request's first byte to its complete head (408 after it). With `proxy_headers`, the
    client address and scheme come from ``X-Forwarded-For``/``-Proto`` sent by the peers in
    `forwarded_allow_ips`. Past `limit_concurrency` connections and sessions, requests get 503.
    `access_log` logs one INFO line per response on the ``wsrs.access`` logger.
    `hub` (or a hub made for `broker`, by default the in-memory one) is what `ws.subscribe`
    joins; the server runs it for as long as it serves.
    """

    def __init__(
        self,
        app: ServerApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl: ssl_module.SSLContext | None = None,
        limits: HttpLimits | None = None,
        idle_timeout: float | None = 45.0,
        head_timeout: float | None = 10.0,
        max_pipelined: int = DEFAULT_MAX_PIPELINED,
        shutdown_timeout: float = 5.0,
        reuse_port: bool = False,
        backlog: int = 1024,
        sock: socket.socket | None = None,
        uds: str | None = None,
        proxy_headers: bool = False,
        forwarded_allow_ips: str | Iterable[str] = ("127.0.0.1",),
        limit_concurrency: int | None = None,
        access_log: bool = False,
        broker: Broker | None = None,
        hub: Hub | None = None,
        **session: Any,
    ) -> None:
        if hub is not None and broker is not None and hub.broker is not broker:
            raise ValueError("pass a broker or a hub, not both")
        self.app = app
        self.host = host
        self._port = port
        self._ssl = ssl
        self._limits = limits
        self._idle_timeout = idle_timeout
        self._head_timeout = head_timeout
        self._max_pipelined = max_pipelined
        self._sock = sock
        self._uds = uds
        self._bound_uds: str | None = None
        self._proxy = ProxyHeaders(forwarded_allow_ips) if proxy_headers else None
        self._limit_concurrency = limit_concurrency
        self._on_response = self._log_access if access_log else None
        self.session_config = SessionConfig(**session)
        """The settings of every WebSocket session (see `SessionConfig`)."""
        self.shutdown_timeout = shutdown_timeout
        self.hub = hub if hub is not None else Hub(broker)
        """The topics of this server's sessions, shared through the hub's broker."""
        self._reuse_port = reuse_port
        self._backlog = backlog
        self._stack = AsyncExitStack()
        self._tg: anyio.abc.TaskGroup | None = None
        self._spawn: Spawn | None = None
        self._idle: TimeoutQueue | None = None
        self._head: TimeoutQueue | None = None
        self._restore_loop: Callable[[], None] | None = None
        self._accepting: anyio.CancelScope | None = None
        self._asyncio_server: asyncio.Server | None = None
        self._connections: set[HttpConnection] = set()
        self._counting_responders: dict[Responder, Responder] = {}
        self._sessions: set[DefaultWebSocketSession] = set()
        # One bound method that every running session holds, not one each.
        self._session_ended = self.session_ended
        self._live = 0
        self._shutting_down = False
        self._close_reason = GOING_AWAY

    @property
    def port(self) -> int:
        """The port the server listens on (useful after binding port 0)."""
        return self._port

    async def __aenter__(self) -> Server:
        require_supported_loop("wsrs.serve")
        self._timers = Timers()
        self._gone = new_parking()
        self._stop = Deferred[None]()
        self._stopped = Deferred[None]()
        outer = await self._stack.enter_async_context(task_group())
        try:
            await outer.start(self._run)
        except BaseException:
            outer.cancel_scope.cancel()
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        with anyio.CancelScope(shield=True):
            await self.shutdown()
        return await self._stack.__aexit__(exc_type, exc, traceback)

    async def _run(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        """The server's own task: its timers, listener and handlers live and die in here.

        It runs beside the caller's `async with` block, so shutting down cancels only what the
        server started, never the caller's code. The app's `serving` context (an ASGI app's
        lifespan) is entered before listening and left once every connection is gone; an error
        entering it is what `serve` raises.
        """
        try:
            async with self.app.serving(self), task_group() as tg, spawner() as spawn:
                self._tg = tg
                self._spawn = spawn
                tg.start_soon(self._timers.run)
                await tg.start(self.hub.run)
                if self._idle_timeout is not None:
                    self._idle = TimeoutQueue(self._idle_timeout, self._timers)
                if self._head_timeout is not None:
                    self._head = TimeoutQueue(self._head_timeout, self._timers)
                if running_trio():
                    await tg.start(self._listen_anyio)
                else:
                    await self._listen_asyncio()
                task_status.started()
                await self._stop
                tg.cancel_scope.cancel()
        finally:
            if self._restore_loop is not None:
                self._restore_loop()
            if self._bound_uds is not None:
                remove_unix(self._bound_uds)
            self._stopped.set(None)

    async def serve_forever(self) -> None:
        """Serve until cancelled or shut down."""
        await self._stopped

    async def shutdown(self, reason: CloseReason = GOING_AWAY) -> None:
        """Stop accepting, close every connection gracefully, then cancel what is left.

        WebSocket sessions are closed with `reason`: 1001 "going away", or `RESTARTING` (1012)
        when another process takes over.
        """
        if self._tg is None:
            return
        if self._shutting_down:
            await self._stopped
            return
        self._shutting_down = True
        self._close_reason = reason
        if self._asyncio_server is not None:
            self._asyncio_server.close()
        if self._accepting is not None:
            self._accepting.cancel()  # trio: close the listeners now, not after the wait
        self._close_all(reason)
        with anyio.move_on_after(self.shutdown_timeout):
            while self._live:
                await self._gone.park()
        self._drop_all()
        self._stop.set(None)
        await self._stopped

    # Loops of their own: a loop variable left in `shutdown` would keep its last session alive
    # through the waits.

    def _close_all(self, reason: CloseReason) -> None:
        """Ask every connection and session to close (HTTP once idle, WebSocket with `reason`)."""
        for connection in list(self._connections):
            connection.close_when_idle()
        for session in list(self._sessions):
            session._start_close(reason)

    def _drop_all(self) -> None:
        """Drop the connections and sessions still open after `shutdown_timeout`."""
        for connection in list(self._connections):
            connection.abort()
        for session in list(self._sessions):
            session.terminate()

    # --- accepting --------------------------------------------------------------------------

    def _given_socket(self) -> socket.socket | None:
        """The socket to listen on when it is not `host`:`port`: `sock`, or one bound at `uds`."""
        if self._sock is None and self._uds is not None:
            self._sock = bind_unix(self._uds, backlog=self._backlog)
            self._bound_uds = self._uds
            self._port = 0
        elif self._sock is not None and self._sock.family != socket.AF_UNIX:
            self._port = self._sock.getsockname()[1]
        return self._sock

    async def _listen_asyncio(self) -> None:
        loop = asyncio.get_running_loop()
        self._restore_loop = filter_asyncio_accept_errors(loop)
        sock = self._given_socket()
        if sock is not None and sock.family == socket.AF_UNIX:
            self._asyncio_server = await loop.create_unix_server(
                lambda: _Accept(self), sock=sock, ssl=self._ssl, backlog=self._backlog
            )
            return
        if sock is not None:
            self._asyncio_server = await loop.create_server(
                lambda: _Accept(self), sock=sock, ssl=self._ssl, backlog=self._backlog
            )
            return
        self._asyncio_server = await loop.create_server(
            lambda: _Accept(self),
            self.host,
            self._port,
            ssl=self._ssl,
            reuse_port=self._reuse_port or None,
            backlog=self._backlog,
        )
        self._port = self._asyncio_server.sockets[0].getsockname()[1]

    async def _listen_anyio(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        sock = self._given_socket()
        if sock is not None:
            listener: anyio.abc.Listener[Any] = await anyio.abc.SocketListener.from_socket(sock)
            listeners = [listener]
        else:
            multi = await anyio.create_tcp_listener(
                local_host=self.host, local_port=self._port, reuse_port=self._reuse_port
            )
            self._port = multi.extra(anyio.abc.SocketAttribute.local_port)
            listener, listeners = multi, list(multi.listeners)
        async with listener, anyio.create_task_group() as accepting:
            self._accepting = accepting.cancel_scope
            for socket_listener in listeners:
                accepting.start_soon(self._accept_loop, socket_listener)
            task_status.started()

    async def _accept_loop(self, listener: anyio.abc.Listener[anyio.abc.SocketStream]) -> None:
        assert isinstance(listener, anyio.abc.SocketListener)
        out_of_descriptors_log = OutOfDescriptorsLog()
        while True:
            try:
                stream = await listener.accept()
            except (anyio.BrokenResourceError, OSError) as error:
                if not out_of_descriptors(error):
                    raise
                out_of_descriptors_log(error)
                await anyio.sleep(ACCEPT_PAUSE)
                continue
            assert self._spawn is not None
            self._spawn(self._serve_stream, stream)

    async def _serve_stream(self, stream: anyio.abc.ByteStream) -> None:
        """One accepted connection on trio: TLS first if configured, then the HTTP pipeline."""
        assert self._spawn is not None
        if self._ssl is not None:
            with anyio.move_on_after(self._idle_timeout or 45.0):
                with suppress(
                    ssl_module.SSLError, anyio.BrokenResourceError, anyio.EndOfStream, OSError
                ):
                    stream = await TLSStream.wrap(
                        stream, ssl_context=self._ssl, server_side=True, standard_compatible=False
                    )
            if not isinstance(stream, TLSStream):
                await anyio.aclose_forcefully(stream)
                return
        transport = StreamTransport(stream, _Accept(self), self._spawn)
        self._accept(transport)
        await transport.run()

    def _accept(self, transport: Transport) -> None:
        """A new connection: start its HTTP pipeline."""
        assert self._spawn is not None
        if self._shutting_down:
            transport.close()
            return
        connection = HttpConnection(
            transport,
            self._dispatch,
            self._spawn,
            timers=self._timers,
            limits=self._limits,
            idle_timeout=self._idle,
            head_timeout=self._head,
            max_pipelined=self._max_pipelined,
            on_response=self._on_response,
        )
        transport.set_protocol(connection)
        self._connections.add(connection)
        self._live += 1

        def forget() -> None:
            self._connections.discard(connection)
            self._connection_gone()

        connection.on_closed(forget)

    def _connection_gone(self) -> None:
        self._live -= 1
        self._gone.wake()

    # --- routing ----------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response | Awaitable[Response] | Responder:
        if self._proxy is not None:
            self._proxy.apply(request)
        if self._limit_concurrency is not None and self._live > self._limit_concurrency:
            return Response.text("Service Unavailable\n", 503, [("Connection", "close")])
        answer = self.app.http_route(request)
        if type(answer) is Responder:
            return self._counting(answer)
        if isinstance(answer, WebSocketRoute):
            return self._handshake(request, answer)
        return answer

    def _counting(self, responder: Responder) -> Responder:
        """`responder`, counted as live work while it runs: an ASGI app goes on after its
        response (background tasks, cleanup), and shutting down waits for it as for a
        connection, up to `shutdown_timeout`. Made once per responder (an app returns the same
        few for every request)."""
        cache = self._counting_responders
        counting = cache.get(responder)
        if counting is None:
            counting = self._counted(responder)
            if len(cache) < 8:  # bounded, should a handler make a new responder every time
                cache[responder] = counting
        return counting

    def _counted(self, responder: Responder) -> Responder:
        run = responder.run

        async def counted(writer: ResponseWriter) -> None:
            self._live += 1
            try:
                await run(writer)
            finally:
                self._connection_gone()

        return Responder(counted)

    async def _handshake(self, request: Request, route: WebSocketRoute) -> Response:
        try:
            key = check_request(request)
        except HandshakeError as error:
            return Response.text(error.message + "\n", error.status or 400, error.headers)
        origin = request.headers.get("Origin")
        if route.origins is not None and origin not in route.origins:
            return Response.text("Origin not allowed\n", 403)
        if route.accept is not None:
            refusal = await route.accept(request)
            if refusal is not None:
                return refusal
        subprotocol = select_subprotocol(offered_subprotocols(request.headers), route.subprotocols)
        return self.websocket_response(
            request,
            key,
            subprotocol,
            route.headers,
            lambda session: session._run(route.handler, self._session_ended),
        )

    def websocket_response(
        self,
        request: Request,
        key: str,
        subprotocol: str | None,
        headers: Sequence[tuple[str, str]],
        start: Callable[[DefaultWebSocketSession], Coroutine[Any, Any, None] | None],
    ) -> Response:
        """The 101 accepting a checked handshake; as it goes out, a session takes the transport.

        `start(session)` is called then: a coroutine it returns runs in a task of its own and
        must end with `session_ended(session)`; when it returns None the caller runs the session
        in its own task (an ASGI app does) and calls `session_ended` itself.
        """
        fields = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(key)),
        ]
        if subprotocol is not None:
            fields.append(("Sec-WebSocket-Protocol", subprotocol))
        deflate = None
        compression = self.session_config.compression
        if compression is not None:
            negotiated = compression.negotiate(request.headers.get_all("Sec-WebSocket-Extensions"))
            if negotiated is not None:
                deflate, answer = negotiated
                fields.append(("Sec-WebSocket-Extensions", answer))
        fields.extend(headers)

        def take_over(
            transport: Transport, already_read: bytes
        ) -> Coroutine[Any, Any, None] | None:
            """Called as the 101 goes out: the session takes the transport at once."""
            session = DefaultWebSocketSession(
                transport,
                client=False,
                config=self.session_config,
                timers=self._timers,
                subprotocol=subprotocol,
                deflate=deflate,
            )
            session.request = request
            session._topics = self.hub.topics
            self._sessions.add(session)
            self._live += 1
            if already_read:
                session.data_received(already_read)
            if self._shutting_down:
                session._start_close(self._close_reason)
            return start(session)

        return Response(status=101, headers=fields, upgrade=take_over)

    def session_ended(self, session: DefaultWebSocketSession) -> None:
        """A session from `websocket_response` is over: shutting down no longer waits for it.

        Its connection is closed (what is written still goes out first): one whose task was
        cancelled is still open, and its close timer may die with the server's timers.
        """
        if session in self._sessions:
            self._sessions.discard(session)
            self._connection_gone()
        session._transport.close()

    @staticmethod
    def _log_access(request: Request | None, status: int) -> None:
        if request is None:
            access_logger.info('- - "(malformed request)" %d', status)
            return
        peer = request.remote_address
        client = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else "-"
        access_logger.info(
            '%s - "%s %s HTTP/%s" %d',
            client,
            request.method,
            request.target,
            request.version,
            status,
        )


class _Accept(asyncio.Protocol):
    """The protocol asyncio creates per accepted socket: it hands the transport to the server."""

    def __init__(self, server: Server) -> None:
        self._server = server

    def connection_made(self, transport: Any) -> None:
        self._server._accept(transport)


def serve(app: ServerApp, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Server:
    """A server for `app` (a `wsrs.App` or a `wsrs.AsgiApp`) on `host`:`port`; enter it with
    ``async with``. Entering raises `LifespanError` when an ASGI app's startup fails.

    `options` are `Server`'s keywords (`ssl`, `limits`, `idle_timeout`, `head_timeout`,
    `max_pipelined`, `shutdown_timeout`, `reuse_port`, `backlog`, `sock`, `uds`,
    `proxy_headers`, `forwarded_allow_ips`, `limit_concurrency`, `access_log`, `broker`, `hub`)
    and the `SessionConfig` fields (`max_frame_size`, `ping_interval`, `timeout`,
    `close_timeout`, `incoming_capacity`, `write_limit`, `slow_consumer`, `compression`) for
    every WebSocket session.
    """
    return Server(app, host, port, **options)
