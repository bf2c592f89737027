"""WebSocket sessions: the raw one (frames as they come) and the default one (Ktor's).

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
  connection: our Close with the matching code goes out and TCP is closed without waiting. The
  messages that arrived before a violation are delivered first, and the answers to them go out
  before our Close: the failure happens at the next `receive`.
- Cancellation is never swallowed: a cancelled `run` writes a best-effort Close and re-raises.

The per-message path is described in `_session_base.py`: no task, future or lock stands on it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio

from wsrs._loop.sync import Deferred
from wsrs._loop.timers import TimerHandle
from wsrs._loop.transport import read_directly, stop_reading_directly
from wsrs._wsrs import CloseReason, Frame, FrameEncoder, FrameType
from wsrs.exceptions import ConnectionClosed, ConnectionClosedError, RemoteProtocolError
from wsrs.ws._session_base import (
    ABNORMAL,
    NO_STATUS,
    NORMAL_CLOSE,
    Incoming,
    Outgoing,
    SessionBase,
    closed_exception,
    not_a_message,
)
from wsrs.ws.pingpong import PING_TIMEOUT_REASON, ping_payload

__all__ = ["DefaultWebSocketSession", "Incoming", "Message", "Outgoing", "WebSocketSession"]

logger = logging.getLogger("wsrs")

Message = str | bytes
"""A whole message as the default session delivers it: text as `str`, binary as `bytes`."""


def _encode(encoder: FrameEncoder, message: object, compress: bool | None) -> bytes | None:
    """The wire bytes of a frame or of a message in a buffer other than `bytes` (`str` and
    `bytes` go through `FrameEncoder.write_message`), or None for a Close frame (which the
    caller handles)."""
    if isinstance(message, Frame):
        if message.frame_type == FrameType.CLOSE:
            return None
        return encoder.encode_frame(message, compress)
    if isinstance(message, bytearray | memoryview):
        return encoder.encode_binary(message, True, compress)
    raise not_a_message(message)


class WebSocketSession(SessionBase[Frame]):
    """Ktor's raw session: every frame in and out as it is, with no automatic behaviour.

    Control frames and fragments reach `incoming` unchanged (continuations carry their message's
    type); nothing answers pings or Close frames. A protocol violation still fails the connection
    with the matching close code, and `incoming` then raises `ConnectionClosedError`.
    """

    __slots__ = ()
    _reassemble = False

    def _send_frame(self, message: object, compress: bool | None) -> None:
        """Write a frame now (a buffer is one final Binary frame)."""
        data = _encode(self._encoder, message, compress)
        if data is None:
            assert isinstance(message, Frame)
            self._write(self._encoder.encode_frame(message))
            self._close_written = True
            self._sent = message.read_reason()
        else:
            self._write(data)

    async def close(self, reason: CloseReason | None = NORMAL_CLOSE) -> None:
        """Send a Close frame and flush; the raw session does not wait for the peer's."""
        if self._close_written or self._connection_lost:
            return
        await self.send(Frame.close(reason))
        await self.flush()

    def _deliver(self, frames: list[Frame]) -> None:
        decoder = self._decoder
        inbox = self._inbox
        for frame in frames:
            if frame.frame_type == FrameType.CLOSE:
                self._received = frame.read_reason() or NO_STATUS
            # Looked up per frame: a handler may set another, or none, for the frames after it.
            handler = inbox.handler
            if handler is not None:
                if not self._dispatch(handler, frame):
                    return
            else:
                inbox.append(frame)
        if frames and inbox.handler is None:
            inbox.queued()
        elif frames:
            self._after_handler()
        if decoder.error is not None:
            self._fail_protocol(decoder.error)

    def _fail_protocol(self, error: RemoteProtocolError) -> None:
        self._fail(CloseReason.truncated(error.close_code, error.message), error)

    def _fail(self, reason: CloseReason, cause: BaseException | None = None) -> None:
        if not self._close_written and not self._transport.is_closing():
            self._write(self._encoder.encode_close(reason))
            self._close_written = True
            self._sent = reason
        end = ConnectionClosedError(reason, None)
        end.__cause__ = cause
        self._end_incoming(end)
        self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_incoming(closed_exception(self._sent, self._received))
        super().connection_lost(exc)


class DefaultWebSocketSession(SessionBase[Message]):
    """Whole messages, automatic ping/pong, and the close handshake (see the module docstring).

    Created by `wsrs.serve` for each accepted WebSocket and by `wsrs.connect`; it lives as long as
    the task group it was given.
    """

    __slots__ = (
        "_awaited_pong",
        "_close_frame_received",
        "_close_reason",
        "_close_timer",
        "_pending_pong",
        "_ping_interval",
        "_ping_timer",
        "_timeout",
        "buffer_updated",
        "close_timeout",
        "data_received",
    )

    _reassemble = True

    def _init_state(self) -> None:
        # Both read entry points are the inbox's: a read costs no Python frame of ours.
        self.buffer_updated = self.data_received = self._inbox.read  # type: ignore[method-assign,assignment]
        # On asyncio's plain-socket transport the inbox reads the socket itself, too.
        read_directly(self._transport, self._inbox)
        self._close_reason = Deferred[CloseReason]()
        self._close_frame_received = False
        self._close_timer: TimerHandle | None = None
        self._ping_interval = self._config.ping_interval
        self._timeout = self._config.timeout
        self.close_timeout = self._config.close_timeout
        """Seconds the closing handshake may take before the connection is dropped."""
        self._ping_timer: TimerHandle | None = None
        self._awaited_pong: bytes | None = None
        self._pending_pong: bytes | None = None
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
        if value is not None and not value > 0:  # NaN too
            raise ValueError("ping_interval must be positive, or None to disable pings")
        self._ping_interval = value
        self._restart_pinger()

    @property
    def timeout(self) -> float:
        """Seconds a ping waits for its pong before 1011 "Ping timeout"; restarts the pinger."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        if not value > 0:  # NaN too
            raise ValueError("timeout must be positive")
        self._timeout = value
        self._restart_pinger()

    def _send_frame(self, message: object, compress: bool | None) -> None:
        """Send a frame or a buffer now; a Close frame starts the close handshake."""
        data = _encode(self._encoder, message, compress)
        if data is not None:
            self._write(data)
        else:
            assert isinstance(message, Frame)
            self._start_close(message.read_reason() or NORMAL_CLOSE)

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
                close_reason = CloseReason.truncated(1011, str(reason) or type(reason).__name__)
        elif isinstance(reason, CloseReason):
            close_reason = reason
        elif reason is None:
            close_reason = CloseReason(1000, message)
        else:
            close_reason = CloseReason(int(reason), message)
        self._start_close(close_reason)
        await self._lost

    def run(
        self, handler: Callable[[DefaultWebSocketSession], Awaitable[None]]
    ) -> Coroutine[Any, Any, None]:
        """Run `handler(self)`, then close: (1000, "") when it returns, (1011, …) when it raises.

        The handler's exception is re-raised after the close. When cancelled, a best-effort
        Close (1000, "") is written without waiting, and the cancellation propagates. (Await the
        result: it is the coroutine that does all this, with no frame of `run` around it.)
        """
        return self._run(handler, None)

    async def _run(
        self,
        handler: Callable[[DefaultWebSocketSession], Awaitable[None]],
        ended: Callable[[DefaultWebSocketSession], object] | None,
    ) -> None:
        """`run`; with `ended`, as a server runs its session: a close ends it quietly, a failing
        handler is logged, not raised, and `ended(self)` comes last. One coroutine for both,
        so a served session's task holds (and each wake-up passes) one frame fewer."""
        try:
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
        except ConnectionClosed:
            if ended is None:
                raise
        except Exception:
            if ended is None:
                raise
            logger.exception("WebSocket handler failed for %r", self.request)
        finally:
            if ended is not None:
                ended(self)

    # --- close sequence ---------------------------------------------------------------------

    def _write_close(self, reason: CloseReason | None, *, after_sent: bool = False) -> bool:
        """Write our Close frame once and give the closing phase its deadline; True if written.

        With `after_sent` (a close of our own), it follows a message being compressed and those
        held behind it; a failure or an answer to the peer's Close goes out at once.
        """
        if self._close_written:
            return False
        self._close_written = True
        self._stop_pinger()
        self._arm_close_timer()
        if self._connection_lost or self._transport.is_closing():
            return False
        self._sent = reason
        close = self._encoder.encode_close(reason)
        if after_sent:
            self._write_close_frame(close)
        else:
            self._write(close)
        return True

    def _arm_close_timer(self) -> None:
        """The closing phase has begun: drop the connection if it lasts over `close_timeout`."""
        if self._close_timer is None and not self._connection_lost:
            self._close_timer = self._timers.call_later(self.close_timeout, self.terminate)

    def _start_close(self, reason: CloseReason) -> None:
        """Close first: our Close goes out; incoming stays open until the peer's Close or EOF."""
        if self._deferred_error is not None:
            self._fail_protocol(self._deferred_error)
        elif self._write_close(reason, after_sent=True):
            self._close_reason.set(reason)

    def _fail(self, reason: CloseReason, cause: BaseException | None = None) -> None:
        """Fail the connection (RFC 6455 §7.1.7): our Close with `reason`, then close TCP."""
        self._write_held_close()
        self._write_close(reason)
        self._close_reason.set(self._sent or reason)
        end = closed_exception(self._sent, self._received)
        end.__cause__ = cause
        self._end_incoming(end)
        self._transport.close()

    def _fail_protocol(self, error: RemoteProtocolError) -> None:
        self._deferred_error = None
        self._fail(CloseReason.truncated(error.close_code, error.message), error)

    def _on_close_frame(self, frame: Frame) -> None:
        received = frame.read_reason()
        self._close_frame_received = True
        self._received = received if received is not None else NO_STATUS
        if not self._close_written:
            self._write_close(received)
        self._write_held_close()
        self._close_reason.set(self._received)
        self._end_incoming(closed_exception(self._sent, self._received))
        if not self._client:
            # Both Close frames are out: the server closes TCP first, the client waits for it.
            self._transport.close()

    # The keep-alive follows `pingpong.pinger` exactly (a period, a ping with a fresh payload,
    # only the exact pong counts, the timeout runs from before the send, 1011 "Ping timeout"),
    # but on the shared timers instead of a task: an idle session then costs no task at all.

    def _restart_pinger(self) -> None:
        self._stop_pinger()
        if self._ping_interval is None or self._close_written or self._connection_lost:
            return
        self._ping_timer = self._timers.call_later(self._ping_interval, self._ping)

    def _stop_pinger(self) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        self._awaited_pong = None

    def _ping(self) -> None:
        if self._close_written or self._connection_lost or self._transport.is_closing():
            return
        self._awaited_pong = ping_payload()
        self._ping_timer = self._timers.call_later(self._timeout, self._on_ping_timeout)
        self._write(self._encoder.encode_ping(self._awaited_pong))

    def _on_pong(self, payload: bytes) -> None:
        if self._awaited_pong is not None and payload == self._awaited_pong:
            self._restart_pinger()

    def _on_ping_timeout(self) -> None:
        self._ping_timer = None
        self._fail(PING_TIMEOUT_REASON)

    # --- transport callbacks ----------------------------------------------------------------

    def _deliver(self, events: list[str | bytes | Frame]) -> None:
        decoder = self._decoder
        inbox = self._inbox
        for event in events:
            if type(event) is Frame:
                self._on_control(event)
            # Looked up per message: a handler may set another, or none, for those after it.
            elif (handler := inbox.handler) is not None:
                if not self._dispatch(handler, event):
                    return  # the session has failed: the rest of the read goes to no one
            else:
                inbox.append(event)
        handler = inbox.handler
        if handler is None and inbox:
            # Also what the inbox queued before the events it left to this.
            inbox.queued()
        elif handler is not None and self._writing_paused and not self._paused_for_writes:
            self._after_handler()
        error = decoder.error
        if error is not None:
            if inbox:
                # The answers to the messages before the violation go out before our Close.
                self._deferred_error = error
                inbox.close()
            else:
                self._fail_protocol(error)

    def _on_control(self, frame: Frame) -> None:
        frame_type = frame.frame_type
        if frame_type == FrameType.PING:
            if self._close_written or self._transport.is_closing():
                return
            if self._writing_paused:
                # Only the latest ping is owed a pong (RFC 6455 §5.5.3): a flood of pings from
                # a peer that does not read cannot fill our write buffer.
                self._pending_pong = frame.data
            else:
                self._write(self._encoder.encode_pong(frame.data))
        elif frame_type == FrameType.PONG:
            self._on_pong(frame.data)
        elif frame_type == FrameType.CLOSE:
            self._on_close_frame(frame)

    def eof_received(self) -> bool | None:
        if not self._close_frame_received:
            self._close_reason.set(self._sent or ABNORMAL)
            self._end_incoming(closed_exception(self._sent, None))
        self._arm_close_timer()
        return None

    def resume_writing(self) -> None:
        pong, self._pending_pong = self._pending_pong, None
        if pong is not None and not self._close_written and not self._transport.is_closing():
            self._write(self._encoder.encode_pong(pong))
        super().resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        stop_reading_directly(self._transport)
        self._stop_pinger()
        if self._close_timer is not None:
            self._close_timer.cancel()
        self._close_reason.set(self._sent or ABNORMAL)
        self._end_incoming(closed_exception(self._sent, self._received))
        super().connection_lost(exc)
