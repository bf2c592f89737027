"""Ktor's ``parseMultipart``: a multipart body read from a byte stream as parts with body streams.

`parse_multipart` has Ktor's three overloads: from a stream and the request headers, from a
stream with a content type and an optional length, and from a stream with a boundary and an
optional total length. It returns a `MultipartReader`, an async iterator of `Preamble`,
`MultipartPart` and `Epilogue`, that runs unchanged on asyncio and trio.

The reader pulls: it reads the stream only when the consumer asks for the next part or for more
of a part's content, so a part body that is not consumed stops the reading (back-pressure).
Asking for the next part skips what is left of the current one. The bytes go through the Rust
`MultipartParser`, one call per read; every violation raises `MultipartError` with its status.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, overload

import anyio
import anyio.abc

from wsrs._wsrs import (
    Epilogue,
    MultipartLimits,
    MultipartParser,
    PartBegin,
    PartData,
    Preamble,
)
from wsrs.exceptions import MultipartError

if TYPE_CHECKING:
    from wsrs._wsrs import MultipartEvent
    from wsrs.http.messages import Headers

__all__ = ["MultipartPart", "MultipartReader", "parse_multipart"]

READ_SIZE = 64 * 1024
"""The most bytes one read asks the stream for."""


class MultipartReader:
    """The events of one multipart body: `Preamble`, `MultipartPart` and `Epilogue`, in order.

    Iterate it with ``async for``. Each `MultipartPart` must be read before the next event is
    asked for, or its unread content is skipped; nothing is read ahead of the consumer.
    """

    __slots__ = ("_current", "_done", "_events", "_parser", "_remaining", "_stream")

    def __init__(
        self,
        stream: anyio.abc.ByteReceiveStream,
        parser: MultipartParser,
        length: int | None = None,
    ) -> None:
        self._stream = stream
        self._parser = parser
        self._remaining = length
        self._events: deque[MultipartEvent] = deque()
        self._current: MultipartPart | None = None
        self._done = False

    async def _fill(self) -> bool:
        """Read once and parse; False when the body has ended and every event is out."""
        if self._done:
            return False
        remaining = self._remaining
        data = b""
        if remaining is None or remaining > 0:
            size = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
            try:
                data = await self._stream.receive(size)
            except anyio.EndOfStream:
                data = b""
        if data:
            if remaining is not None:
                self._remaining = remaining - len(data)
            self._events.extend(self._parser.feed(data))
            return True
        self._done = True
        self._events.extend(self._parser.finish())
        return True

    async def _next_event(self) -> MultipartEvent | None:
        events = self._events
        while not events:
            if not await self._fill():
                return None
        return events.popleft()

    async def _next_content(self) -> bytes | None:
        """The next piece of the current part's content, or None at its end."""
        event = await self._next_event()
        if type(event) is PartData:
            return event.data
        if event is None:
            raise MultipartError("multipart body ended inside a part", None, 400)
        return None

    def __aiter__(self) -> MultipartReader:
        return self

    async def __anext__(self) -> Preamble | MultipartPart | Epilogue:
        current = self._current
        if current is not None:
            await current.aclose()  # if cancelled, the next call goes on skipping
            self._current = None
        event = await self._next_event()
        if event is None:
            raise StopAsyncIteration
        if type(event) is PartBegin:
            part = MultipartPart(self, event)
            self._current = part
            return part
        if type(event) is Preamble or type(event) is Epilogue:
            return event
        raise AssertionError(f"unexpected multipart event {event!r}")


class MultipartPart(anyio.abc.ByteReceiveStream):
    """One part: its headers and what wsrs reads from them, and its content as a byte stream.

    Read the content with ``async for chunk in part``, `receive` or `read`. `filename` is the
    client's and never a path to trust; `filename_star` is the decoded RFC 8187 form, kept apart.
    """

    __slots__ = ("_begin", "_closed", "_ended", "_pending", "_reader")

    def __init__(self, reader: MultipartReader, begin: PartBegin) -> None:
        self._reader = reader
        self._begin = begin
        self._pending = b""
        self._ended = False
        self._closed = False

    @property
    def headers(self) -> Headers:
        """The part's header fields."""
        return self._begin.headers

    @property
    def name(self) -> str | None:
        """The ``name`` of the Content-Disposition (a form field's name)."""
        return self._begin.name

    @property
    def filename(self) -> str | None:
        """The plain ``filename`` of the Content-Disposition, as the client sent it."""
        return self._begin.filename

    @property
    def filename_star(self) -> str | None:
        """The RFC 8187 ``filename*``, decoded; it never replaces `filename`."""
        return self._begin.filename_star

    @property
    def disposition(self) -> str | None:
        """The Content-Disposition type, lowercased (``"form-data"`` in a form)."""
        return self._begin.disposition

    @property
    def content_type(self) -> str | None:
        """The part's media type (``type/subtype``, lowercased), if it has one."""
        return self._begin.content_type

    @property
    def charset(self) -> str | None:
        """The ``charset`` of the part's Content-Type, lowercased."""
        return self._begin.charset

    async def receive(self, max_bytes: int = READ_SIZE) -> bytes:
        """The next piece of content, at most `max_bytes`; `anyio.EndOfStream` at its end."""
        if self._closed:
            raise anyio.ClosedResourceError
        chunk = self._pending
        if not chunk:
            if self._ended:
                raise anyio.EndOfStream
            data = await self._reader._next_content()
            if data is None:
                self._ended = True
                raise anyio.EndOfStream
            chunk = data
        if len(chunk) > max_bytes:
            self._pending = chunk[max_bytes:]
            return chunk[:max_bytes]
        self._pending = b""
        return chunk

    async def read(self, limit: int | None = None) -> bytes:
        """The whole content; `MultipartError` (413) once it goes over `limit` bytes."""
        pieces = []
        size = 0
        async for chunk in self:
            size += len(chunk)
            if limit is not None and size > limit:
                raise MultipartError(f"part over {limit} bytes", None, 413)
            pieces.append(chunk)
        return b"".join(pieces)

    async def aclose(self) -> None:
        """Skip the rest of the content (read from the stream, not kept); `receive` then fails."""
        self._closed = True
        self._pending = b""
        while not self._ended:
            if await self._reader._next_content() is None:
                self._ended = True

    def __repr__(self) -> str:
        return f"<MultipartPart name={self.name!r} filename={self.filename!r}>"


def body_content_type(headers: Headers) -> str | None:
    """The one ``Content-Type`` of a message; `MultipartError` (400) when it has two.

    Content-Type is a singleton field (RFC 9110 §8.3): with two boundaries, a proxy that reads
    the last could see other parts than wsrs, which would read the first.
    """
    values = headers.get_all("Content-Type")
    if len(values) > 1:
        raise MultipartError("message with two Content-Type fields", None, 400)
    return values[0] if values else None


@overload
def parse_multipart(
    stream: anyio.abc.ByteReceiveStream,
    headers: Headers,
    /,
    *,
    limits: MultipartLimits | None = None,
) -> MultipartReader: ...
@overload
def parse_multipart(
    stream: anyio.abc.ByteReceiveStream,
    content_type: str,
    /,
    content_length: int | None = None,
    *,
    limits: MultipartLimits | None = None,
) -> MultipartReader: ...
@overload
def parse_multipart(
    stream: anyio.abc.ByteReceiveStream,
    /,
    *,
    boundary: str | bytes,
    total_length: int | None = None,
    limits: MultipartLimits | None = None,
) -> MultipartReader: ...
def parse_multipart(
    stream: anyio.abc.ByteReceiveStream,
    headers_or_content_type: Headers | str | None = None,
    /,
    content_length: int | None = None,
    *,
    boundary: str | bytes | None = None,
    total_length: int | None = None,
    limits: MultipartLimits | None = None,
) -> MultipartReader:
    """Read a multipart body from `stream`: Ktor's ``parseMultipart``, three ways.

    - ``parse_multipart(stream, headers)``: the boundary from the ``Content-Type`` field (415
      without one, or when it is not ``multipart/*``), the length from ``Content-Length``;
    - ``parse_multipart(stream, content_type, content_length=None)``;
    - ``parse_multipart(stream, boundary=..., total_length=None)``.

    At most the given length is read; without one, the stream is read to its end. The body must
    end with its close delimiter, or the reader raises `MultipartError`.
    """
    length: int | None
    if boundary is not None:
        if headers_or_content_type is not None or content_length is not None:
            raise TypeError("pass either boundary= or a content type or headers, not both")
        parser = MultipartParser(boundary, limits=limits)
        length = total_length
    elif isinstance(headers_or_content_type, str):
        parser = MultipartParser.from_content_type(headers_or_content_type, limits=limits)
        length = content_length
    elif headers_or_content_type is not None:
        headers = headers_or_content_type
        content_type = body_content_type(headers)
        if content_type is None:
            raise MultipartError("multipart body without a Content-Type", None, 415)
        parser = MultipartParser.from_content_type(content_type, limits=limits)
        declared = headers.get("Content-Length")
        valid = declared is not None and declared.isascii() and declared.isdigit()
        length = int(declared) if valid and declared is not None else None
    else:
        raise TypeError("parse_multipart needs headers, a content type or boundary=")
    if length is not None and length < 0:
        raise ValueError("a multipart length cannot be negative")
    return MultipartReader(stream, parser, length)
