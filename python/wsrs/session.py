"""WebSocket sessions over a transport (see `_transport.py`): the raw one and the default one.

Both are asyncio-style protocols: each socket read reaches `data_received`, which feeds the Rust
decoder once and queues what it returns; `send` encodes in Rust and writes straight to the
transport, waiting only while the transport's write buffer is over `write_limit`. No task, future
or lock stands on the per-message path.

`WebSocketSession` (Ktor's raw session) hands every frame to the user, control frames and
fragments included, and does nothing on its own beyond failing on protocol violations.
`DefaultWebSocketSession` delivers whole messages (`str` for text, `bytes` for binary), answers
pings, pings the peer, and runs the close handshake of RFC 6455 §7:

- Our Close goes out once, after everything sent before it. The peer's Close is echoed (same code
  and message; an empty one with an empty one). `close_reason` then resolves to the reason that
  settled the close: ours when we closed first, the peer's when it did (1005 for an empty Close),
  the code we sent when we failed the connection (1002, 1007, 1009, 1011), 1006 when the
  connection dropped without a Close.
- After both Close frames the server closes TCP first (RFC 6455 §7.1.1); the client waits for it.
  `close_timeout` bounds the whole closing phase, after which the connection is dropped.
- A protocol violation, an oversize frame or message, invalid UTF-8 and a ping timeout fail the
  connection: our Close with the matching code goes out and TCP is closed without waiting.
- Cancellation is never swallowed: a cancelled `run` writes a best-effort Close and re-raises.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectSendStream

from wsrs._sync import Deferred, Parking
from wsrs._transport import Transport
from wsrs._wsrs import CloseReason, Frame, FrameDecoder, FrameEncoder, FrameType
from wsrs.config import SessionConfig
from wsrs.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    RemoteProtocolError,
)
from wsrs.pingpong import pinger
from wsrs.timeouts import TimerHandle, Timers

if TYPE_CHECKING:
    from wsrs._wsrs import ResponseHead
    from wsrs.http import Request

__all__ = ["DefaultWebSocketSession", "Message", "WebSocketSession"]

Message = str | bytes
"""A whole message as the default session delivers it: text as `str`, binary as `bytes`."""

T = TypeVar("T")

NORMAL_CLOSE = CloseReason(1000, "")
_NO_STATUS = CloseReason(1005, "")
_ABNORMAL = CloseReason(1006, "Connection was closed without close frame")
_OK_CODES = frozenset({1000, 1001, 1005})
_MAX_REASON_BYTES = 123


def error_reason(code: int, message: str) -> CloseReason:
    """A Close reason whose message is cut to 123 UTF-8 bytes at a character boundary."""
    data = message.encode("utf-8")
    if len(data) > _MAX_REASON_BYTES:
        message = data[:_MAX_REASON_BYTES].decode("utf-8", "ignore")
    return CloseReason(code, message)


def closed_exception(sent: CloseReason | None, received: CloseReason | None) -> ConnectionClosed:
    """`ConnectionClosedOK` when the settling code is 1000, 1001 or 1005, else the error kind."""
    settled = received if received is not None else sent
    if settled is not None and settled.code in _OK_CODES:
        return ConnectionClosedOK(sent, received)
    return ConnectionClosedError(sent, received)


class _SessionBase(Generic[T]):
    """What both sessions share: the transport, flow control both ways, the inbox and `flush`."""

    def __init__(
        self,
        transport: Transport,
        *,
        client: bool,
        config: SessionConfig,
        timers: Timers,
        task_group: anyio.abc.TaskGroup,
        subprotocol: str | None,
        reassemble: bool,
    ) -> None:
        self._transport = transport
        self._write = transport.write
        self._client = client
        self._config = config
        self._timers = timers
        self._task_group = task_group
        self._decoder = FrameDecoder(
            client=client, max_frame_size=config.max_frame_size, reassemble=reassemble
        )
        self._encoder = FrameEncoder(masking=client)
        self._inbox: deque[T] = deque()
        self._readers = Parking()
        self._writers = Parking()
        self._lost = Deferred[None]()
        self._incoming_end: ConnectionClosed | None = None
        self._deferred_error: RemoteProtocolError | None = None
        self._writing_paused = False
        self._reading_paused = False
        self._resume_below = max(1, config.incoming_capacity // 4)
        self.subprotocol = subprotocol
        """The subprotocol agreed in the opening handshake, if any."""
        self.request: Request | None = None
        """On the server, the opening handshake's request (path, headers, client address)."""
        self.response: ResponseHead | None = None
        """On the client, the server's handshake response (status and headers)."""
        transport.set_write_buffer_limits(high=config.write_limit, low=config.write_limit // 4)
        transport.set_protocol(self)
        transport.resume_reading()

    # --- settings ---------------------------------------------------------------------------

    @property
    def masking(self) -> bool:
        """Mask outgoing frames with a fresh random key each (clients do; settable any time)."""
        return self._encoder.masking

    @masking.setter
    def masking(self, value: bool) -> None:
        self._encoder.masking = value

    @property
    def max_frame_size(self) -> int:
        """Cap on one incoming frame and on one reassembled message (1009 above it)."""
        return self._decoder.max_frame_size

    @max_frame_size.setter
    def max_frame_size(self, value: int) -> None:
        if value < 1:
            raise ValueError("max_frame_size must be positive")
        self._decoder.max_frame_size = value

    @property
    def remote_address(self) -> Any:
        """The peer's socket address."""
        return self._transport.get_extra_info("peername")

    @property
    def local_address(self) -> Any:
        """This side's socket address."""
        return self._transport.get_extra_info("sockname")

    @property
    def incoming(self) -> Incoming[T]:
        """The incoming channel: `receive()`, `async for`."""
        return Incoming(self)

    @property
    def outgoing(self) -> Outgoing:
        """The outgoing channel: `send()`; bounded by `write_limit` bytes not yet on the socket."""
        return Outgoing(self)

    # --- receiving --------------------------------------------------------------------------

    async def receive(self) -> T:
        """The next incoming item; `ConnectionClosed` once the session is closed and drained."""
        inbox = self._inbox
        while not inbox:
            if self._incoming_end is not None:
                raise self._incoming_end
            if self._deferred_error is not None:
                self._fail_protocol(self._deferred_error)
                continue
            await self._readers.park()
        item = inbox.popleft()
        if self._reading_paused and len(inbox) <= self._resume_below:
            self._reading_paused = False
            self._transport.resume_reading()
        return item

    def __aiter__(self) -> _SessionBase[T]:
        return self

    async def __anext__(self) -> T:
        """The next item; iteration ends on a normal close and raises on an abnormal one."""
        try:
            return await self.receive()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None

    def _after_delivery(self) -> None:
        """Wake receivers; stop reading the socket while the inbox is full (backpressure)."""
        self._readers.wake()
        if not self._reading_paused and len(self._inbox) >= self._config.incoming_capacity:
            self._reading_paused = True
            self._transport.pause_reading()

    def _fail_protocol(self, error: RemoteProtocolError) -> None:
        """Fail the connection for a violation of the peer's (with the error's close code)."""
        raise NotImplementedError

    async def send(self, message: Frame | str | bytes) -> None:
        """Send a frame or a whole message."""
        raise NotImplementedError

    def _end_incoming(self, end: ConnectionClosed) -> None:
        if self._incoming_end is None:
            self._incoming_end = end
            self._readers.wake()

    # --- sending ----------------------------------------------------------------------------

    async def _wait_writable(self) -> None:
        while self._writing_paused:
            if self._lost.done():
                return
            await self._writers.park()

    async def flush(self) -> None:
        """Return once everything sent before this call has been written to the socket.

        It does not mean the peer received it. Returns at once when the connection is gone.
        """
        transport = self._transport
        limit = self._config.write_limit
        while not self._lost.done() and transport.get_write_buffer_size() > 0:
            transport.set_write_buffer_limits(high=0, low=0)
            try:
                await self._writers.park()
            finally:
                if not self._lost.done():
                    transport.set_write_buffer_limits(high=limit, low=limit // 4)

    def terminate(self) -> None:
        """Drop the connection now, without a closing handshake."""
        self._transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is closed."""
        await self._lost

    # --- transport callbacks ----------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        """Unused: sessions take over a transport that is already connected."""

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._writers.wake()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._writing_paused = False
        self._lost.set(None)
        self._writers.wake()


class Incoming(Generic[T]):
    """A session's incoming channel, as Ktor's `incoming`: `receive()` and `async for`."""

    __slots__ = ("_session",)

    def __init__(self, session: _SessionBase[T]) -> None:
        self._session = session

    async def receive(self) -> T:
        """The next item; `ConnectionClosed` once the session is closed and drained."""
        return await self._session.receive()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._session


class Outgoing:
    """A session's outgoing channel, as Ktor's `outgoing`: `send()` waits while it is full."""

    __slots__ = ("_session",)

    def __init__(self, session: _SessionBase[Any]) -> None:
        self._session = session

    async def send(self, item: Frame | str | bytes) -> None:
        """Send a frame or a whole message (see the session's `send`)."""
        await self._session.send(item)


class WebSocketSession(_SessionBase[Frame]):
    """Ktor's raw session: every frame in and out as it is, with no automatic behaviour.

    Control frames and fragments reach `incoming` unchanged (continuations carry their message's
    type); nothing answers pings or Close frames. A protocol violation still fails the connection
    with the matching close code, and `incoming` then raises `ConnectionClosedError`.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        client: bool,
        config: SessionConfig,
        timers: Timers,
        task_group: anyio.abc.TaskGroup,
        subprotocol: str | None = None,
    ) -> None:
        super().__init__(
            transport,
            client=client,
            config=config,
            timers=timers,
            task_group=task_group,
            subprotocol=subprotocol,
            reassemble=False,
        )
        self._close_sent: CloseReason | None = None
        self._received: CloseReason | None = None
        self._close_written = False

    async def send(self, frame: Frame | str | bytes) -> None:
        """Write a frame (a `str` is one final Text frame, `bytes` one final Binary frame)."""
        if self._close_written or self._lost.done():
            raise closed_exception(self._close_sent, None)
        if self._writing_paused:
            await self._wait_writable()
        encoder = self._encoder
        if isinstance(frame, str):
            self._write(encoder.encode_text(frame))
        elif isinstance(frame, bytes | bytearray | memoryview):
            self._write(encoder.encode_binary(frame))
        else:
            self._write(encoder.encode_frame(frame))
            if frame.frame_type == FrameType.CLOSE:
                self._close_written = True
                self._close_sent = frame.read_reason()

    async def close(self, reason: CloseReason | None = NORMAL_CLOSE) -> None:
        """Send a Close frame and flush; the raw session does not wait for the peer's."""
        if self._close_written or self._lost.done():
            return
        await self.send(Frame.close(reason))
        await self.flush()

    def data_received(self, data: bytes) -> None:
        decoder = self._decoder
        try:
            frames = decoder.feed(data)
        except RemoteProtocolError:
            return
        for frame in frames:
            self._inbox.append(frame)  # type: ignore[arg-type]
            if frame.frame_type == FrameType.CLOSE:  # type: ignore[union-attr]
                self._received = frame.read_reason() or _NO_STATUS  # type: ignore[union-attr]
        if frames:
            self._after_delivery()
        if decoder.error is not None:
            self._fail_protocol(decoder.error)

    def _fail_protocol(self, error: RemoteProtocolError) -> None:
        reason = error_reason(error.close_code, error.message)
        if not self._close_written and not self._transport.is_closing():
            self._write(self._encoder.encode_close(reason))
            self._close_written = True
            self._close_sent = reason
        end = ConnectionClosedError(reason, None)
        end.__cause__ = error
        self._end_incoming(end)
        self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_incoming(closed_exception(self._close_sent, self._received))
        super().connection_lost(exc)


class DefaultWebSocketSession(_SessionBase[Message]):
    """Whole messages, automatic ping/pong, and the close handshake (see the module docstring).

    Created by `wsrs.serve` for each accepted WebSocket and by `wsrs.connect`; it lives as long as
    the task group it was given.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        client: bool,
        config: SessionConfig,
        timers: Timers,
        task_group: anyio.abc.TaskGroup,
        subprotocol: str | None = None,
    ) -> None:
        super().__init__(
            transport,
            client=client,
            config=config,
            timers=timers,
            task_group=task_group,
            subprotocol=subprotocol,
            reassemble=True,
        )
        self._close_reason = Deferred[CloseReason]()
        self._sent: CloseReason | None = None
        self._received: CloseReason | None = None
        self._close_written = False
        self._close_frame_received = False
        self._close_timer: TimerHandle | None = None
        self._ping_interval = config.ping_interval
        self._timeout = config.timeout
        self.close_timeout = config.close_timeout
        """Seconds the closing handshake may take before the connection is dropped."""
        self._pongs: MemoryObjectSendStream[Frame] | None = None
        self._restart_pinger()

    # --- Ktor's members ---------------------------------------------------------------------

    @property
    def close_reason(self) -> Deferred[CloseReason]:
        """Resolves once, on every path, to the reason that settled the close (`await` it)."""
        return self._close_reason

    @property
    def ping_interval(self) -> float | None:
        """Seconds between pings, or None for no pings; setting it restarts the pinger."""
        return self._ping_interval

    @ping_interval.setter
    def ping_interval(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError("ping_interval must be positive, or None to disable pings")
        self._ping_interval = value
        self._restart_pinger()

    @property
    def timeout(self) -> float:
        """Seconds a ping waits for its pong before 1011 "Ping timeout"; restarts the pinger."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        if value <= 0:
            raise ValueError("timeout must be positive")
        self._timeout = value
        self._restart_pinger()

    async def send(self, message: Frame | str | bytes) -> None:
        """Send a whole message (`str` as Text, `bytes` as Binary) or a frame.

        Waits while `write_limit` bytes are waiting for the socket. A Close frame starts the
        close handshake (without waiting for it); after that every send raises
        `ConnectionClosed`.
        """
        if self._close_written or self._lost.done():
            raise closed_exception(self._sent, self._received)
        if self._writing_paused:
            await self._wait_writable()
            if self._close_written or self._lost.done():
                raise closed_exception(self._sent, self._received)
        encoder = self._encoder
        if isinstance(message, str):
            self._write(encoder.encode_text(message))
        elif isinstance(message, bytes | bytearray | memoryview):
            self._write(encoder.encode_binary(message))
        elif message.frame_type == FrameType.CLOSE:
            self._start_close(message.read_reason() or NORMAL_CLOSE)
        else:
            self._write(encoder.encode_frame(message))

    async def close(
        self, reason: CloseReason | BaseException | int | None = None, message: str = ""
    ) -> None:
        """Close the session and wait, at most `close_timeout`, for the handshake to finish.

        `reason` may be a `CloseReason`, a close code (with `message`), None for (1000, ""), or an
        exception as Ktor's `close(cause)`: a cancellation closes with (1000, ""), anything else
        with (1011, its text). If a Close was already sent, its reason stands.
        """
        if isinstance(reason, BaseException):
            if isinstance(reason, anyio.get_cancelled_exc_class()):
                close_reason = NORMAL_CLOSE
            else:
                close_reason = error_reason(1011, str(reason) or type(reason).__name__)
        elif isinstance(reason, CloseReason):
            close_reason = reason
        elif reason is None:
            close_reason = CloseReason(1000, message)
        else:
            close_reason = CloseReason(int(reason), message)
        self._start_close(close_reason)
        await self._lost

    async def run(self, handler: Callable[[DefaultWebSocketSession], Awaitable[None]]) -> None:
        """Run `handler(self)`, then close: (1000, "") when it returns, (1011, …) when it raises.

        The handler's exception is re-raised after the close. When cancelled, a best-effort
        Close (1000, "") is written without waiting, and the cancellation propagates.
        """
        try:
            await handler(self)
        except anyio.get_cancelled_exc_class():
            self._start_close(NORMAL_CLOSE)
            raise
        except Exception as exc:
            with anyio.CancelScope(shield=True):
                await self.close(exc)
            raise
        await self.close()

    # --- close sequence ---------------------------------------------------------------------

    def _write_close(self, reason: CloseReason | None) -> bool:
        """Write our Close frame once and give the closing phase its deadline; True if written."""
        if self._close_written:
            return False
        self._close_written = True
        self._stop_pinger()
        if self._lost.done() or self._transport.is_closing():
            return False
        self._sent = reason
        self._write(self._encoder.encode_close(reason))
        self._close_timer = self._timers.call_later(self.close_timeout, self.terminate)
        return True

    def _start_close(self, reason: CloseReason) -> None:
        """Close first: our Close goes out; incoming stays open until the peer's Close or EOF."""
        if self._deferred_error is not None:
            self._fail_protocol(self._deferred_error)
        elif self._write_close(reason):
            self._close_reason.set(reason)

    def _fail(self, reason: CloseReason, cause: BaseException | None = None) -> None:
        """Fail the connection (RFC 6455 §7.1.7): our Close with `reason`, then close TCP."""
        self._write_close(reason)
        self._close_reason.set(self._sent or reason)
        end = closed_exception(self._sent, self._received)
        end.__cause__ = cause
        self._end_incoming(end)
        self._transport.close()

    def _on_close_frame(self, frame: Frame) -> None:
        received = frame.read_reason()
        self._close_frame_received = True
        self._received = received if received is not None else _NO_STATUS
        if not self._close_written:
            self._write_close(received)
        self._close_reason.set(self._received)
        self._end_incoming(closed_exception(self._sent, self._received))
        self._finish_handshake()

    def _finish_handshake(self) -> None:
        """Both Close frames are out: the server closes TCP, the client waits for it to."""
        if not self._client:
            self._transport.close()

    def _on_ping_timeout(self, reason: CloseReason) -> None:
        self._fail(reason)

    def _restart_pinger(self) -> None:
        self._stop_pinger()
        if self._ping_interval is None or self._close_written or self._lost.done():
            return
        self._pongs = pinger(
            self._task_group,
            self,
            self._ping_interval,
            self._timeout,
            self._on_ping_timeout,
        )

    def _stop_pinger(self) -> None:
        if self._pongs is not None:
            self._pongs.close()
            self._pongs = None

    # --- transport callbacks ----------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        decoder = self._decoder
        try:
            events = decoder.feed(data)
        except RemoteProtocolError:
            return
        delivered = False
        inbox = self._inbox
        for event in events:
            if type(event) is Frame:
                self._on_control(event)
            else:
                inbox.append(event)
                delivered = True
        if delivered:
            self._after_delivery()
        error = decoder.error
        if error is not None:
            if inbox:
                # The messages before the violation are delivered first, and the handler's answers
                # to them go out before our Close: the failure waits for the next `receive`.
                self._deferred_error = error
            else:
                self._fail_protocol(error)

    def _fail_protocol(self, error: RemoteProtocolError) -> None:
        self._deferred_error = None
        self._fail(error_reason(error.close_code, error.message), error)

    def _on_control(self, frame: Frame) -> None:
        frame_type = frame.frame_type
        if frame_type == FrameType.PING:
            if not self._close_written and not self._transport.is_closing():
                self._write(self._encoder.encode_pong(frame.data))
        elif frame_type == FrameType.PONG:
            if self._pongs is not None:
                try:
                    self._pongs.send_nowait(frame)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    self._pongs = None
        elif frame_type == FrameType.CLOSE:
            self._on_close_frame(frame)

    def eof_received(self) -> bool | None:
        if not self._close_frame_received:
            self._close_reason.set(self._sent or _ABNORMAL)
            self._end_incoming(closed_exception(self._sent, None))
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_pinger()
        if self._close_timer is not None:
            self._close_timer.cancel()
        self._close_reason.set(self._sent or _ABNORMAL)
        self._end_incoming(closed_exception(self._sent, self._received))
        super().connection_lost(exc)
