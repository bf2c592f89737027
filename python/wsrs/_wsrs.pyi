"""The Rust core of wsrs (built by maturin from `rust/`): byte work only, no I/O and no time."""

from collections.abc import Sequence
from typing import final

from wsrs.exceptions import RemoteProtocolError

BytesLike = bytes | bytearray | memoryview

__version__: str

# --- WebSocket (RFC 6455) -------------------------------------------------------------------------

DEFAULT_MAX_FRAME_SIZE: int

class CloseReason:
    @property
    def code(self) -> int: ...
    @property
    def message(self) -> str: ...

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
