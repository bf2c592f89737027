"""The request and response objects of plain HTTP handlers, and a case-insensitive header list.

A handler is ``async def handler(request: Request) -> Response`` (a plain ``def`` is run inline,
without a task, and must not block). The request body is a byte stream that fills as the client
sends it: `request.stream()`, `await request.read()`; reading it sends ``100 Continue`` when the
client asked for one. A response body is `bytes` (sent with ``Content-Length``) or an async
iterable of `bytes` (streamed with the chunked coding, or until close for HTTP/1.0).
"""

from __future__ import annotations

import json as jsonlib
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
)
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from wsrs._loop.sync import Parking, new_parking
from wsrs.exceptions import PayloadTooBig
from wsrs.http.forms import FormData, FormLimits, MultipartParts, read_form

if TYPE_CHECKING:
    import ssl

    from wsrs._loop.transport import Transport
    from wsrs._wsrs import MultipartLimits, RequestHead
    from wsrs.http._writer import Responder
    from wsrs.http.multipart import MultipartPart

__all__ = ["BodyStream", "Headers", "HttpHandler", "Request", "Response", "Upgrade"]

HeaderItems = Iterable[tuple[str, str]]


class Headers:
    """Header fields in order, looked up case-insensitively; repeated names are kept."""

    __slots__ = ("_items",)

    def __init__(self, items: HeaderItems | dict[str, str] | None = None) -> None:
        if items is None:
            self._items: list[tuple[str, str]] = []
        elif isinstance(items, dict):
            self._items = list(items.items())
        else:
            self._items = list(items)

    @classmethod
    def _over_list(cls, items: list[tuple[str, str]]) -> Headers:
        """Headers over `items` itself, not a copy (a request's, which its head already holds
        for as long as the request lives)."""
        headers = cls.__new__(cls)
        headers._items = items
        return headers

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of `name`, or `default`."""
        lowered = name.lower()
        for key, value in self._items:
            if key.lower() == lowered:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        lowered = name.lower()
        return [value for key, value in self._items if key.lower() == lowered]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def add(self, name: str, value: str) -> None:
        """Append a field (keeping any earlier one of the same name)."""
        self._items.append((name, value))

    def set(self, name: str, value: str) -> None:
        """Replace every field called `name` with one."""
        self.remove(name)
        self._items.append((name, value))

    def remove(self, name: str) -> None:
        """Drop every field called `name`."""
        if self._items:
            lowered = name.lower()
            self._items = [(key, value) for key, value in self._items if key.lower() != lowered]

    def items(self) -> list[tuple[str, str]]:
        """The fields as (name, value) pairs, in order."""
        return self._items

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class BodyStream(anyio.abc.ByteReceiveStream):
    """A body as it arrives (a request's, or decoded chunked data): pieces in, back-pressure out.

    The producer calls `feed`, `end` or `fail`; the consumer reads with `receive` or `async for`
    (it is an anyio `ByteReceiveStream`). While more than `high_water` bytes wait unread,
    `on_full(True)` asks the producer to stop reading its input; `on_full(False)` resumes it.
    """

    __slots__ = (
        "_before_first_read",
        "_buffered",
        "_chunks",
        "_discard",
        "_done",
        "_error",
        "_high_water",
        "_offset",
        "_on_full",
        "_parking",
        "_trailers",
    )

    def __init__(
        self,
        *,
        done: bool,
        on_full: Callable[[bool], None],
        before_first_read: Callable[[], Awaitable[None]] | None = None,
        high_water: int = 64 * 1024,
    ) -> None:
        self._chunks: deque[bytes] = deque()
        self._offset = 0
        self._buffered = 0
        self._done = done
        self._error: BaseException | None = None
        self._discard = False
        self._parking: Parking | None = None
        self._on_full = on_full
        self._before_first_read = before_first_read
        self._high_water = high_water
        self._trailers: list[tuple[str, str]] = []

    @property
    def trailers(self) -> Headers:
        """Trailer fields of a chunked body, filled when the body ends."""
        return Headers(self._trailers)

    def _wake(self) -> None:
        if self._parking is not None:
            self._parking.wake()

    @property
    def complete(self) -> bool:
        """True once every byte of the body has arrived."""
        return self._done

    @property
    def exhausted(self) -> bool:
        """True once every byte of the body has arrived and been read."""
        return self._done and not self._chunks

    def feed(self, data: bytes) -> None:
        """Called by the connection with the next piece of the body."""
        if self._discard:
            return
        self._chunks.append(data)
        self._buffered += len(data)
        self._wake()
        if self._buffered > self._high_water:
            self._on_full(True)

    def end(self, trailers: list[tuple[str, str]]) -> None:
        """Called by the connection when the body is complete."""
        if not self._done:
            self._done = True
            self._trailers = trailers
            self._wake()

    def fail(self, error: BaseException) -> None:
        """Called by the connection when the body cannot complete (client gone, bad framing)."""
        if not self._done:
            self._error = error
            self._wake()

    def discard(self) -> None:
        """The handler is done with the body: drop what is buffered and whatever still comes."""
        self._discard = True
        self._chunks.clear()
        self._offset = 0
        if self._buffered > self._high_water:
            self._on_full(False)
        self._buffered = 0

    def receive_nowait(self, max_bytes: int = 65536) -> bytes | None:
        """The next piece if one is already here (at most `max_bytes`), else None: no wait.

        None too before the first read's hook (``100 Continue``) has run: `receive` runs it.
        """
        if not self._chunks or self._before_first_read is not None:
            return None
        return self._take(max_bytes)

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """The next piece of the body, at most `max_bytes`; `anyio.EndOfStream` at its end."""
        if self._before_first_read is not None:
            before, self._before_first_read = self._before_first_read, None
            await before()
        chunks = self._chunks
        while not chunks:
            if self._done:
                raise anyio.EndOfStream
            if self._error is not None:
                raise self._error
            if self._parking is None:
                self._parking = new_parking()
            await self._parking.park()
        return self._take(max_bytes)

    def _take(self, max_bytes: int) -> bytes:
        chunks = self._chunks
        chunk = chunks[0]
        offset = self._offset
        if len(chunk) - offset > max_bytes:
            self._offset = offset + max_bytes
            chunk = chunk[offset : offset + max_bytes]
        else:
            chunks.popleft()
            self._offset = 0
            if offset:
                chunk = chunk[offset:]
        was_full = self._buffered > self._high_water
        self._buffered -= len(chunk)
        if was_full and self._buffered <= self._high_water:
            self._on_full(False)
        return chunk

    async def aclose(self) -> None:
        """Stop reading: drop what is buffered and whatever still arrives."""
        self.discard()


EMPTY_BODY = BodyStream(done=True, on_full=lambda full: None)
"""The body of every request that has none: complete from the start, shared."""


class Request:
    """One HTTP request: its head, and its body as a stream."""

    __slots__ = (
        "_form",
        "_headers",
        "body",
        "form_limits",
        "head",
        "local_address",
        "path_params",
        "remote_address",
        "scheme",
        "tls",
    )

    def __init__(
        self,
        head: RequestHead,
        body: BodyStream,
        remote_address: Any,
        local_address: Any = None,
        tls: ssl.SSLObject | None = None,
        scheme: str | None = None,
    ) -> None:
        self.head = head
        """The parsed head with its framing facts (`keep_alive`, `upgrade`, `content_length` …)."""
        self._headers: Headers | None = None
        self.body = body
        """The body, readable as it arrives (see `stream()` and `read()`)."""
        self.remote_address = remote_address
        """The client's socket address (a trusted proxy's ``X-Forwarded-For`` with
        ``proxy_headers``)."""
        self._form: FormData | None = None
        self.form_limits: FormLimits | None = None
        """The limits `form()` applies when given none (set from the route)."""
        self.local_address = local_address
        """The server's socket address the request arrived on."""
        self.tls = tls
        """The connection's TLS state when served over TLS, else None."""
        self.scheme = scheme or ("http" if tls is None else "https")
        """``"https"`` over TLS (or as a trusted proxy reports it), else ``"http"``."""
        self.path_params: dict[str, str] = {}
        """The values of the route pattern's ``{name}`` segments (``/chat/{room}``)."""

    @property
    def method(self) -> str:
        """The method, as sent (``GET``, ``POST`` …)."""
        return self.head.method

    @property
    def target(self) -> str:
        """The request-target as sent: path and query."""
        return self.head.target

    @property
    def path(self) -> str:
        """The target's path, without the query."""
        return self.head.target.partition("?")[0]

    @property
    def query(self) -> str:
        """The target's query string, without the ``?``."""
        return self.head.target.partition("?")[2]

    @property
    def version(self) -> str:
        """``"1.0"`` or ``"1.1"``."""
        return self.head.version

    @property
    def headers(self) -> Headers:
        """The header fields."""
        if self._headers is None:
            self._headers = Headers._over_list(self.head.headers)
        return self._headers

    def stream(self) -> BodyStream:
        """The body's pieces as they arrive (an async iterator of `bytes`)."""
        return self.body

    async def read(self, limit: int | None = None) -> bytes:
        """The whole body; `PayloadTooBig` (413) once it goes over `limit` bytes, or before
        reading (and before any ``100 Continue``) when its Content-Length already does."""
        declared = self.head.content_length
        if limit is not None and declared is not None and declared > limit:
            raise PayloadTooBig(f"request body of {declared} bytes, over {limit}", None, 413)
        parts = []
        size = 0
        async for chunk in self.body:
            size += len(chunk)
            if limit is not None and size > limit:
                raise PayloadTooBig(f"request body over {limit} bytes", None, 413)
            parts.append(chunk)
        return b"".join(parts)

    async def text(self, limit: int | None = None) -> str:
        """The whole body decoded as UTF-8."""
        return (await self.read(limit)).decode("utf-8")

    async def form(self, limits: FormLimits | None = None) -> FormData:
        """The form in the body (``multipart/form-data`` or urlencoded), read whole.

        Files larger than the limits' `spool_size` go to anonymous temporary files; close the
        `FormData` (``async with``) to release them. Past a limit (`limits`, else the route's
        `form_limits`, else `FormLimits()`) it raises a 413 error, and the server answers 413
        and closes the connection; 415 when the body is not a form. The body is read once:
        later calls return the same `FormData`.
        """
        if self._form is None:
            self._form = await read_form(self, limits or self.form_limits)
        return self._form

    def multipart(self, limits: MultipartLimits | None = None) -> AsyncIterator[MultipartPart]:
        """The parts of a ``multipart/*`` body as they arrive, each with its content stream.

        Nothing is buffered ahead of the consumer: reading stops while a part is not read, and
        asking for the next part skips the rest of the current one.
        """
        return MultipartParts(self, limits)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target} HTTP/{self.version}>"


Upgrade = Callable[["Transport", bytes], Coroutine[Any, Any, None] | None]
"""Takes over a connection after a 101 response: the transport and the bytes already read.

It may return a coroutine, which then runs in a task of its own."""


class Response:
    """A status, header fields and a body: `bytes`, or an async iterable of `bytes` to stream.

    With `upgrade`, the response is sent as the switch to another protocol and the connection is
    handed to `upgrade(transport, already_read)` afterwards.
    """

    __slots__ = ("body", "headers", "status", "upgrade")

    def __init__(
        self,
        body: bytes | str | AsyncIterable[bytes] = b"",
        status: int = 200,
        headers: HeaderItems | dict[str, str] | None = None,
        *,
        content_type: str | None = None,
        upgrade: Upgrade | None = None,
    ) -> None:
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
            if content_type is None:
                content_type = "text/plain; charset=utf-8"
        self.body = body
        if headers is None and content_type is not None:
            self.headers = Headers([("Content-Type", content_type)])
        else:
            self.headers = Headers(headers)
            if content_type is not None:
                self.headers.set("Content-Type", content_type)
        self.upgrade = upgrade

    @classmethod
    def text(
        cls, text: str, status: int = 200, headers: HeaderItems | dict[str, str] | None = None
    ) -> Response:
        """A ``text/plain`` response."""
        return cls(text, status, headers, content_type="text/plain; charset=utf-8")

    @classmethod
    def html(
        cls, html: str, status: int = 200, headers: HeaderItems | dict[str, str] | None = None
    ) -> Response:
        """A ``text/html`` response."""
        return cls(html, status, headers, content_type="text/html; charset=utf-8")

    @classmethod
    def json(
        cls, value: object, status: int = 200, headers: HeaderItems | dict[str, str] | None = None
    ) -> Response:
        """An ``application/json`` response."""
        return cls(jsonlib.dumps(value), status, headers, content_type="application/json")

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


HttpHandler = Callable[[Request], "Awaitable[Response] | Response | Responder"]
"""A plain HTTP handler: a coroutine function, or a plain function run inline; it may also return
a `Responder`, which writes its response itself."""
