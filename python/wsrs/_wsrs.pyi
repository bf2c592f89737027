"""The Rust core of wsrs (built by maturin from `rust/`): byte work only, no I/O and no time."""

import asyncio
from collections.abc import Callable, Generator, Sequence
from contextvars import Context
from typing import ClassVar, Generic, TypeVar, final

from wsrs.exceptions import MultipartError, RemoteProtocolError
from wsrs.http import Headers

_T = TypeVar("_T")

BytesLike = bytes | bytearray | memoryview

__version__: str

# --- WebSocket (RFC 6455) -------------------------------------------------------------------------

DEFAULT_MAX_FRAME_SIZE: int
"""Default cap, in bytes, on one frame and on one reassembled message (16 MiB)."""

@final
class FrameType:
    """The WebSocket frame types a session sees; continuation frames take their message's type."""

    TEXT: ClassVar[FrameType]
    BINARY: ClassVar[FrameType]
    CLOSE: ClassVar[FrameType]
    PING: ClassVar[FrameType]
    PONG: ClassVar[FrameType]

    @property
    def opcode(self) -> int:
        """The opcode on the wire."""

    @property
    def is_control(self) -> bool:
        """True for Close, Ping and Pong."""

    @property
    def name(self) -> str:
        """The member's name, such as ``"TEXT"``."""

    def __int__(self) -> int:
        """The opcode, so that members compare equal to their opcode."""

@final
class CloseCode:
    """The close codes Ktor knows (plus 1005, reported when the peer's Close had no code)."""

    NORMAL: ClassVar[CloseCode]
    GOING_AWAY: ClassVar[CloseCode]
    PROTOCOL_ERROR: ClassVar[CloseCode]
    CANNOT_ACCEPT: ClassVar[CloseCode]
    NO_STATUS: ClassVar[CloseCode]
    CLOSED_ABNORMALLY: ClassVar[CloseCode]
    NOT_CONSISTENT: ClassVar[CloseCode]
    VIOLATED_POLICY: ClassVar[CloseCode]
    TOO_BIG: ClassVar[CloseCode]
    NO_EXTENSION: ClassVar[CloseCode]
    INTERNAL_ERROR: ClassVar[CloseCode]
    SERVICE_RESTART: ClassVar[CloseCode]
    TRY_AGAIN_LATER: ClassVar[CloseCode]

    @property
    def code(self) -> int:
        """The numeric close code."""

    @property
    def name(self) -> str:
        """The member's name, such as ``"NORMAL"``."""

    @staticmethod
    def from_code(code: int) -> CloseCode | None:
        """The member for `code`, or None when the code is not a known one."""

    def __int__(self) -> int:
        """The numeric close code, so that members compare equal to their code."""

@final
class CloseReason:
    """A close code and message, as carried by a Close frame; compares by value.

    Any code in 0..=65535 is accepted, so that 1005 (no status) and 1006 (closed abnormally) can
    be reported; the encoder refuses to send the codes RFC 6455 §7.4 keeps off the wire.
    """

    def __new__(cls, code: int | CloseCode, message: str = "") -> CloseReason:
        """Raise ValueError when `code` is not in 0..=65535 or `message` is over 123 UTF-8 bytes."""

    @staticmethod
    def truncated(code: int | CloseCode, message: str) -> CloseReason:
        """A reason whose message is cut to 123 UTF-8 bytes at a character boundary.

        For closes whose message comes from an error and may be long; ValueError only for a code
        outside 0..=65535.
        """

    @property
    def code(self) -> int:
        """The close code."""

    @property
    def message(self) -> str:
        """The message, at most 123 UTF-8 bytes."""

    @property
    def known_reason(self) -> CloseCode | None:
        """The `CloseCode` member for `code`, if it is a known one."""

    def __eq__(self, other: object, /) -> bool:
        """Equal to a `CloseReason` with the same code and message."""

    def __hash__(self) -> int: ...

@final
class Frame:
    """One WebSocket frame: its type, FIN and RSV bits and its (unmasked) payload.

    Control frames (Close, Ping, Pong) are always final, carry no RSV bits and at most 125 bytes:
    the constructors enforce it. Frames compare and hash by value.
    """

    @property
    def frame_type(self) -> FrameType:
        """The type; a continuation frame carries its message's type."""

    @property
    def fin(self) -> bool:
        """True when this frame ends its message."""

    @property
    def rsv1(self) -> bool:
        """The RSV1 bit (per-message compression under permessage-deflate)."""

    @property
    def rsv2(self) -> bool:
        """The RSV2 bit."""

    @property
    def rsv3(self) -> bool:
        """The RSV3 bit."""

    @property
    def data(self) -> bytes:
        """The payload, unmasked."""

    @staticmethod
    def text(
        data: str | BytesLike,
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
    ) -> Frame:
        """A Text frame; a `str` is encoded as UTF-8."""

    @staticmethod
    def binary(
        data: BytesLike,
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
    ) -> Frame:
        """A Binary frame."""

    @staticmethod
    def close(reason: CloseReason | None = None) -> Frame:
        """A Close frame; with no reason its payload is empty."""

    @staticmethod
    def ping(data: BytesLike = b"") -> Frame:
        """A Ping frame; ValueError when `data` is over 125 bytes."""

    @staticmethod
    def pong(data: BytesLike = b"") -> Frame:
        """A Pong frame; ValueError when `data` is over 125 bytes."""

    @staticmethod
    def by_type(frame_type: FrameType, fin: bool, data: BytesLike) -> Frame:
        """A frame of any type; control frames are always final whatever `fin` says."""

    def read_text(self) -> str:
        """The payload of a final Text frame as text; invalid UTF-8 becomes U+FFFD.

        ValueError for another type of frame or for a fragment (FIN not set).
        """

    def read_bytes(self) -> bytes:
        """The payload."""

    def read_reason(self) -> CloseReason | None:
        """The reason of a Close frame, or None when its payload is shorter than two bytes.

        The message is decoded leniently (U+FFFD for invalid UTF-8) and cut to 123 bytes; no
        check of the code. ValueError for another type of frame.
        """

    def __eq__(self, other: object, /) -> bool:
        """Equal to a `Frame` with the same type, FIN and RSV bits and payload."""

    def __hash__(self) -> int: ...

@final
class FrameDecoder:
    """Turns received bytes into frames or whole messages, enforcing RFC 6455 as it goes.

    `feed` returns every event complete so far: in reassembling mode a text message as `str`, a
    binary message as `bytes` and a control frame as `Frame`; otherwise every frame as `Frame`.
    A violation stops decoding: the events before it are returned, `error` holds it, and the next
    `feed` raises it. After a Close frame the rest of the input is ignored.

    In reassembling mode, a message whose first frame carries RSV bits an extension negotiated
    comes out whole as one final `Frame` with those bits (its payload is the extension's to
    decode, so it is not checked as UTF-8). In raw mode, continuation frames carry the type of
    their message's first frame, and `max_frame_size` limits frames only.

    With `deflate`, a message whose first frame has RSV1 is inflated as it arrives and comes out
    as a plain `str` or `bytes`: the output is capped at `max_frame_size` as it is produced (a
    `PayloadTooBig`, 1009, before the memory is spent), text is checked as UTF-8 as it is
    inflated (1007), and data that is not DEFLATE, or that does not end between two blocks, fails
    with 1002. The compressed bytes are capped at `max_frame_size` too. Large pieces are inflated
    with the GIL released.
    """

    def __new__(
        cls,
        *,
        client: bool = False,
        max_frame_size: int = ...,
        reassemble: bool = True,
        allowed_rsv: int = 0,
        deflate: PerMessageDeflate | None = None,
    ) -> FrameDecoder:
        """`client` is True when this side is the client (it then refuses masked frames).

        `allowed_rsv` holds the RSV bits negotiated extensions use, as in ``(byte0 >> 4) & 7``:
        0x4 is RSV1 (permessage-deflate), 0x2 RSV2, 0x1 RSV3. They are allowed on the first frame
        of a data message only (RFC 7692 §6); ValueError outside 0..=7.

        `deflate` is the permessage-deflate agreement: RSV1 is then allowed and the peer's
        compressed messages inflated with its window. ValueError in raw mode (`reassemble=False`).
        """

    max_frame_size: int
    """Cap on one frame and on one reassembled message, checked on each header (1009)."""

    @property
    def error(self) -> RemoteProtocolError | None:
        """The violation that stopped decoding, with its `close_code` (1002, 1007 or 1009).

        A frame or message over `max_frame_size` is a `PayloadTooBig`.
        """

    @property
    def closed(self) -> bool:
        """True once a Close frame has been decoded."""

    @property
    def buffered(self) -> int:
        """Bytes held for an unfinished frame or message."""

    def feed(self, data: BytesLike) -> list[str | bytes | Frame]:
        """Decode `data`; return the events it completed, oldest first ([] means "need more").

        Raise `error` when an earlier call recorded one.
        """

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Where the next socket read should go, as `asyncio.BufferedProtocol.get_buffer`.

        A read buffer shared by the thread's decoders, or, while a large Binary message arrives
        in one frame, the rest of the `bytes` that will hold it. Use the view for one read, then
        call `buffer_updated`; `sizehint` is ignored.
        """

    def buffer_updated(self, nbytes: int) -> list[str | bytes | Frame]:
        """Decode the `nbytes` just read into the last `get_buffer` view, as `feed` does."""

@final
class Inbox(Generic[_T]):
    """A session's incoming side: decodes each read and hands its whole messages to the handler
    or queues them, waking the tasks waiting here; on asyncio it is what `async for` awaits.

    The session is called back for what stays Python: `_deliver(events)` for a control frame and
    what follows it or a violation, `_handler_failed(error)`, `_after_handler()` while writes are
    paused, `_update_reading()` when the inbox fills or drains, `_inbox_end()` for what a wait
    at the empty, closed inbox raises. The session is held weakly (the session holds the inbox).
    """

    handler: Callable[[_T], object] | None
    """Messages go to it instead of the queue."""
    paused: bool
    """True while reading is paused because `capacity` items wait."""
    socket_fd: int | None
    """The socket `read_ready` reads (asyncio's plain-socket transport's, on POSIX)."""
    def __new__(
        cls,
        session: object,
        decoder: FrameDecoder,
        *,
        capacity: int,
        resume_below: int,
        event_loop: asyncio.AbstractEventLoop | None = None,
        parking: object | None = None,
        resume: bool = False,
    ) -> Inbox[_T]: ...
    @property
    def closed(self) -> bool:
        """True once no more items come."""
    def close(self) -> None:
        """No more items come: a wait at the empty inbox then ends with `_inbox_end()`."""
    def __len__(self) -> int: ...
    def append(self, item: _T) -> None: ...
    def popleft(self) -> _T:
        """The oldest item; reading resumes once the inbox has drained to `resume_below`."""
    def queued(self) -> None:
        """Wake the waiting tasks on the loop's next turn; pause reading once full."""
    def wake(self) -> None:
        """Wake the waiting tasks on the loop's next turn."""
    def read(self, read: int | BytesLike) -> None:
        """Decode one read (`nbytes` into the decoder's view, or bytes) and hand it on."""
    def read_ready(self) -> None:
        """The loop's reader callback: one `recv(2)` of `socket_fd` into the decoder, then
        `read`; the end of the stream and errors go to the session's transport."""
    def __await__(self) -> Generator[InboxWaiter, None, _T]: ...
    def __aiter__(self) -> Inbox[_T]:
        """`async for` over the inbox (asyncio): each step awaits the inbox itself."""
    def __anext__(self) -> Inbox[_T]: ...
    def __next__(self) -> InboxWaiter:
        """One step of a wait: the next item as `StopIteration`'s value, or a waiter."""

@final
class Alarm:
    """A Linux timerfd on the monotonic clock (asyncio's `loop.time()`), for a loop to watch as
    a reader: it becomes readable at the deadline `set` gives (Linux only)."""

    def fileno(self) -> int:
        """The descriptor (-1 once closed)."""
    def set(self, deadline: float) -> None:
        """Ring at `deadline` (at once if it has passed), never for `math.inf`."""
    def clear(self) -> None:
        """Take the ring off the descriptor."""
    def close(self) -> None:
        """Close the descriptor."""

@final
class InboxWaiter:
    """What a task waiting at an `Inbox` awaits: the parts of `asyncio.Future` a `Task` uses."""

    _asyncio_future_blocking: bool
    def get_loop(self) -> asyncio.AbstractEventLoop: ...
    def add_done_callback(
        self, callback: Callable[[InboxWaiter], object], /, *, context: Context | None = None
    ) -> None: ...
    def remove_done_callback(self, callback: Callable[[InboxWaiter], object]) -> int: ...
    def cancel(self, msg: object = None) -> bool: ...
    def cancelled(self) -> bool: ...
    def done(self) -> bool: ...
    def result(self) -> None: ...
    def exception(self) -> None: ...

@final
class FrameEncoder:
    """Turns frames into bytes for the wire, masking while copying when `masking` is on.

    Fragmented messages follow Ktor: the first non-final data frame fixes the message type, later
    frames of that type go out as continuations, and a data frame of the other type meanwhile
    raises `LocalProtocolError`; control frames may go between fragments. Control payloads over
    125 bytes and Close codes that may not be sent (0-999, 1004-1006, 1015-2999, 5000 and up)
    raise `LocalProtocolError` too. A failed call leaves the state as it was.

    With `deflate` (permessage-deflate, RFC 7692), data messages are compressed whole: one
    DEFLATE stream per message, sync-flushed, the ``00 00 FF FF`` tail removed, RSV1 on the first
    frame only, the window kept or reset as agreed. `compress` decides per message: True or
    False as asked, None by the policy (a fragmented message always; a whole one when it has at
    least `min_size` bytes). Fragments continue their message's choice. Unless asked with True
    or `min_size` is 0, a whole message that compressing would not make smaller (data already
    compressed) goes out uncompressed, the window left as it was. Frames built with RSV bits of
    their own go out as they are. Large payloads are compressed with the GIL released.
    """

    def __new__(
        cls,
        *,
        masking: bool = False,
        deflate: PerMessageDeflate | None = None,
        client: bool | None = None,
        level: int = 6,
        mem_level: int = 8,
        min_size: int = 0,
    ) -> FrameEncoder:
        """`masking` is True on the client side.

        `deflate` is the permessage-deflate agreement; `client` (default: `masking`) says which
        direction's window and reset rule this side follows. `level` (-1 to 9) and `mem_level`
        (1 to 9) are zlib's; ValueError outside them. An agreed window of 8 for this side cannot
        be compressed within: `compression` is then False and everything goes out uncompressed.
        """

    masking: bool
    """Mask every frame with a fresh random key (the client side must)."""
    @property
    def open_message(self) -> FrameType | None:
        """The type of the fragmented message being sent, if one is open."""

    min_size: int
    """Whole messages shorter than this go uncompressed unless a call asks otherwise."""

    @property
    def compression(self) -> bool:
        """True when messages may go out compressed."""

    def encode_text(self, text: str, fin: bool = True, compress: bool | None = None) -> bytes:
        """A Text frame (or a fragment of one when `fin` is False)."""

    def encode_binary(
        self, data: BytesLike, fin: bool = True, compress: bool | None = None
    ) -> bytes:
        """A Binary frame (or a fragment of one when `fin` is False)."""

    def write_message(
        self,
        message: object,
        compress: bool | None,
        write: Callable[[bytes], object],
        write_parts: Callable[[tuple[bytes, bytes]], object] | None,
    ) -> bool:
        """Write a `str` as one Text frame or a `bytes` as one Binary frame with `write`; True.

        Anything else is left to the caller: False. A Binary message of 16 KiB or more goes
        to `write_parts` as (header, payload), the payload not copied, when that is given (only
        for payloads that go out as they are: not masked, not compressed).
        """

    def binary_header(self, data: bytes, fin: bool = True) -> bytes:
        """The header alone of the frame `encode_binary(data, fin, compress=False)` would write.

        For a caller that writes `data` right after it (no copy of the payload). Never
        compressed; `ValueError` when `masking` is on, since the payload would need masking too.
        """

    def encode_ping(self, data: BytesLike = b"") -> bytes:
        """A Ping frame."""

    def encode_pong(self, data: BytesLike = b"") -> bytes:
        """A Pong frame."""

    def encode_close(self, reason: CloseReason | None = None) -> bytes:
        """A Close frame; with no reason its payload is empty."""

    def encode_frame(self, frame: Frame, compress: bool | None = None) -> bytes:
        """Any frame, as it is (a data frame may become a continuation, or be compressed)."""

    def encode_batch(self, items: Sequence[str | BytesLike | Frame]) -> bytes:
        """One `bytes` for a batch: `str` as Text, bytes-like as Binary, `Frame` as it is.

        Compression follows the policy. The batch is all or nothing: when one item is refused,
        nothing is encoded.
        """

    def compress(self, message: str | BytesLike, force: bool = False) -> Frame:
        """A whole message compressed into a final `Frame` with RSV1, for `encode_frame`; unless
        `force`, one that compressing would not make smaller comes back uncompressed (RSV1
        clear): send it with ``compress=False``, as it is.

        Meant to run on a worker thread for a large message: the GIL is released meanwhile, and
        any other compressed message of this encoder raises `LocalProtocolError` until it
        returns (send them after it, in order). `LocalProtocolError` too while a fragmented
        message is open or when permessage-deflate was not agreed.
        """

@final
class PerMessageDeflate:
    """The permessage-deflate parameters both sides agreed (RFC 7692 §7.1).

    Each direction has a window (``2**bits`` bytes, 8 to 15) and may reset it after every
    message (no context takeover). The static methods run the negotiation; the configuration
    keywords they share are windows of 9 to 15 (ValueError otherwise) and the two resets.
    """

    def __new__(
        cls,
        *,
        server_max_window_bits: int = 15,
        client_max_window_bits: int = 15,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
    ) -> PerMessageDeflate:
        """An agreement stated directly (windows 8 to 15)."""

    @property
    def server_max_window_bits(self) -> int:
        """The largest window the server compresses with."""

    @property
    def client_max_window_bits(self) -> int:
        """The largest window the client compresses with."""

    @property
    def server_no_context_takeover(self) -> bool:
        """The server starts every message from an empty window."""

    @property
    def client_no_context_takeover(self) -> bool:
        """The client starts every message from an empty window."""

    @staticmethod
    def negotiate(
        offers: Sequence[str],
        *,
        server_max_window_bits: int = 15,
        client_max_window_bits: int = 15,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
    ) -> tuple[PerMessageDeflate, str] | None:
        """The server's side: for the request's ``Sec-WebSocket-Extensions`` values, the
        agreement and the answer to send for the first offer it can meet, or None.

        Offers with unknown or repeated parameters, values the RFC does not allow, or
        ``server_max_window_bits=8`` are declined, as is a header that breaks the grammar: the
        handshake then goes on uncompressed. Windows are limited to the configured ones.
        """

    @staticmethod
    def offer(
        *,
        server_max_window_bits: int = 15,
        client_max_window_bits: int = 15,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
    ) -> str:
        """The client's ``Sec-WebSocket-Extensions`` offer for this configuration."""

    @staticmethod
    def accept(
        answers: Sequence[str],
        *,
        server_max_window_bits: int = 15,
        client_max_window_bits: int = 15,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
    ) -> PerMessageDeflate | None:
        """The client's side: the agreement the server's ``Sec-WebSocket-Extensions`` values
        state for the offer `offer` made with this configuration, or None for no extension.

        `HandshakeError` (status 101) for an answer the client must refuse: another extension,
        permessage-deflate twice, unknown or repeated parameters, bad values, a window over the
        one offered, or a reset asked for and not granted.
        """

    def __eq__(self, other: object, /) -> bool:
        """Equal to a `PerMessageDeflate` with the same four parameters."""

    def __hash__(self) -> int: ...

def apply_mask(data: BytesLike, key: BytesLike) -> bytes:
    """`data` XOR-ed with the 4-byte `key`, repeated; ValueError for another key length."""

# --- HTTP/1.1 (RFC 9112) --------------------------------------------------------------------------
# Strict where the RFC lets a recipient choose: every leniency between two parsers is a smuggling
# vector. Errors never quote the input. Body bytes are copied once, straight into the `bytes`
# handed out; the pieces of one body that one `feed` holds come out as one `bytes`.

DEFAULT_MAX_HEAD_SIZE: int
"""Default cap, in bytes, on a whole request head (64 KiB)."""

@final
class HttpLimits:
    """Every cap the HTTP parsers enforce, checked as bytes arrive; None means unbounded.

    Line sizes count the whole line, CRLF included. A parser fails at the first byte past a limit,
    so it never holds more than the limits allow. Limit violations raise `PayloadTooBig`.

    Args:
        max_request_line_size: 414 URI Too Long when the request line is longer; default 8192
            (for a response head, the status line is capped by `max_header_line_size`).
        max_header_line_size: 431 when one header field line is longer; default 8192.
        max_head_size: 431 when the whole head (through its empty line) is longer; default
            65536 (`DEFAULT_MAX_HEAD_SIZE`).
        max_header_count: 431 when more header fields arrive; default 100.
        max_body_size: 413 when a body goes over: a Content-Length is checked up front, chunk
            sizes as they arrive; default None.
        max_chunk_size_line: 400 when a chunk-size line with its extensions is longer; default
            1024.
        max_chunk_extensions_size: 400 when the chunk extensions of one body sum to more;
            default 4096.
        max_trailer_size: 431 when the trailer field lines sum to more; default 8192.
        allow_bare_lf: accept LF without CR as a head line end (RFC 9112 §2.2 "MAY"); never in
            chunked framing.
    """

    def __new__(
        cls,
        *,
        max_request_line_size: int = ...,
        max_header_line_size: int = ...,
        max_head_size: int = ...,
        max_header_count: int = ...,
        max_body_size: int | None = None,
        max_chunk_size_line: int = ...,
        max_chunk_extensions_size: int = ...,
        max_trailer_size: int = ...,
        allow_bare_lf: bool = False,
    ) -> HttpLimits: ...
    @property
    def max_request_line_size(self) -> int: ...
    @property
    def max_header_line_size(self) -> int: ...
    @property
    def max_head_size(self) -> int: ...
    @property
    def max_header_count(self) -> int: ...
    @property
    def max_body_size(self) -> int | None: ...
    @property
    def max_chunk_size_line(self) -> int: ...
    @property
    def max_chunk_extensions_size(self) -> int: ...
    @property
    def max_trailer_size(self) -> int: ...
    @property
    def allow_bare_lf(self) -> bool: ...

@final
class RequestHead:
    """A parsed request line and header section, with the framing facts the pipeline needs."""

    __match_args__ = ("method", "target", "headers")

    @property
    def method(self) -> str:
        """The method token, case as sent."""
    @property
    def target(self) -> str:
        """The request-target as sent: origin-form path and query, absolute, authority or `*`."""
    @property
    def version(self) -> str:
        """``"1.0"`` or ``"1.1"``."""
    @property
    def headers(self) -> list[tuple[str, str]]:
        """Header fields in arrival order, names as sent, values latin-1 decoded, OWS trimmed.

        The same list on every access. A field line repeated byte for byte from the previous
        request on the same parser, at the same position, shares that request's tuple.
        """
    @property
    def asgi_headers(self) -> list[tuple[bytes, bytes]]:
        """The fields as ASGI scopes carry them: ``(name, value)`` bytes, names lowercased."""
    @property
    def asgi_target(self) -> tuple[str, bytes, bytes] | None:
        """``(path, raw_path, query_string)`` as an ASGI scope carries them, when that takes no
        decoding; None for a path with ``%`` escapes or a target not in origin form."""
    @property
    def keep_alive(self) -> bool:
        """Whether the client allows another request after this one (version and Connection).

        HTTP/1.1: unless ``Connection: close``. HTTP/1.0: only with ``Connection: keep-alive``.
        """
    @property
    def upgrade(self) -> str | None:
        """The Upgrade header value (e.g. ``"websocket"``) when Connection lists ``upgrade``.

        Always None for HTTP/1.0 (RFC 9110 §7.8). Several Upgrade lines are joined with ", ".
        """
    @property
    def expect_continue(self) -> bool:
        """``Expect: 100-continue`` was sent (HTTP/1.1 only; other expectations get 417)."""
    @property
    def content_length(self) -> int | None:
        """The declared body length, when a Content-Length frames the body."""
    @property
    def chunked(self) -> bool:
        """Whether the body uses the chunked transfer coding."""
    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header `name`, compared case-insensitively."""
    def get_all(self, name: str) -> list[str]:
        """Every value of header `name`, compared case-insensitively, in arrival order."""

@final
class EndOfMessage:
    """The end of a request's body, with any chunked trailer fields."""

    __match_args__ = ("trailers",)

    @property
    def trailers(self) -> list[tuple[str, str]]:
        """Trailer fields (names as sent, values latin-1); a new list on every access."""

@final
class RequestParser:
    """Parses pipelined requests: heads, bodies (Content-Length or chunked) and their ends.

    `feed` returns every event complete so far, across as many pipelined requests as the input
    holds: `RequestHead`, then body pieces as `bytes`, then `EndOfMessage`. A request with neither
    Content-Length nor Transfer-Encoding has no body. A request that asks to upgrade
    (``Connection: upgrade`` with ``Upgrade``) or CONNECT pauses the parser after its
    `EndOfMessage`: later bytes belong to the new protocol. `resume()` goes on parsing (upgrade
    refused), `take_trailing()` hands the unparsed bytes over (upgrade accepted).
    A violation stops parsing: the events before it are returned, `error` holds it (a
    `RemoteProtocolError` whose `status_hint` is the status to answer), the next `feed` raises it.
    A head that is refused (bad framing, Host, a Content-Length over the limit, ...) gives no
    `RequestHead`. Every split of the same input gives the same events (body pieces joined).
    """

    def __new__(cls, limits: HttpLimits | None = None) -> RequestParser: ...
    @property
    def error(self) -> RemoteProtocolError | None:
        """The violation that stopped parsing (`PayloadTooBig` for a limit), or None."""
    @property
    def paused(self) -> bool:
        """Waiting for `resume()` or `take_trailing()` after an upgrade or CONNECT request."""
    @property
    def idle(self) -> bool:
        """True between requests with nothing of the next one buffered."""
    def feed(self, data: BytesLike) -> list[RequestHead | bytes | EndOfMessage]:
        """Parse `data` after whatever was left over; an empty list means "need more".

        While paused, `data` is only kept for `resume()` / `take_trailing()`.

        Raises:
            RemoteProtocolError: the violation recorded by an earlier call.
            LocalProtocolError: after `take_trailing()`.
        """
    def feed_eof(self) -> None:
        """Raise `RemoteProtocolError` if the input ended inside a request."""
    def resume(self) -> list[RequestHead | bytes | EndOfMessage]:
        """Go on parsing after a pause (the upgrade was refused); [] when not paused."""
    def take_trailing(self) -> bytes:
        """Hand over the bytes after an upgrade or CONNECT request; the parser is done.

        Raises:
            LocalProtocolError: the parser is not paused.
        """

@final
class ResponseHead:
    """A parsed status line and header section (the client side of a handshake)."""

    __match_args__ = ("status", "reason", "headers")

    @property
    def status(self) -> int:
        """The status code, 100 to 999."""
    @property
    def reason(self) -> str:
        """The reason phrase as sent, latin-1 decoded (may be empty)."""
    @property
    def version(self) -> str:
        """``"1.0"`` or ``"1.1"``."""
    @property
    def headers(self) -> list[tuple[str, str]]:
        """Header fields in arrival order, names as sent, values latin-1 decoded, OWS trimmed."""
    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header `name`, compared case-insensitively."""
    def get_all(self, name: str) -> list[str]:
        """Every value of header `name`, compared case-insensitively, in arrival order."""

def parse_response_head(
    data: BytesLike, limits: HttpLimits | None = None
) -> tuple[ResponseHead, int] | None:
    """The response head at the start of `data` and its length, or None while incomplete.

    Raises:
        RemoteProtocolError: the head breaks RFC 9112 (`PayloadTooBig` for a limit).
    """

def encode_response_head(
    status: int, headers: Sequence[tuple[str, str]], reason: str | None = None
) -> bytes:
    """``HTTP/1.1 <status> <reason>`` and the fields; LocalProtocolError on CR, LF or NUL.

    `reason` defaults to the RFC 9110 phrase. Names must be tokens; values and the reason may
    hold no control character but HTAB, and only latin-1 text.
    """

def encode_fixed_response(
    status: int,
    headers: Sequence[tuple[str, str]],
    body: BytesLike,
    date: str,
    keep_alive: bool,
    http10: bool,
    head: bool,
) -> tuple[bytes, bool]:
    """A whole response as the server sends it, and whether `headers` close the connection.

    Content-Length and Transfer-Encoding in `headers` are dropped (framing is the server's),
    ``Date: <date>`` is added unless given, ``Connection: close`` when not `keep_alive` (or
    ``keep-alive`` for `http10`) unless `headers` already close. 1xx, 204 and 304 get neither
    Content-Length nor body; a response to HEAD (`head`) announces the given Content-Length (else
    the body's length) without the body.

    Raises:
        LocalProtocolError: a bad status or field.
    """

def encode_response(status: int, headers: Sequence[tuple[str, str]], body: BytesLike) -> bytes:
    """A whole response with ``Content-Length`` added, in one allocation.

    1xx, 204 and 304 get no Content-Length and must have an empty body.

    Raises:
        LocalProtocolError: a bad status or field, or `headers` already has Content-Length or
            Transfer-Encoding.
    """

def encode_request_head(method: str, target: str, headers: Sequence[tuple[str, str]]) -> bytes:
    """``<method> <target> HTTP/1.1`` and the fields (the client side of a handshake)."""

def encode_chunk(data: BytesLike) -> bytes:
    """One chunk: lowercase hex size, CRLF, data, CRLF (empty data gives empty bytes)."""

def encode_last_chunk(trailers: Sequence[tuple[str, str]] = ()) -> bytes:
    """``0`` CRLF, the trailer fields, CRLF."""

def form_decode(data: BytesLike) -> bytes:
    """`data` with ``+`` as a space and ``%XX`` as its byte; any other ``%`` is kept as sent."""

@final
class ChunkedDecoder:
    """Decodes one chunked body (RFC 9112 §7.1) as it arrives; bytes after its end are kept."""

    def __new__(cls, limits: HttpLimits | None = None) -> ChunkedDecoder: ...
    @property
    def done(self) -> bool:
        """The last chunk and the trailer section have arrived."""
    @property
    def trailers(self) -> list[tuple[str, str]]:
        """The trailer fields, once `done`."""
    @property
    def error(self) -> RemoteProtocolError | None:
        """The violation that stopped decoding, or None."""
    def feed(self, data: BytesLike) -> list[bytes]:
        """The data decoded so far, as pieces; nothing more once `done`.

        A violation is recorded in `error` with the data before it returned; the next call raises.
        """
    def feed_eof(self) -> None:
        """Raise `RemoteProtocolError` if the body did not end with its last chunk."""
    def take_trailing(self) -> bytes:
        """The bytes after the end of the body (the next pipelined message), and forget them."""

# --- Multipart (RFC 2046, RFC 7578) ---------------------------------------------------------------
# One `feed` per read returns the events complete so far. Delimiters count only at line starts,
# part headers follow the HTTP field-line rules, and a body that ends before its close delimiter
# is an error, never a short form. Every violation raises `MultipartError` with the status that
# answers it (400, 413 past a limit, 415 for a media type that is not multipart).

@final
class MultipartLimits:
    """Every cap the multipart parser enforces, checked at the byte that breaks it (413 past one).

    Args:
        max_boundary_size: longest boundary accepted (400 past it); default 70 (RFC 2046).
        max_header_line_size: longest part header line, CRLF included; also caps a delimiter line
            with its transport padding; default 4224.
        max_header_count: most header fields in one part; default 8.
        max_headers_size: longest header section of one part, through its empty line; default
            8192.
        max_parts: most parts in one body; default 1000.
        max_part_size: longest content of one part; default None (unbounded).
        max_preamble_size: longest preamble (bytes before the first delimiter); default 8192.
        max_epilogue_size: longest epilogue (bytes after the close delimiter line); default 8192.
        allow_bare_lf: accept LF without CR as a part header line end; never in delimiter lines.
    """

    def __new__(
        cls,
        *,
        max_boundary_size: int = ...,
        max_header_line_size: int = ...,
        max_header_count: int = ...,
        max_headers_size: int = ...,
        max_parts: int = ...,
        max_part_size: int | None = None,
        max_preamble_size: int = ...,
        max_epilogue_size: int = ...,
        allow_bare_lf: bool = False,
    ) -> MultipartLimits: ...
    @property
    def max_boundary_size(self) -> int: ...
    @property
    def max_header_line_size(self) -> int: ...
    @property
    def max_header_count(self) -> int: ...
    @property
    def max_headers_size(self) -> int: ...
    @property
    def max_parts(self) -> int: ...
    @property
    def max_part_size(self) -> int | None: ...
    @property
    def max_preamble_size(self) -> int: ...
    @property
    def max_epilogue_size(self) -> int: ...
    @property
    def allow_bare_lf(self) -> bool: ...

@final
class Preamble:
    """The bytes before the first delimiter, when there are any (at most one, before any part)."""

    __match_args__ = ("data",)

    @property
    def data(self) -> bytes: ...

@final
class PartBegin:
    r"""A part starts; its header section has been read.

    `name` and `filename` come from the plain Content-Disposition parameters only, as sent (in a
    quoted string `\"` and `\\` are unescaped, other backslashes and percent sequences kept): a
    ``filename*`` never replaces them and is decoded (RFC 8187) into `filename_star`. Never use
    `filename` as a path.
    """

    __match_args__ = ("name", "filename", "headers")

    @property
    def headers(self) -> Headers:
        """The part's header fields, values latin-1 decoded."""
    @property
    def name(self) -> str | None:
        """The ``name`` parameter of the Content-Disposition."""
    @property
    def filename(self) -> str | None:
        """The ``filename`` parameter of the Content-Disposition."""
    @property
    def filename_star(self) -> str | None:
        """The RFC 8187 ``filename*`` parameter, decoded; it never replaces `filename`."""
    @property
    def disposition(self) -> str | None:
        """The Content-Disposition type, lowercased (``"form-data"`` in a form)."""
    @property
    def content_type(self) -> str | None:
        """The part's media type (``type/subtype``, lowercased), if it has a Content-Type."""
    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of the part's Content-Type, lowercased."""

@final
class PartData:
    """A piece of the current part's content; a read's pieces for one part come as one."""

    __match_args__ = ("data",)

    @property
    def data(self) -> bytes: ...

@final
class PartEnd:
    """The current part's content is complete (one shared instance)."""

@final
class Epilogue:
    """The bytes after the close delimiter line, when there are any (from `finish`)."""

    __match_args__ = ("data",)

    @property
    def data(self) -> bytes: ...

MultipartEvent = Preamble | PartBegin | PartData | PartEnd | Epilogue

@final
class MultipartParser:
    """Reads one multipart body as it arrives (sans-I/O).

    `feed` returns the events complete so far; `finish` ends the input and returns the epilogue.
    A violation raises `MultipartError`; when events came before it in the same call they are
    returned first, `error` holds it, and the next call raises it.
    """

    def __new__(
        cls, boundary: str | bytes, *, limits: MultipartLimits | None = None
    ) -> MultipartParser:
        """A parser for a body delimited by `boundary`; `MultipartError` (400) if malformed."""
    @staticmethod
    def from_content_type(
        content_type: str | bytes, *, limits: MultipartLimits | None = None
    ) -> MultipartParser:
        """A parser for a body of this Content-Type value.

        Raises `MultipartError` with 415 when it is not ``multipart/*``, 400 when its boundary is
        missing or malformed.
        """
    @property
    def limits(self) -> MultipartLimits: ...
    @property
    def error(self) -> MultipartError | None:
        """The violation that stopped the parser, or None."""
    @property
    def closed(self) -> bool:
        """The close delimiter has been read."""
    @property
    def finished(self) -> bool:
        """`finish` has been called and succeeded; `feed` and `finish` then raise."""
    def feed(self, data: BytesLike) -> list[MultipartEvent]:
        """The events the input completes, in order."""
    def finish(self) -> list[MultipartEvent]:
        """End the input: the `Epilogue` if there is one; raises if the body was incomplete."""

@final
class SocketWriter:
    """A transport's `write` for a non-blocking plain TCP socket that tries `send(2)` first.

    While the transport has nothing buffered and is not closing, `data` goes to the socket
    directly; what the socket does not take now, or all of it otherwise, goes to the
    transport's `write` (which also meets any error of the socket's, as it would have).
    """

    def __new__(cls, fd: int, transport: object) -> SocketWriter: ...
    def __call__(self, data: bytes | bytearray | memoryview) -> None: ...
