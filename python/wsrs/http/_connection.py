"""One HTTP/1.1 connection as an asyncio-style protocol: the engine behind `pipeline.py`.

Rules (RFC 9112 and Ktor's pipeline contract, see `pipeline.py`):

1. Requests are answered strictly in order. `_exchanges` holds them; only the head may write.
   A `bytes` response is written by whoever makes it writable (`_advance`); a streamed or
   upgrading one by its own handler task once it is at the head.
2. No queue change runs inside another: while `_on_events` dispatches a read, `_advance` only
   notes that it is due, and runs once the read is dispatched. So a synchronous handler never
   re-enters the parser in the middle of a batch.
3. After a request that ends the connection (``Connection: close``, HTTP/1.0 without keep-alive)
   nothing more is read: its body completes, its response goes out, the connection closes.
4. Memory stays bounded both ways: reading pauses while `max_pipelined` requests wait for an
   answer, while a body's unread bytes are over its high-water mark, while an upgrade request
   waits for its answer, and while the socket's write buffer is full.
5. A request head must arrive within `head_timeout` of its first byte (slow-header clients get
   408), apart from the keep-alive `idle_timeout` between requests.
6. A client's fault (a malformed body, a client gone mid-body) is logged at DEBUG, not as an
   error of the server.
7. Closing is graceful: write what is due, send FIN, read and drop what the client still sends
   (for `LINGER_SECONDS` at most) and close on its EOF, so a final response is never lost to a
   reset.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import sys
import time
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine
from typing import Any

from wsrs._loop.inline import InlineRunner
from wsrs._loop.sync import Deferred, Parking, Spawn, clock, new_parking, running_trio
from wsrs._loop.timers import TimeoutQueue, TimerHandle, Timers
from wsrs._loop.transport import Transport
from wsrs._wsrs import (
    EndOfMessage,
    HttpLimits,
    RequestHead,
    RequestParser,
    encode_fixed_response,
    encode_response_head,
)
from wsrs.exceptions import (
    ClientDisconnected,
    ConnectionClosed,
    ConnectionClosedError,
    RemoteProtocolError,
)
from wsrs.http._writer import Responder, ResponseWriter
from wsrs.http.messages import EMPTY_BODY, BodyStream, HttpHandler, Request, Response

logger = logging.getLogger("wsrs")

DEFAULT_MAX_PIPELINED = 32
"""Requests parsed but not yet answered before reading pauses (aiohttp's bound, GHSA-4fvr)."""
LINGER_SECONDS = 2.0
"""After the last response, how long to read and drop what the client still sends."""

_REASONS = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large"}
_REASONS |= {414: "URI Too Long", 415: "Unsupported Media Type", 417: "Expectation Failed"}
_REASONS |= {431: "Request Header Fields Too Large", 500: "Internal Server Error"}
_REASONS |= {501: "Not Implemented", 505: "HTTP Version Not Supported"}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CLIENT_FAULTS = (RemoteProtocolError, ConnectionClosedError)
"""What a handler raises when the client sent a malformed body or went away mid-body."""

ResponseLog = Callable[[Request | None, int], object]
"""Told of every response as its head is written: the request (None for a malformed one) and
the status (the access log)."""


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


def _internal_error() -> Response:
    return Response.text("Internal Server Error\n", 500)


def _refusal(status: int) -> Response:
    """The answer to a request the peer got wrong: its status and reason, nothing it sent."""
    return Response.text(f"{status} {_REASONS.get(status, 'Bad Request')}\n", status)


def _fault_status(error: RemoteProtocolError | ConnectionClosedError) -> int:
    """The status answering a client's fault: the violation's own, else 400."""
    return error.status_hint if isinstance(error, RemoteProtocolError) else 400


class _Exchange:
    """One request and, once its handler returns, its response; queued in request order."""

    __slots__ = ("continue_sent", "head_sent", "keep_alive", "request", "response", "turn")

    def __init__(self, request: Request | None, keep_alive: bool) -> None:
        self.request = request
        self.keep_alive = keep_alive
        self.response: Response | None = None
        self.turn: Parking | None = None
        self.continue_sent = False
        self.head_sent = False

    @property
    def fixed(self) -> bool:
        """The response is ready and has its whole body: anyone may write it."""
        response = self.response
        return response is not None and type(response.body) is bytes and response.upgrade is None

    async def wait_turn(self) -> None:
        """Wait until something changes at the head of the queue."""
        if self.turn is None:
            self.turn = new_parking()
        await self.turn.park()

    def wake(self) -> None:
        """It may be this exchange's turn now, or the connection is gone."""
        if self.turn is not None:
            self.turn.wake()


class HttpConnection:
    """One HTTP/1.1 connection as an asyncio-style protocol over a `Transport`."""

    __slots__ = (
        "_advance_due",
        "_call_soon",
        "_close_requested",
        "_closed_callbacks",
        "_closing",
        "_dispatching",
        "_drained",
        "_eof",
        "_exchanges",
        "_flush_scheduled",
        "_handler",
        "_head_since",
        "_head_timeout",
        "_head_timer",
        "_held",
        "_idle_since",
        "_idle_timeout",
        "_idle_timer",
        "_inline",
        "_last_request",
        "_local",
        "_lost",
        "_max_pipelined",
        "_now",
        "_on_response",
        "_out",
        "_parser",
        "_paused_for_body",
        "_paused_for_end",
        "_paused_for_queue",
        "_paused_for_upgrade",
        "_paused_for_writes",
        "_peer",
        "_receiving",
        "_spawn",
        "_starts",
        "_timers",
        "_tls",
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
        head_timeout: TimeoutQueue | None = None,
        max_pipelined: int = DEFAULT_MAX_PIPELINED,
        on_response: ResponseLog | None = None,
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
        self._head_timeout = head_timeout
        self._head_timer: TimerHandle | None = None
        self._head_since: float | None = None
        self._on_response = on_response
        self._now = clock()
        self._max_pipelined = max_pipelined
        self._exchanges: deque[_Exchange] = deque()
        self._held: list[RequestHead | bytes | EndOfMessage] = []
        self._receiving: _Exchange | None = None
        self._last_request: _Exchange | None = None
        self._peer = _shared_host(transport.get_extra_info("peername"))
        self._local = _shared_local(transport.get_extra_info("sockname"))
        self._tls = transport.get_extra_info("ssl_object")
        self._paused_for_queue = False
        self._paused_for_body = False
        self._paused_for_end = False
        self._paused_for_upgrade = False
        self._paused_for_writes = False
        self._writing_paused = False
        self._drained = new_parking()
        self._dispatching = False
        self._advance_due = False
        self._closing = False
        self._lost = False
        self._eof = False
        self._upgraded = False
        self._close_requested = False
        self._out: list[bytes] = []
        self._flush_scheduled = False
        if running_trio():
            self._call_soon = None
            self._inline: InlineRunner | None = None
        else:
            loop = asyncio.get_running_loop()
            self._call_soon = loop.call_soon
            self._inline = InlineRunner(loop, spawn)
        self._starts: list[tuple[_Exchange, Responder]] = []
        self._closed_callbacks: list[Callable[[], object]] = []
        self.closed = Deferred[None]()
        """Resolves when the connection is gone (or handed to another protocol)."""
        self._arm_idle_timer()

    def on_closed(self, callback: Callable[[], object]) -> None:
        """Call `callback` once the connection is gone or handed to another protocol."""
        self._closed_callbacks.append(callback)

    def _set_closed(self) -> None:
        if self._inline is not None:
            self._inline.close()
        if self.closed.set(None):
            for callback in self._closed_callbacks:
                callback()

    def close_when_idle(self) -> None:
        """Answer the requests already read, then close; close at once if there are none."""
        self._close_requested = True
        if self._exchanges:
            self._exchanges[-1].keep_alive = False
            self._last_request = self._exchanges[-1]
        elif not self._closing:
            self._close_gracefully()

    def abort(self) -> None:
        """Drop the connection now (shutdown ran out of patience)."""
        self._closing = True
        self._transport.abort()

    # --- reading ----------------------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        """Unused: the connection is built around a connected transport."""

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return  # lingering after the last response: drop what still comes
        try:
            events = self._parser.feed(data)
        except RemoteProtocolError:
            return
        self._on_events(events)
        parser = self._parser
        error = parser.error
        if error is not None:
            self._on_parse_error(error)
        elif parser.paused:
            if not self._paused_for_upgrade and not self._closing:
                # Bytes after an upgrade request belong to the next protocol: stop reading them
                # until the handler has answered it.
                self._paused_for_upgrade = True
                self._update_reading()
        elif (
            self._head_since is None
            and self._receiving is None
            and self._head_timeout is not None
            and not parser.idle
            and not self._held
        ):
            self._start_head_deadline()
        self._flush()

    def _on_events(self, events: list[RequestHead | bytes | EndOfMessage]) -> None:
        """Dispatch one read's events in order (rule 2: queue changes wait until the end)."""
        self._dispatching = True
        try:
            for index, event in enumerate(events):
                kind = type(event)
                if kind is RequestHead and len(self._exchanges) >= self._max_pipelined:
                    self._held.extend(events[index:])
                    self._paused_for_queue = True
                    self._update_reading()
                    break
                if kind is bytes:
                    if self._receiving is not None and self._receiving.request is not None:
                        self._receiving.request.body.feed(event)  # type: ignore[arg-type]
                elif kind is RequestHead:
                    self._on_head(event)  # type: ignore[arg-type]
                else:
                    receiving = self._receiving
                    if receiving is not None and receiving.request is not None:
                        body = receiving.request.body
                        if body is not EMPTY_BODY:  # complete already; skip making trailers
                            body.end(event.trailers)  # type: ignore[union-attr]
                    self._receiving = None
                    if receiving is not None and receiving is self._last_request:
                        self._stop_reading()  # rule 3
                        break
        finally:
            if self._starts:
                self._start_responders()
            self._dispatching = False
        if self._advance_due:
            self._advance()

    def _on_head(self, head: RequestHead) -> None:
        self._idle_since = None
        self._head_since = None
        has_body = head.chunked or bool(head.content_length)
        exchange = _Exchange(None, head.keep_alive)
        if not has_body:
            body = EMPTY_BODY
        else:
            before_read = self._continue_hook(exchange) if head.expect_continue else None
            body = BodyStream(done=False, on_full=self._body_full, before_first_read=before_read)
        request = Request(head, body, self._peer, self._local, self._tls)
        exchange.request = request
        self._exchanges.append(exchange)
        self._receiving = exchange
        if not head.keep_alive:
            self._last_request = exchange
        if len(self._exchanges) >= self._max_pipelined:
            self._paused_for_queue = True
            self._update_reading()
        try:
            result = self._handler(request)
        except _CLIENT_FAULTS as error:
            # The client's fault (a malformed or oversized form ...): answered, not logged as ours.
            exchange.keep_alive = False
            result = self._client_fault(request, error)
        except Exception as error:
            self._log_failure("HTTP handler failed", request, error)
            result = _internal_error()
        if type(result) is Response and type(result.body) is bytes and result.upgrade is None:
            exchange.response = result
            self._advance()
        elif type(result) is Responder:
            if self._inline is not None:
                self._starts.append((exchange, result))  # once the read's body bytes are in
            else:
                self._spawn(self._run_responder, exchange, result)
        elif inspect.isawaitable(result):
            self._spawn(self._await_response, exchange, result)
        else:
            self._spawn(self._await_response, exchange, _ready(result))

    def _start_responders(self) -> None:
        """Start the responders of this read's requests, inline while the runner is free.

        A responder that answers without waiting (an ASGI app's small response) then costs no
        task and its response leaves with this read's flush; one that waits goes on in the
        runner's task, and the next ones get tasks of their own.
        """
        starts, self._starts = self._starts, []
        inline = self._inline
        assert inline is not None
        for exchange, responder in starts:
            if inline.ready():
                inline.run(self._run_responder(exchange, responder))
            else:
                self._spawn(self._run_responder, exchange, responder)

    def _stop_reading(self) -> None:
        """No request after this one will be handled: drop what follows and stop reading."""
        self._held.clear()
        self._paused_for_end = True
        self._update_reading()

    def _continue_hook(self, exchange: _Exchange) -> Callable[[], Awaitable[None]]:
        async def send_continue() -> None:
            request = exchange.request
            if request is None or request.body.complete or exchange.continue_sent:
                return
            while self._exchanges and self._exchanges[0] is not exchange and not self._lost:
                await exchange.wait_turn()
            if exchange.head_sent or self._transport.is_closing():
                # Too late for an interim response: the client may still send the body, or not.
                exchange.keep_alive = False
                return
            self._flush()
            self._write(_CONTINUE)
            exchange.continue_sent = True

        return send_continue

    def _body_full(self, full: bool) -> None:
        self._paused_for_body = full
        self._update_reading()

    def _update_reading(self) -> None:
        if self._closing or self._upgraded or self._lost:
            return
        if (
            self._paused_for_queue
            or self._paused_for_body
            or self._paused_for_upgrade
            or self._paused_for_end
            or self._paused_for_writes
        ):
            self._transport.pause_reading()
        else:
            self._transport.resume_reading()

    def eof_received(self) -> bool | None:
        if self._closing:
            return None  # the client answered our FIN: close now
        try:
            self._parser.feed_eof()
        except RemoteProtocolError as error:
            if self._receiving is not None and self._receiving.request is not None:
                self._receiving.request.body.fail(error)
            self._receiving = None
        # Keep the connection half-open while responses are still owed (RFC 9112 §9.6).
        self._eof = True
        for exchange in self._exchanges:
            exchange.wake()  # handlers waiting for the client to go (ASGI's http.disconnect)
        return True if self._exchanges else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._closing = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._head_timer is not None:
            self._head_timer.cancel()
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
        self._paused_for_writes = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._paused_for_writes = False
        self._update_reading()
        self._drained.wake()

    async def _await_response(self, exchange: _Exchange, pending: Awaitable[Response]) -> None:
        try:
            response = await pending
            if not isinstance(response, Response):
                raise TypeError(f"an HTTP handler returned {response!r}, not a Response")
            if response.upgrade is not None and response.status != 101:
                raise ValueError("an upgrade response must have status 101")
        except _CLIENT_FAULTS as error:
            exchange.keep_alive = False
            response = self._client_fault(exchange.request, error)
        except Exception as error:
            self._log_failure("HTTP handler failed", exchange.request, error)
            response = _internal_error()
        exchange.response = response
        if exchange.fixed:
            self._advance()
            self._flush_soon()
            return
        while self._exchanges and self._exchanges[0] is not exchange and not self._lost:
            await exchange.wait_turn()
        if not self._exchanges or self._exchanges[0] is not exchange or self._lost:
            await _close_body(response)
            return
        if response.upgrade is not None:
            self._upgrade(exchange, response)
            return
        writer = ResponseWriter(self, exchange)
        try:
            writer._start_now(response)
            if not writer.skips_body:
                body = response.body
                assert isinstance(body, AsyncIterable)
                async for piece in body:
                    await writer.write(piece)
            await writer.end()
        except ClientDisconnected:
            pass
        except _CLIENT_FAULTS as error:
            self._client_fault(exchange.request, error)
            self.abort()
            return
        except Exception as error:
            self._log_failure("streaming the response failed", exchange.request, error)
            self.abort()
        finally:
            await _close_body(response)

    async def _run_responder(self, exchange: _Exchange, responder: Responder) -> None:
        """Run a `Responder` in this task; settle what it left undone (see `_writer.py`)."""
        writer = ResponseWriter(self, exchange)
        try:
            await responder.run(writer)
        except ClientDisconnected:
            logger.debug("the client of %r went away", exchange.request)
        except Exception:
            logger.exception("HTTP handler failed for %r", exchange.request)
            writer._settle()
            return
        if writer.done:
            return
        missing = writer._settle()
        if missing is not None:
            logger.error("the handler of %r finished without %s", exchange.request, missing)

    def _answer(self, exchange: _Exchange, response: Response) -> None:
        """A whole response for `exchange`: it is written once the earlier ones are."""
        exchange.response = response
        if self._dispatching:
            self._advance_due = True  # rule 2: written when the read is dispatched, then flushed
            return
        self._advance()
        self._flush_soon()

    def _finish_streamed(self, exchange: _Exchange) -> None:
        """`exchange`'s streamed response is fully written: move on to the next request."""
        self._retire(exchange)
        self._advance()
        self._flush()

    def _client_fault(
        self, request: Request | None, error: RemoteProtocolError | ConnectionClosedError
    ) -> Response:
        """The answer to a handler failing on the client's fault, noted at debug level only."""
        if self._lost:
            logger.debug("%r: the client went away (%s)", request, error)
        else:
            logger.debug("refused %r: %s", request, error)
        return _refusal(_fault_status(error))

    def _log_failure(self, what: str, request: Request | None, error: Exception) -> None:
        """Log a failure as ours, unless the client went away under it (a reset in the middle
        of its body): that is the client's doing, noted at debug level."""
        if self._lost and isinstance(error, ConnectionClosed):
            logger.debug("%s for %r: the client went away (%s)", what, request, error)
        else:
            logger.error("%s for %r", what, request, exc_info=error)

    def _advance(self) -> None:
        """Write every ready response at the head of the queue, then see what comes next."""
        if self._dispatching:
            self._advance_due = True
            return
        self._advance_due = False
        exchanges = self._exchanges
        while exchanges:
            head = exchanges[0]
            if not head.fixed:
                head.wake()
                break
            assert head.response is not None
            self._write_fixed(head, head.response)
            if not self._retire(head):
                return
        if self._held and len(exchanges) < self._max_pipelined:
            held, self._held = self._held, []
            self._on_events(held)
            if not exchanges:
                return  # _on_events ran _advance again if it answered anything
        if self._paused_for_queue and not self._held and len(exchanges) < self._max_pipelined:
            self._paused_for_queue = False
            self._update_reading()
        if exchanges or self._closing:
            return
        if self._eof or self._close_requested:
            self._close_gracefully()
        elif self._parser.paused and not self._upgraded:
            # The upgrade request was answered without switching: its successors may follow.
            self._paused_for_upgrade = False
            self._update_reading()
            self._on_events(self._parser.resume())
            if self._parser.error is not None:
                self._on_parse_error(self._parser.error)
        if not exchanges:
            self._arm_idle_timer()

    def _retire(self, exchange: _Exchange) -> bool:
        """`exchange` is fully written: drop it; False when the connection must now close."""
        self._exchanges.popleft()
        request = exchange.request
        if request is not None and not request.body.complete:
            if request.head.expect_continue and not exchange.continue_sent:
                exchange.keep_alive = False
            request.body.discard()
        if exchange.keep_alive:
            return True
        for later in self._exchanges:
            later.wake()
        self._exchanges.clear()
        self._close_gracefully()
        return False

    def _headers_for(
        self, exchange: _Exchange, response: Response
    ) -> tuple[list[tuple[str, str]], int | None]:
        """The header fields to send, and the Content-Length the application declared.

        Framing is the server's to write: an application's ``Content-Length`` and
        ``Transfer-Encoding`` never reach the wire as given, so a response can never carry two
        framings (a response-smuggling shape). A declared length is honoured for streamed
        bodies, which then go out unchunked and must match it.
        """
        headers = response.headers.items()
        has_date = False
        connection = None
        declared: int | None = None
        framing = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "date":
                has_date = True
            elif lowered == "connection":
                connection = value
            elif lowered == "content-length" or lowered == "transfer-encoding":
                framing = True
                if lowered == "content-length" and value.strip().isdigit():
                    declared = int(value.strip())
        if framing:
            headers = [
                (name, value)
                for name, value in headers
                if name.lower() not in ("content-length", "transfer-encoding")
            ]
        extra = [] if has_date else [("Date", _DateCache.now())]
        if connection is not None and "close" in connection.lower():
            exchange.keep_alive = False
        elif not exchange.keep_alive:
            extra.append(("Connection", "close"))
        elif exchange.request is not None and exchange.request.version == "1.0":
            extra.append(("Connection", "keep-alive"))
        return (headers + extra if extra else headers), declared

    def _write_fixed(self, exchange: _Exchange, response: Response) -> None:
        """Queue a whole response for the next flush, encoded in one call into Rust (which
        applies `_headers_for`'s rules); a response that cannot be encoded (a header value with
        CR, LF or a non-latin-1 character) is replaced by a 500."""
        request = exchange.request
        head = None if request is None else request.head
        http10 = head is not None and head.version == "1.0"
        to_head = head is not None and head.method == "HEAD"
        body = response.body
        assert isinstance(body, bytes)
        date = _DateCache.now()
        try:
            data, closes = encode_fixed_response(
                response.status,
                response.headers.items(),
                body,
                date,
                exchange.keep_alive,
                http10,
                to_head,
            )
        except Exception:
            logger.exception("cannot encode the response to %r", request)
            fallback = _internal_error()
            assert isinstance(fallback.body, bytes)
            data, closes = encode_fixed_response(
                500,
                fallback.headers.items(),
                fallback.body,
                date,
                exchange.keep_alive,
                http10,
                to_head,
            )
        if closes:
            exchange.keep_alive = False
        exchange.head_sent = True
        if self._on_response is not None:
            self._on_response(request, response.status)
        if not self._transport.is_closing():
            self._out.append(data)

    def _upgrade(self, exchange: _Exchange, response: Response) -> None:
        """Send the 101 and hand the connection over in this same turn of the loop.

        The new protocol takes the transport before any further read or EOF can arrive; its
        work then runs in a task of its own, so nothing of the HTTP connection stays alive.
        """
        assert response.upgrade is not None
        self._upgraded = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._flush()
        self._write(encode_response_head(101, response.headers.items()))
        if self._on_response is not None:
            self._on_response(exchange.request, 101)
        self._exchanges.popleft()
        trailing = self._parser.take_trailing()
        self._set_closed()
        try:
            work = response.upgrade(self._transport, trailing)
        except Exception:
            logger.exception("the upgrade for %r failed", exchange.request)
            self.abort()
            return
        if work is not None:
            self._spawn(_itself, work)

    # --- ending -----------------------------------------------------------------------------

    def _on_parse_error(self, error: RemoteProtocolError) -> None:
        """Answer a malformed request after the earlier ones, then close cleanly."""
        if self._receiving is not None and self._receiving.request is not None:
            self._receiving.request.body.fail(error)
            self._receiving = None
        self._answer_and_close(error.status_hint)

    def _answer_and_close(self, status: int) -> None:
        """Answer with `status` after the requests already read, then close; read no more."""
        self._held.clear()
        self._head_since = None
        exchange = _Exchange(None, keep_alive=False)
        exchange.response = _refusal(status)
        self._exchanges.append(exchange)
        self._last_request = exchange
        self._stop_reading()
        self._advance()

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

    def _close_gracefully(self) -> None:
        """Rule 5: what is due goes out, then FIN; the client's EOF (or a timer) closes."""
        if self._closing:
            return
        self._closing = True
        transport = self._transport
        if transport.is_closing():
            return
        self._flush()
        can_write_eof = getattr(transport, "can_write_eof", None)
        if self._eof or can_write_eof is None or not can_write_eof():
            transport.close()
            return
        transport.write_eof()  # type: ignore[attr-defined]
        transport.resume_reading()
        self._timers.call_later(LINGER_SECONDS, transport.close)

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
            self._idle_timer = self._idle_timeout.register(self._on_idle, after=remaining)
        else:
            self._close_gracefully()

    def _start_head_deadline(self) -> None:
        """The first bytes of a request head arrived: the rest must follow in `head_timeout`."""
        assert self._head_timeout is not None
        self._head_since = self._now()
        if self._head_timer is None:
            self._head_timer = self._head_timeout.register(self._on_head_deadline)

    def _on_head_deadline(self) -> None:
        self._head_timer = None
        if self._head_since is None or self._closing or self._head_timeout is None:
            return
        remaining = self._head_since + self._head_timeout.timeout - self._now()
        if remaining > 0:
            self._head_timer = self._head_timeout.register(self._on_head_deadline, after=remaining)
            return
        if self._paused_for_queue or self._paused_for_body or self._paused_for_writes:
            self._start_head_deadline()  # we stopped reading, not the client: start again
            return
        logger.debug("no complete request head from %r in time: 408", self._peer)
        self._answer_and_close(408)
        self._flush()


_LOCAL_ADDRESSES_KEPT = 64
_local_addresses: dict[Any, Any] = {}


def _shared_local(address: Any) -> Any:
    """The first address seen equal to `address`: connections accepted on one listener share
    their local address, which every request and WebSocket session keeps (a copy each, as the
    transport makes a new tuple per call, would cost an idle session 150 bytes)."""
    try:
        shared = _local_addresses.get(address)
    except TypeError:  # not hashable: an unusual transport's own kind of address
        return address
    if shared is not None:
        return shared
    if len(_local_addresses) >= _LOCAL_ADDRESSES_KEPT:
        _local_addresses.clear()  # listeners come and go (tests, reloads): start again
    _local_addresses[address] = address
    return address


def _shared_host(address: Any) -> Any:
    """A peer's ``(host, port, ...)`` with the host string interned: clients behind one proxy or
    address share it. Anything else (a Unix socket's name) as it is."""
    if type(address) is tuple and address and type(address[0]) is str:
        return (sys.intern(address[0]), *address[1:])
    return address


async def _ready(value: Any) -> Response:
    """An awaitable of a value a synchronous handler returned, for the task-based path."""
    return value  # type: ignore[no-any-return]


def _itself(work: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
    """`work` as the function a task is spawned from: the task runs it with no frame around it
    (every resumption of a WebSocket session's task would otherwise pass through one more)."""
    return work


async def _close_body(response: Response) -> None:
    """Close a streamed body's iterator if it has `aclose` (async generators do)."""
    aclose = getattr(response.body, "aclose", None)
    if aclose is not None:
        await aclose()
