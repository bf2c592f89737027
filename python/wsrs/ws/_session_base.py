"""What the raw and the default WebSocket session share: transport, flow control, inbox, flush.

A session is an asyncio-style buffered protocol over a `Transport` (`_loop.transport`): each
socket read lands in memory the decoder chose and reaches `buffer_updated` once; `send_nowait`
encodes in Rust and writes straight to the transport (a large Binary message as its header and
its own payload, not joined, where the transport can write them in one vectored call).
Back-pressure works both ways. Incoming: while `incoming_capacity` items wait unread, the socket
is not read. Outgoing: while `write_limit` bytes wait for the socket, `send` waits. With a message
handler (`set_message_handler`) items skip the inbox and no task switch stands between a message
and its answer; reading then pauses while the socket's write buffer is full, so a handler that
answers every message cannot make memory grow (checked after each read, so a lone large answer
that drains before the next message costs no pause).

With permessage-deflate the codec compresses and inflates; a large message sent with `send` is
compressed on a worker thread (the GIL released) so that other sessions run meanwhile. Until it
is written, later messages wait behind it (`send`) or are held in order (`send_nowait`), and
control frames go ahead, except the Close of our own `close()`, which follows what was sent
before it. A `send` cancelled while its message is being compressed still writes
that message whole and returns; the cancellation takes effect at the caller's next wait. One
cancelled before the worker thread starts sends nothing. Either way the compressor's window and
the peer's stay in step, so the next message is never corrupted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import anyio

from wsrs._loop.sync import Deferred, Parking, new_parking, running_trio
from wsrs._loop.timers import Timers
from wsrs._loop.transport import StreamTransport, Transport, direct_write, vectored_write
from wsrs._wsrs import CloseReason, Frame, FrameDecoder, FrameEncoder, Inbox, PerMessageDeflate
from wsrs.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    RemoteProtocolError,
)
from wsrs.ws.config import SessionConfig

if TYPE_CHECKING:
    from wsrs._wsrs import ResponseHead
    from wsrs.http.messages import Request
    from wsrs.ws.topics import Topics

T = TypeVar("T")

logger = logging.getLogger("wsrs")

OFF_LOOP_MIN = 256 * 1024
"""Messages at least this long (bytes, or characters of text) that `send` compresses are
compressed on a worker thread: about a millisecond of work at level 1, more at higher levels."""

NORMAL_CLOSE = CloseReason(1000, "")
NO_STATUS = CloseReason(1005, "")
ABNORMAL = CloseReason(1006, "Connection was closed without close frame")
_OK_CODES = frozenset({1000, 1001, 1005})


def closed_exception(sent: CloseReason | None, received: CloseReason | None) -> ConnectionClosed:
    """`ConnectionClosedOK` when the settling code is 1000, 1001 or 1005, else the error kind."""
    settled = received if received is not None else sent
    if settled is not None and settled.code in _OK_CODES:
        return ConnectionClosedOK(sent, received)
    return ConnectionClosedError(sent, received)


MESSAGE_TYPES = (str, bytes, bytearray, memoryview, Frame)
"""What `send` and `send_nowait` take: a whole message (a buffer is Binary) or a frame."""


def not_a_message(message: object) -> TypeError:
    """The error for sending `message`, which is none of `MESSAGE_TYPES`."""
    return TypeError(f"a message is str, bytes or a Frame, not {type(message).__name__}")


class SessionBase(asyncio.BufferedProtocol, Generic[T]):
    """The parts of a session that do not depend on what it does with frames.

    It is an `asyncio.BufferedProtocol`: the loop's transport reads straight into the memory
    `get_buffer` names (the decoder's, see `FrameDecoder.get_buffer`). `data_received` takes the
    bytes other transports hand over (`StreamTransport`, the bytes read with the handshake).
    """

    _reassemble: ClassVar[bool]
    """Whether the decoder hands over whole messages (True) or every frame (False)."""

    __slots__ = (
        "__weakref__",
        "_client",
        "_close_written",
        "_compressing",
        "_config",
        "_connection_lost",
        "_decoder",
        "_deferred_error",
        "_deflate",
        "_encoder",
        "_held",
        "_held_close",
        "_inbox",
        "_incoming_end",
        "_joined",
        "_lost",
        "_min_size",
        "_off_loop_min",
        "_paused_for_writes",
        "_predicate",
        "_readers",
        "_received",
        "_sent",
        "_timers",
        "_topics",
        "_transport",
        "_write",
        "_write_parts",
        "_writers",
        "_writing_paused",
        "get_buffer",
        "request",
        "response",
        "subprotocol",
    )

    def __init__(
        self,
        transport: Transport,
        *,
        client: bool,
        config: SessionConfig,
        timers: Timers,
        subprotocol: str | None = None,
        deflate: PerMessageDeflate | None = None,
    ) -> None:
        self._transport = transport
        self._write = direct_write(transport)
        self._client = client
        self._config = config
        self._timers = timers
        compression = config.compression
        if compression is None or not self._reassemble:
            deflate = None
        self._deflate = deflate
        self._decoder = FrameDecoder(
            client=client,
            max_frame_size=config.max_frame_size,
            reassemble=self._reassemble,
            deflate=deflate,
        )
        if deflate is not None and compression is not None:
            self._encoder = FrameEncoder(
                masking=client,
                deflate=deflate,
                client=client,
                level=compression.level,
                mem_level=compression.mem_level,
                min_size=compression.min_size,
            )
            self._predicate = compression.predicate
            self._min_size = compression.min_size
            # None when this side cannot compress (an agreed window of 8): nothing goes off loop.
            self._off_loop_min: int | None = (
                max(OFF_LOOP_MIN, compression.min_size) if self._encoder.compression else None
            )
        else:
            self._encoder = FrameEncoder(masking=client)
            self._predicate = None
            self._min_size = 0
            self._off_loop_min = None
        self._write_parts = self._parts_writer()
        self._compressing = False
        # A list, not a deque: it is only appended to and swapped out whole, and an empty deque
        # costs an idle session 600 bytes.
        self._held: list[tuple[Frame | str | bytes, bool | None]] = []
        self._held_close: bytes | None = None
        # Where the transport reads next: the decoder's own method in a slot, so a read costs no
        # Python frame of ours (asyncio's method is only the interface it fills).
        self.get_buffer = self._decoder.get_buffer  # type: ignore[method-assign]
        # On asyncio the inbox is what a receiver awaits; on trio it wakes the session's parking.
        loop = None if running_trio() else asyncio.get_running_loop()
        self._readers: Parking | None = None if loop is not None else new_parking()
        self._inbox: Inbox[T] = Inbox(
            self,
            self._decoder,
            capacity=config.incoming_capacity,
            resume_below=max(1, config.incoming_capacity // 4),
            event_loop=loop,
            parking=self._readers,
            # A loop's own transport reads in callbacks, where no task runs: a receiver is
            # resumed there, with no turn of the loop in between.
            resume=loop is not None and not isinstance(transport, StreamTransport),
        )
        self._writers = new_parking()
        self._lost = Deferred[None]()
        self._incoming_end: ConnectionClosed | None = None
        self._deferred_error: RemoteProtocolError | None = None
        self._writing_paused = False
        self._paused_for_writes = False
        self._connection_lost = False
        self._close_written = False
        self._sent: CloseReason | None = None
        self._received: CloseReason | None = None
        self.subprotocol = subprotocol
        """The subprotocol agreed in the opening handshake, if any."""
        self.request: Request | None = None
        """On the server, the opening handshake's request (path, headers, client address)."""
        self.response: ResponseHead | None = None
        """On the client, the server's handshake response (status and headers)."""
        self._topics: Topics | None = None
        # The topics joined: a dict as an ordered set, made by the first join (None until then
        # costs an idle session nothing; an empty dict would cost 64 bytes, an empty set 216).
        self._joined: dict[str, None] | None = None
        self._init_state()
        transport.set_protocol(self)
        if transport.is_closing():
            # The connection went away during the hand-off: the session starts closed.
            self.connection_lost(None)
            return
        transport.set_write_buffer_limits(high=config.write_limit, low=config.write_limit // 4)
        transport.resume_reading()

    def _init_state(self) -> None:
        """Set up what a subclass adds, before the session takes over the transport."""

    # --- settings ---------------------------------------------------------------------------

    @property
    def masking(self) -> bool:
        """Mask outgoing frames with a fresh random key each (clients do; settable any time)."""
        return self._encoder.masking

    @masking.setter
    def masking(self, value: bool) -> None:
        self._encoder.masking = value
        self._write_parts = self._parts_writer()

    def _parts_writer(self) -> Callable[[Sequence[bytes]], None] | None:
        """How to write a frame's header and payload without joining them, when that is allowed.

        Only for payloads that go out as they are: not when masking, nor when the encoder may
        compress (its policy decides per message, and a compressed payload is new bytes anyway).
        """
        if self._encoder.masking or self._encoder.compression:
            return None
        return vectored_write(self._transport)

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
    def compression(self) -> PerMessageDeflate | None:
        """The permessage-deflate agreement of the opening handshake, or None."""
        return self._deflate

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
        try:
            return await self.__anext__()
        except StopAsyncIteration:
            end = self._incoming_end
            assert end is not None
        raise end

    def __aiter__(self) -> AsyncIterator[T]:
        # On asyncio the Rust inbox iterates itself: `async for` runs no Python of ours per item.
        return self._inbox if self._readers is None else self

    def __anext__(self) -> Awaitable[T]:
        """The next item; iteration ends on a normal close and raises on an abnormal one."""
        # `async for` is the hot path, so `receive` is written in terms of this, not the reverse.
        # On asyncio the Rust inbox is awaited itself: no coroutine of ours per item.
        if self._readers is None:
            return self._inbox
        return self._next_parked()

    async def _next_parked(self) -> T:
        """The next item on trio: the session's parking is woken when items arrive."""
        inbox = self._inbox
        while not inbox:
            if inbox.closed:
                raise self._inbox_end()
            assert self._readers is not None
            await self._readers.park()
        return inbox.popleft()

    def _inbox_end(self) -> BaseException:
        """What a wait at the empty, closed inbox raises: `StopAsyncIteration` after a normal
        close, else the end (a violation held back for the items before it fails first)."""
        if self._incoming_end is None and self._deferred_error is not None:
            self._fail_protocol(self._deferred_error)
        end = self._incoming_end
        assert end is not None
        return StopAsyncIteration() if isinstance(end, ConnectionClosedOK) else end

    def set_message_handler(self, handler: Callable[[T], object] | None) -> None:
        """Hand each incoming item to `handler(item)` as soon as it is decoded.

        The handler runs inside the socket's read callback, with no task switch in between: it
        must not block, and may answer with `send_nowait`. Items already queued go to it first.
        An exception it raises closes the session with 1011. None goes back to queueing items
        for `receive()`.
        """
        inbox = self._inbox
        inbox.handler = handler
        if handler is None:
            self._paused_for_writes = False
            self._update_reading()
            return
        # Until the handler sets another, or none (the items after its own are theirs), or fails.
        while inbox and inbox.handler is handler:
            if not self._dispatch(handler, inbox.popleft()):
                return
        if inbox.handler is not handler:
            return
        inbox.paused = False
        self._paused_for_writes = self._writing_paused
        self._update_reading()
        if self._deferred_error is not None:
            self._fail_protocol(self._deferred_error)

    def _dispatch(self, handler: Callable[[T], object], item: T) -> bool:
        """Hand `item` to `handler`; False when it raised (the session has failed: what is left
        of the read or the queue goes to no one, as the inbox drops the rest of a read)."""
        try:
            handler(item)
        except Exception as error:
            self._handler_failed(error)
            return False
        return True

    def _handler_failed(self, error: Exception) -> None:
        """A message handler raised `error`: log it, fail the connection with 1011."""
        logger.error("WebSocket message handler failed", exc_info=error)
        self._fail(CloseReason.truncated(1011, str(error) or type(error).__name__), error)

    def _fail(self, reason: CloseReason, cause: BaseException | None = None) -> None:
        """Fail the connection (RFC 6455 §7.1.7): our Close with `reason`, then close TCP."""
        raise NotImplementedError

    def _after_handler(self) -> None:
        """A handler answered a read's messages: stop reading while its answers cannot drain."""
        if self._writing_paused and not self._paused_for_writes:
            self._paused_for_writes = True
            self._update_reading()

    def _update_reading(self) -> None:
        if self._connection_lost:
            return
        if self._inbox.paused or self._paused_for_writes:
            self._transport.pause_reading()
        else:
            self._transport.resume_reading()

    def _fail_protocol(self, error: RemoteProtocolError) -> None:
        """Fail the connection for a violation of the peer's (with the error's close code)."""
        raise NotImplementedError

    def _end_incoming(self, end: ConnectionClosed) -> None:
        if self._incoming_end is None:
            self._incoming_end = end
            self._inbox.close()

    # --- sending ----------------------------------------------------------------------------

    def send_nowait(self, message: Frame | str | bytes, compress: bool | None = None) -> None:
        """Send a frame or a whole message now, whatever the write buffer holds.

        `compress` overrides the compression policy for this message (True or False); None
        follows it (`Deflate.min_size` and `Deflate.predicate`). Without permessage-deflate it
        has no effect.
        """
        if self._close_written or self._connection_lost:
            raise closed_exception(self._sent, self._received)
        if (
            self._predicate is not None
            and compress is None
            and type(message) is not Frame
            and self._past_min_size(message)
        ):
            compress = None if self._predicate(message) else False
        if self._compressing and not (type(message) is Frame and message.frame_type.is_control):
            if not isinstance(message, MESSAGE_TYPES):
                # Refused now, while its sender can be told: held, it would fail another's send.
                raise not_a_message(message)
            self._held.append((message, compress))
            return
        # `_send_now` inlined: this is the message handler's whole sending path.
        if not self._encoder.write_message(message, compress, self._write, self._write_parts):
            self._send_frame(message, compress)

    def _past_min_size(self, message: str | bytes) -> bool:
        """True when `message` is not shorter than `Deflate.min_size` in bytes on the wire: only
        those are the predicate's to judge (a Python call spared per small message)."""
        if len(message) >= self._min_size:
            return True
        # A short str may still be long in UTF-8; isascii() is a flag lookup.
        return (
            isinstance(message, str)
            and not message.isascii()
            and len(message.encode()) >= self._min_size
        )

    def _send_now(self, message: Frame | str | bytes, compress: bool | None) -> None:
        """Encode and write `message` (the session is open and nothing is held before it).

        A `str` or `bytes` is encoded and written in one call (a large payload after its
        header as it is, not copied into one frame, where the transport can write both at once).
        """
        if not self._encoder.write_message(message, compress, self._write, self._write_parts):
            self._send_frame(message, compress)

    def _send_frame(self, message: object, compress: bool | None) -> None:
        """Encode and write a `Frame`, or a message in another buffer type (`bytearray`...)."""
        raise NotImplementedError

    def _write_shared(self, frame: bytes, message: str | bytes) -> bool:
        """Write a broadcast: its shared `frame`, or this session's own encoding of `message`.

        A session whose frames differ from the shared one (a client masks each frame) encodes the
        message itself. A compressing session takes the shared frame uncompressed (RSV1 clear,
        which permessage-deflate always allows), after the message it is compressing if any.
        False when the message cannot go out now: this session has a fragmented message half
        sent (or half held behind a compression: the broadcast would join it).
        """
        encoder = self._encoder
        if encoder.open_message is not None or self._held_fragment_open():
            return False
        if encoder.masking:
            self.send_nowait(message)
        elif self._compressing:
            self._held.append((message, False))
        else:
            self._write(frame)
        return True

    def _held_fragment_open(self) -> bool:
        """True when the frames held behind a compression end inside a fragmented message (no
        control frame is held: the last item decides)."""
        if not self._held:
            return False
        last = self._held[-1][0]
        return type(last) is Frame and not last.fin

    def _close_slow(self, reason: CloseReason) -> None:
        """Close a consumer that does not read: our Close after its backlog, then TCP, and the
        connection dropped if that has not happened within `close_timeout`."""
        self._fail(reason)
        self._timers.call_later(self._config.close_timeout, self.terminate)

    async def send(self, message: Frame | str | bytes, compress: bool | None = None) -> None:
        """Send a whole message (`str` as Text, `bytes` as Binary) or a frame.

        Waits while `write_limit` bytes wait for the socket; raises `ConnectionClosed` once our
        Close has gone out or the connection is gone. `compress` is as for `send_nowait`.
        """
        while (self._writing_paused or self._compressing) and not (
            self._close_written or self._connection_lost
        ):
            await self._writers.park()
        threshold = self._off_loop_min
        # `type() is`, not isinstance: a failed isinstance looks up the message's __class__,
        # a quarter of the cost this check adds to a small message's round trip.
        if (
            threshold is None
            or compress is False
            or type(message) is Frame
            or len(message) < threshold
            # The final fragment of an open message: compressed in its stream, on the loop.
            or self._encoder.open_message is not None
        ):
            self.send_nowait(message, compress)
        elif compress is None and self._predicate is not None and not self._predicate(message):
            self.send_nowait(message, False)
        else:
            # A whole message long enough to compress on a worker thread.
            force = compress is True or self._min_size == 0
            await self._send_compressed_off_loop(message, force=force)

    async def _send_compressed_off_loop(self, message: str | bytes, *, force: bool) -> None:
        """Compress `message` on a worker thread, then write it; see the module docstring.
        Unless `force`, it goes out uncompressed if compressing did not make it smaller."""
        self._check_open()
        self._compressing = True
        try:
            # Not abandoned on cancellation: the message is written whole once compressed.
            frame = await anyio.to_thread.run_sync(self._encoder.compress, message, force)
            if self._cannot_write_held():
                raise closed_exception(self._sent, self._received)
            # As it is: compressed, or left uncompressed because compressing did not shrink it.
            self._write(self._encoder.encode_frame(frame, False))
        finally:
            self._compressing = False
            held, self._held = self._held, []
            for item, compress in held:
                if self._cannot_write_held():
                    break
                try:
                    self._send_now(item, compress)
                except ValueError:
                    # Its `send_nowait` has returned: the caller cannot be told any more.
                    logger.exception("a message sent while another was compressed was refused")
            if self._held_close is not None and not self._cannot_write_held():
                self._write(self._held_close)
            self._held_close = None
            self._writers.wake()

    def _cannot_write_held(self) -> bool:
        """True once what waits behind a compression can no longer go out: the connection is
        gone or closing, or a Close that was not held behind it has been written."""
        return (
            self._connection_lost
            or self._transport.is_closing()
            or (self._close_written and self._held_close is None)
        )

    def _write_held_close(self) -> None:
        """Write a Close held behind a compression now, as the connection ends (the peer's Close
        came, or ours fails it): what waits behind the compression will not go out."""
        close, self._held_close = self._held_close, None
        if close is not None and not self._connection_lost and not self._transport.is_closing():
            self._write(close)

    def _write_close_frame(self, close: bytes) -> None:
        """Write our Close frame, after the message being compressed and those held behind it
        if any: they were sent before it."""
        if self._compressing:
            self._held_close = close
        else:
            self._write(close)

    def _check_open(self) -> None:
        if self._close_written or self._connection_lost:
            raise closed_exception(self._sent, self._received)

    async def flush(self) -> None:
        """Return once everything sent before this call has been written to the socket.

        It does not mean the peer received it; a message being compressed and those held behind
        it count as sent. Returns at once when the connection is gone.
        """
        transport = self._transport
        limit = self._config.write_limit
        while not self._connection_lost and (
            self._compressing or transport.get_write_buffer_size() > 0
        ):
            transport.set_write_buffer_limits(high=0, low=0)
            try:
                await self._writers.park()
            finally:
                if not self._connection_lost:
                    transport.set_write_buffer_limits(high=limit, low=limit // 4)

    def terminate(self) -> None:
        """Drop the connection now, without a closing handshake."""
        self._transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is closed."""
        await self._lost

    # --- topics -----------------------------------------------------------------------------

    async def subscribe(self, topic: str) -> None:
        """Join `topic` of the server's hub: what is published there reaches this session.

        Returns once the hub's broker carries the topic (at once in memory; for Redis, once the
        channel is subscribed, or at once while Redis is away: it is subscribed on reconnect).
        The session leaves every topic when its connection ends.
        """
        if self._topics is None:
            raise RuntimeError("this session belongs to no hub (serve() gives sessions one)")
        await self._topics.join(self, topic)

    def unsubscribe(self, topic: str) -> None:
        """Leave `topic` now; nothing published there from now on reaches this session."""
        if self._topics is not None:
            self._topics.leave(self, topic)

    async def publish(self, topic: str, message: str | bytes) -> None:
        """Publish `message` to `topic` of this session's hub (as `hub.publish` does)."""
        if self._topics is None:
            raise RuntimeError("this session belongs to no hub (serve() gives sessions one)")
        await self._topics.publish(topic, message)

    @property
    def topics(self) -> Topics | None:
        """The topic registry of this session's hub (None for a session of no server)."""
        return self._topics

    @property
    def subscriptions(self) -> frozenset[str]:
        """The topics this session is a member of."""
        return frozenset(self._joined or ())

    # --- transport callbacks ----------------------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        """Unused: sessions take over a transport that is already connected."""

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._writers.wake()
        if self._paused_for_writes:
            self._paused_for_writes = False
            self._update_reading()

    def buffer_updated(self, nbytes: int) -> None:
        """Decode the `nbytes` the transport just read into the `get_buffer` view."""
        try:
            events = self._decoder.buffer_updated(nbytes)
        except RemoteProtocolError:
            return  # the session failed already; what still arrives is dropped
        self._deliver(events)

    def data_received(self, data: bytes) -> None:
        """Bytes a transport read itself (`StreamTransport`, the bytes read with the handshake),
        decoded where they are."""
        try:
            events = self._decoder.feed(data)
        except RemoteProtocolError:
            return
        self._deliver(events)

    def _deliver(self, events: list[Any]) -> None:
        """Hand on what one read decoded (to the handler or the inbox), then act on a violation."""
        raise NotImplementedError

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._writing_paused = False
        self._connection_lost = True
        if self._joined and self._topics is not None:
            self._topics.leave_all(self)
        self._lost.set(None)
        self._writers.wake()


class Incoming(Generic[T]):
    """A session's incoming channel, as Ktor's `incoming`: `receive()` and `async for`."""

    __slots__ = ("_session",)

    def __init__(self, session: SessionBase[T]) -> None:
        self._session = session

    async def receive(self) -> T:
        """The next item; `ConnectionClosed` once the session is closed and drained."""
        return await self._session.receive()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._session.__aiter__()


class Outgoing:
    """A session's outgoing channel, as Ktor's `outgoing`: `send()` waits while it is full."""

    __slots__ = ("_session",)

    def __init__(self, session: SessionBase[Any]) -> None:
        self._session = session

    async def send(self, item: Frame | str | bytes, compress: bool | None = None) -> None:
        """Send a frame or a whole message (see the session's `send`)."""
        await self._session.send(item, compress)
