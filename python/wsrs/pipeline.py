"""The HTTP/1.1 connection pipeline: requests parsed ahead, handled concurrently, answered in order.

Ktor's `startConnectionPipeline` contract (ktor-behaviour.md §10), corrected by RFC 9112:

- Each socket read goes to the Rust `RequestParser` once; every request it completes gets its
  handler started at once, so pipelined requests are handled concurrently. At most
  `max_pipelined` requests may wait for their response: reading pauses there.
- Responses leave strictly in request order. A handler that returns a `bytes` body needs no further
  task: its response is written as soon as the earlier ones are. A streamed or upgrading response
  waits for its turn in its handler's task.
- A request body is a stream the handler reads as it arrives; while too much of it waits unread,
  reading pauses (back-pressure). ``Expect: 100-continue`` is answered when the handler first reads.
- Keep-alive follows the request (HTTP/1.0 needs ``keep-alive``, HTTP/1.1 ends on ``close``) and the
  response (``Connection: close``).
- The idle timeout counts only the time spent waiting for the next request head: before the first
  one and after the last response. It never interrupts a handler.
- A malformed request gets the status the parser names (400, 413, 414, 431, 501, 505) after the
  earlier responses, without echoing request content, and the connection closes cleanly: we stop
  writing, read and drop what the client still sends for a moment, then close.
- An upgrade response (101 with `Response.upgrade`) hands the transport and the bytes already read
  past the request to the new protocol.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import time
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any

import anyio
import anyio.abc
from anyio.streams.stapled import StapledByteStream

from wsrs._sync import Deferred, Parking, Spawn, clock, new_parking, running_trio, spawner
from wsrs._transport import StreamTransport, Transport
from wsrs._wsrs import (
    EndOfMessage,
    HttpLimits,
    RequestHead,
    RequestParser,
    encode_chunk,
    encode_last_chunk,
    encode_response,
    encode_response_head,
)
from wsrs.exceptions import ConnectionClosedError, RemoteProtocolError
from wsrs.http import EMPTY_BODY, BodyStream, HttpHandler, Request, Response
from wsrs.timeouts import TimeoutQueue, TimerHandle, Timers

__all__ = ["HttpConnection", "PipelineJob", "start_connection_pipeline"]

logger = logging.getLogger("wsrs")

DEFAULT_MAX_PIPELINED = 32
"""Requests parsed but not yet answered before reading pauses (aiohttp's bound, GHSA-4fvr)."""
LINGER_SECONDS = 2.0
"""After an error response, how long to read and drop what the client still sends."""

_NO_BODY_STATUSES = frozenset({204, 304})
_REASONS = {400: "Bad Request", 413: "Content Too Large", 414: "URI Too Long"}
_REASONS |= {431: "Request Header Fields Too Large", 500: "Internal Server Error"}
_REASONS |= {501: "Not Implemented", 505: "HTTP Version Not Supported"}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _DateCache:
    """The ``Date`` header value, formatted at most once a second."""

    second = -1
    value = ""

    @classmethod
    def now(cls) -> str:
        second = int(time.time())
        if second != cls.second:
            cls.second = second
            cls.value = email.utils.formatdate(second, usegmt=True)
        return cls.value


class _Exchange:
    """One request and, once its handler returns, its response; queued in request order."""

    __slots__ = ("continue_sent", "keep_alive", "request", "response", "turn")

    def __init__(self, request: Request | None, keep_alive: bool) -> None:
        self.request = request
        self.keep_alive = keep_alive
        self.response: Response | None = None
        self.turn: Parking | None = None
        self.continue_sent = False

    async def wait_turn(self) -> None:
        """Wait until the exchanges before this one are written (or the connection is gone)."""
        if self.turn is None:
            self.turn = new_parking()
        await self.turn.park()

    def wake(self) -> None:
        """It may be this exchange's turn now."""
        if self.turn is not None:
            self.turn.wake()


class HttpConnection:
    """One HTTP/1.1 connection as an asyncio-style protocol over a `Transport`."""

    __slots__ = (
        "_call_soon",
        "_close_requested",
        "_closed_callbacks",
        "_closing",
        "_drained",
        "_eof",
        "_exchanges",
        "_flush_scheduled",
        "_handler",
        "_held",
        "_idle_since",
        "_idle_timeout",
        "_idle_timer",
        "_max_pipelined",
        "_now",
        "_out",
        "_parser",
        "_paused_for_body",
        "_paused_for_queue",
        "_paused_for_upgrade",
        "_peer",
        "_receiving",
        "_spawn",
        "_timers",
        "_transport",
        "_upgraded",
        "_write",
        "_writing_paused",
        "closed",
    )

    def __init__(
        self,
        transport: Transport,
        handler: HttpHandler,
        spawn: Spawn,
        *,
        timers: Timers,
        limits: HttpLimits | None = None,
        idle_timeout: TimeoutQueue | None = None,
        max_pipelined: int = DEFAULT_MAX_PIPELINED,
    ) -> None:
        self._transport = transport
        self._write = transport.write
        self._handler = handler
        self._spawn = spawn
        self._timers = timers
        self._parser = RequestParser(limits)
        self._idle_timeout = idle_timeout
        self._idle_timer: TimerHandle | None = None
        self._idle_since: float | None = None
        self._now = clock()
        self._max_pipelined = max_pipelined
        self._exchanges: deque[_Exchange] = deque()
        self._held: deque[RequestHead | bytes | EndOfMessage] = deque()
        self._receiving: _Exchange | None = None
        self._peer = transport.get_extra_info("peername")
        self._paused_for_queue = False
        self._paused_for_body = False
        self._paused_for_upgrade = False
        self._writing_paused = False
        self._drained = new_parking()
        self._closing = False
        self._eof = False
        self._upgraded = False
        self._close_requested = False
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._call_soon = None if running_trio() else asyncio.get_running_loop().call_soon
        self._closed_callbacks: list[Callable[[], object]] = []
        self.closed = Deferred[None]()
        """Resolves when the connection is gone (or handed to another protocol)."""
        self._arm_idle_timer()

    def on_closed(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the connection is gone or handed to another protocol."""
        self._closed_callbacks.append(callback)

    def _set_closed(self) -> None:
        if self.closed.set(None):
            for callback in self._closed_callbacks:
                callback()

    def close_when_idle(self) -> None:
        """Answer the requests already read, then close; close at once if there are none."""
        self._close_requested = True
        if self._exchanges:
            self._exchanges[-1].keep_alive = False
        elif not self._closing:
            self._closing = True
            self._transport.close()

    # --- reading ----------------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        """Unused: the connection is built around a connected transport."""

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        try:
            events = self._parser.feed(data)
        except RemoteProtocolError:
            return
        self._on_events(events)
        self._flush()
        error = self._parser.error
        if error is not None:
            self._on_parse_error(error)
        elif self._parser.paused and not self._paused_for_upgrade:
            # Bytes after an upgrade request belong to the next protocol: stop reading them
            # until the handler has answered it.
            self._paused_for_upgrade = True
            self._update_reading()

    def _on_events(self, events: list[RequestHead | bytes | EndOfMessage]) -> None:
        held = self._held
        for event in events:
            if held:
                held.append(event)
            elif type(event) is RequestHead and len(self._exchanges) >= self._max_pipelined:
                held.append(event)
                self._paused_for_queue = True
                self._update_reading()
            elif type(event) is bytes:
                if self._receiving is not None and self._receiving.request is not None:
                    self._receiving.request.body.feed(event)
            elif type(event) is RequestHead:
                self._on_head(event)
            elif self._receiving is not None and self._receiving.request is not None:
                self._receiving.request.body.end(event.trailers)  # type: ignore[union-attr]
                self._receiving = None

    def _on_head(self, head: RequestHead) -> None:
        self._idle_since = None
        has_body = head.chunked or bool(head.content_length)
        exchange = _Exchange(None, head.keep_alive)
        if not has_body:
            body = EMPTY_BODY
        else:
            before_read = self._continue_hook(exchange) if head.expect_continue else None
            body = BodyStream(done=False, on_full=self._body_full, before_first_read=before_read)
        request = Request(head, body, self._peer)
        exchange.request = request
        self._exchanges.append(exchange)
        self._receiving = exchange
        if len(self._exchanges) >= self._max_pipelined:
            self._paused_for_queue = True
            self._update_reading()
        try:
            result = self._handler(request)
        except Exception:
            logger.exception("HTTP handler failed for %r", request)
            self._complete(exchange, Response.text("Internal Server Error", 500))
            return
        if type(result) is Response and type(result.body) is bytes and result.upgrade is None:
            self._complete(exchange, result)
        elif inspect.isawaitable(result):
            self._spawn(self._await_response, exchange, result)
        else:
            self._spawn(self._await_response, exchange, _ready(result))

    def _continue_hook(self, exchange: _Exchange) -> Callable[[], Awaitable[None]]:
        async def send_continue() -> None:
            request = exchange.request
            if request is None or request.body.complete or exchange.continue_sent:
                return
            while self._exchanges and self._exchanges[0] is not exchange:
                await exchange.wait_turn()
            if not self._transport.is_closing():
                self._flush()
                self._write(_CONTINUE)
                exchange.continue_sent = True

        return send_continue

    def _body_full(self, full: bool) -> None:
        self._paused_for_body = full
        self._update_reading()

    def _update_reading(self) -> None:
        if self._closing or self._upgraded:
            return
        if self._paused_for_queue or self._paused_for_body or self._paused_for_upgrade:
            self._transport.pause_reading()
        else:
            self._transport.resume_reading()

    def eof_received(self) -> bool | None:
        try:
            self._parser.feed_eof()
        except RemoteProtocolError as error:
            if self._receiving is not None and self._receiving.request is not None:
                self._receiving.request.body.fail(error)
            self._receiving = None
        # Keep the connection half-open while responses are still owed (RFC 9112 §9.6).
        self._eof = True
        if self._exchanges:
            self._closing = True
            return True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._closing = True
        if self._receiving is not None and self._receiving.request is not None:
            self._receiving.request.body.fail(ConnectionClosedError(None, None))
        self._writing_paused = False
        self._drained.wake()
        for exchange in self._exchanges:
            exchange.wake()
        self._set_closed()

    # --- writing ----------------------------------------------------------------------------

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._drained.wake()

    async def _await_response(self, exchange: _Exchange, pending: Awaitable[Response]) -> None:
        try:
            response = await pending
            if not isinstance(response, Response):
                raise TypeError(f"an HTTP handler returned {response!r}, not a Response")
        except Exception:
            logger.exception("HTTP handler failed for %r", exchange.request)
            response = Response.text("Internal Server Error", 500)
        if isinstance(response.body, bytes) and response.upgrade is None:
            self._complete(exchange, response)
            self._flush_soon()
            return
        exchange.response = response
        while self._exchanges and self._exchanges[0] is not exchange:
            if self.closed.done():
                return
            await exchange.wait_turn()
        if self.closed.done():
            return
        if response.upgrade is not None:
            await self._upgrade(exchange, response)
        else:
            await self._stream(exchange, response)
            self._finish(exchange)

    def _complete(self, exchange: _Exchange, response: Response) -> None:
        """A response with its whole body is ready: write it now if it is its turn."""
        exchange.response = response
        if self._exchanges and self._exchanges[0] is exchange:
            self._write_fixed(exchange, response)
            self._finish(exchange)

    def _flush(self) -> None:
        """Write the responses gathered so far in one go."""
        self._flush_scheduled = False
        out = self._out
        if out:
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            self._write(data)

    def _flush_soon(self) -> None:
        """Write now, or, while pipelined handlers are still finishing, once this loop turn ends.

        Responses that become ready in the same turn of the event loop then leave in one write.
        """
        if not self._exchanges or self._call_soon is None:
            self._flush()
        elif self._out and not self._flush_scheduled:
            self._flush_scheduled = True
            self._call_soon(self._flush)

    def _finish(self, exchange: _Exchange) -> None:
        """`exchange` is fully written: move on to the next ones, or close."""
        self._exchanges.popleft()
        request = exchange.request
        if request is not None and not request.body.complete:
            if request.head.expect_continue and not exchange.continue_sent:
                exchange.keep_alive = False
            request.body.discard()
        if not exchange.keep_alive:
            self._close_after(exchange)
            return
        while self._exchanges:
            head = self._exchanges[0]
            response = head.response
            if response is None or not isinstance(response.body, bytes) or response.upgrade:
                head.wake()
                break
            self._write_fixed(head, response)
            self._exchanges.popleft()
            if head.request is not None and not head.request.body.complete:
                head.request.body.discard()
            if not head.keep_alive:
                self._close_after(head)
                return
        if self._held and len(self._exchanges) < self._max_pipelined:
            held, self._held = list(self._held), deque()
            self._on_events(held)
        if self._paused_for_queue and not self._held and len(self._exchanges) < self._max_pipelined:
            self._paused_for_queue = False
            self._update_reading()
        if self._exchanges:
            return
        if self._eof or self._close_requested:
            self._closing = True
            self._flush()
            self._transport.close()
        elif self._parser.paused and not self._upgraded:
            self._paused_for_upgrade = False
            self._update_reading()
            self._on_events(self._parser.resume())
            if self._parser.error is not None:
                self._on_parse_error(self._parser.error)
        if not self._exchanges:
            self._arm_idle_timer()

    def _headers_for(self, exchange: _Exchange, response: Response) -> list[tuple[str, str]]:
        headers = response.headers.items()
        has_date = False
        connection = None
        for name, value in headers:
            lowered = name.lower()
            if lowered == "date":
                has_date = True
            elif lowered == "connection":
                connection = value
        extra = [] if has_date else [("Date", _DateCache.now())]
        if connection is not None and "close" in connection.lower():
            exchange.keep_alive = False
        elif not exchange.keep_alive:
            extra.append(("Connection", "close"))
        elif exchange.request is not None and exchange.request.version == "1.0":
            extra.append(("Connection", "keep-alive"))
        return headers + extra if extra else headers

    def _write_fixed(self, exchange: _Exchange, response: Response) -> None:
        if self._transport.is_closing():
            return
        headers = self._headers_for(exchange, response)
        body = response.body
        assert isinstance(body, bytes)
        request = exchange.request
        status = response.status
        if status in _NO_BODY_STATUSES or status < 200:
            self._out.append(encode_response_head(status, headers))
        elif request is not None and request.method == "HEAD":
            headers = [*headers, ("Content-Length", str(len(body)))]
            self._out.append(encode_response_head(status, headers))
        else:
            self._out.append(encode_response(status, headers, body))

    async def _stream(self, exchange: _Exchange, response: Response) -> None:
        """Write a streamed body: chunked for HTTP/1.1, until close for HTTP/1.0."""
        request = exchange.request
        chunked = request is None or request.version != "1.0"
        if not chunked:
            exchange.keep_alive = False
        headers = self._headers_for(exchange, response)
        if chunked:
            headers = [*headers, ("Transfer-Encoding", "chunked")]
        self._flush()
        self._write(encode_response_head(response.status, headers))
        body = response.body
        assert isinstance(body, AsyncIterable)
        if request is not None and request.method == "HEAD":
            return
        async for piece in body:
            if self.closed.done():
                return
            if piece:
                self._write(encode_chunk(piece) if chunked else piece)
            while self._writing_paused and not self.closed.done():
                await self._drained.park()
        if chunked:
            self._write(encode_last_chunk())

    async def _upgrade(self, exchange: _Exchange, response: Response) -> None:
        """Send the 101 and hand the connection over, in a task of its own.

        This task then ends, so nothing of the HTTP connection (parser, queues, request frames)
        stays alive for as long as the new protocol runs.
        """
        assert response.upgrade is not None
        if response.status != 101:
            raise ValueError("an upgrade response must have status 101")
        self._upgraded = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        self._flush()
        self._write(encode_response_head(101, response.headers.items()))
        self._exchanges.popleft()
        trailing = self._parser.take_trailing()
        self._set_closed()
        self._spawn(response.upgrade, self._transport, trailing)

    # --- ending -----------------------------------------------------------------------------

    def _on_parse_error(self, error: RemoteProtocolError) -> None:
        """Answer a malformed request after the earlier ones, then close cleanly."""
        if self._receiving is not None and self._receiving.request is not None:
            self._receiving.request.body.fail(error)
            self._receiving = None
        status = error.status_hint
        reason = _REASONS.get(status, "Bad Request")
        exchange = _Exchange(None, keep_alive=False)
        exchange.response = Response.text(f"{status} {reason}\n", status)
        self._exchanges.append(exchange)
        if self._exchanges[0] is exchange:
            self._write_fixed(exchange, exchange.response)
            self._finish(exchange)

    def _close_after(self, exchange: _Exchange) -> None:
        """Close once this response is written: stop reading requests, linger, then close."""
        self._closing = True
        for later in self._exchanges:
            later.wake()
        self._exchanges.clear()
        transport = self._transport
        if transport.is_closing():
            return
        self._flush()
        can_write_eof = getattr(transport, "can_write_eof", None)
        if exchange.request is None and can_write_eof is not None and can_write_eof():
            transport.write_eof()  # type: ignore[attr-defined]
            transport.resume_reading()
            self._timers.call_later(LINGER_SECONDS, transport.close)
        else:
            transport.close()

    def _arm_idle_timer(self) -> None:
        """The connection waits for its next request: start counting idle time.

        One timer per connection is kept armed across requests; when it fires it checks how long
        the connection has really been idle, so a busy connection costs no timer work per request.
        """
        if self._idle_timeout is None or self._closing:
            return
        self._idle_since = self._now()
        if self._idle_timer is None:
            self._idle_timer = self._idle_timeout.register(self._on_idle)

    def _on_idle(self) -> None:
        self._idle_timer = None
        if self._idle_since is None or self._closing or self._idle_timeout is None:
            return
        remaining = self._idle_since + self._idle_timeout.timeout - self._now()
        if remaining > 0:
            self._idle_timer = self._idle_timeout.timers.call_later(remaining, self._on_idle)
        else:
            self._closing = True
            self._transport.close()


async def _ready(value: Any) -> Response:
    """An awaitable of a value a synchronous handler returned, for the task-based path."""
    return value  # type: ignore[no-any-return]


class PipelineJob:
    """A running pipeline started by `start_connection_pipeline`: wait for it or cancel it."""

    def __init__(self) -> None:
        self._scope = anyio.CancelScope()
        self.done = Deferred[None]()
        """Resolves when the connection has ended."""

    def cancel(self) -> None:
        """Stop the pipeline and its handlers."""
        self._scope.cancel()

    async def wait(self) -> None:
        """Wait until the connection has ended."""
        await self.done


def start_connection_pipeline(
    task_group: anyio.abc.TaskGroup,
    input: anyio.abc.ByteReceiveStream,
    output: anyio.abc.ByteSendStream,
    timeout: TimeoutQueue | None,
    handler: HttpHandler,
    *,
    timers: Timers,
    limits: HttpLimits | None = None,
    max_pipelined: int = DEFAULT_MAX_PIPELINED,
) -> PipelineJob:
    """Serve HTTP/1.1 requests read from `input` with `handler`, writing responses to `output`.

    Handlers may run concurrently (pipelining); responses are written in request order. `timeout`
    is the idle timeout between requests. Runs in `task_group` until the connection ends.
    """
    job = PipelineJob()

    async def run() -> None:
        try:
            with job._scope:
                async with spawner() as spawn:
                    stream = StapledByteStream(output, input)
                    transport = StreamTransport(stream, _Placeholder(), spawn)
                    connection = HttpConnection(
                        transport,
                        handler,
                        spawn,
                        timers=timers,
                        limits=limits,
                        idle_timeout=timeout,
                        max_pipelined=max_pipelined,
                    )
                    transport.set_protocol(connection)
                    await transport.run()
        finally:
            job.done.set(None)

    task_group.start_soon(run)
    return job


class _Placeholder:
    """Stands in until the pipeline's connection object exists."""

    def data_received(self, data: bytes) -> None: ...
    def eof_received(self) -> bool | None: ...
    def connection_lost(self, exc: Exception | None) -> None: ...
    def pause_writing(self) -> None: ...
    def resume_writing(self) -> None: ...
