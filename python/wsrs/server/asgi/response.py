"""An ASGI response's events turned into `ResponseWriter` calls (HTTP, and WebSocket denials,
after which the connection closes, as the denial-response extension asks).

The head waits until the first body event: a response whose first body event is also its last
goes out whole through `respond` (no streaming, no wait); anything else streams. A file sent with
``http.response.pathsend`` goes out whole when small, read in a worker thread piece by piece when
large. Trailers go out only to a client that sent ``TE: trailers`` (and only with the chunked
coding); early hints become 103 responses with one ``Link`` field per link.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import anyio

from wsrs.exceptions import ClientDisconnected
from wsrs.http._writer import ResponseWriter
from wsrs.http.messages import Response
from wsrs.server.asgi.types import Message
from wsrs.ws.handshake import header_tokens

__all__ = ["AsgiResponse"]

SMALL_FILE = 64 * 1024
"""Files up to this size are read in one go, inline, and sent as a whole response."""
FILE_CHUNK = 256 * 1024

_NEW, _HEAD, _STREAMING, _TRAILERS, _DONE = range(5)


def str_headers(headers: Iterable[Sequence[bytes]]) -> list[tuple[str, str]]:
    """ASGI's ``[name, value]`` byte-string pairs as the engine's text pairs (latin-1)."""
    return [(str(name, "latin-1"), str(value, "latin-1")) for name, value in headers]


def _stat_and_read(path: str, read: bool) -> tuple[int, bytes | None]:
    """A file's size, and its content when `read` and it is small (run in a worker thread)."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        return size, (file.read() if read and size <= SMALL_FILE else None)


class AsgiResponse:
    """One response, fed ``*.response.*`` events in the order an application sends them."""

    __slots__ = (
        "_close",
        "_headers",
        "_state",
        "_status",
        "_trailers",
        "_trailers_wanted",
        "_writer",
    )

    def __init__(self, writer: ResponseWriter, *, close: bool = False) -> None:
        self._writer = writer
        self._close = close
        self._state = _NEW
        self._status = 200
        self._headers: list[tuple[str, str]] = []
        self._trailers: list[tuple[str, str]] | None = None
        self._trailers_wanted = False

    @property
    def complete(self) -> bool:
        """True once the whole response was handed to the writer."""
        return self._state == _DONE

    def _expect(self, state: int, kind: str) -> None:
        if self._state == _DONE and self._writer.disconnected:
            raise ClientDisconnected("the client has disconnected")
        if self._state != state:
            raise RuntimeError(f"unexpected ASGI message {kind!r} at this point of the response")

    def start(self, message: Message) -> None:
        """``http.response.start``: the head, held until the body's first event."""
        if self._state != _NEW:
            self._expect(_NEW, message["type"])
        self._status = int(message["status"])
        self._headers = [
            (str(name, "latin-1"), str(value, "latin-1"))
            for name, value in message.get("headers", ())
        ]
        if self._close:
            self._headers.append(("Connection", "close"))
        if message.get("trailers", False):
            self._trailers = []
            self._trailers_wanted = "trailers" in header_tokens(self._writer.request.headers, "TE")
        self._state = _HEAD

    async def body(self, message: Message) -> None:
        """``http.response.body``: a piece of the body; ``more_body`` false ends it."""
        state = self._state
        if state == _DONE and not self._writer.disconnected:
            return  # the spec: messages after the end are ignored
        body = message.get("body", b"")
        more = message.get("more_body", False)
        writer = self._writer
        if state == _HEAD:
            if not more and self._trailers is None:
                self._state = _DONE
                writer.respond(Response(bytes(body), self._status, self._headers))
                return
            await writer.start(Response(b"", self._status, self._headers))
            self._state = _STREAMING
        else:
            self._expect(_STREAMING, message["type"])
        if body:
            await writer.write(bytes(body))
        if not more:
            await self._end_body()

    async def _end_body(self) -> None:
        if self._trailers is None:
            self._state = _DONE
            await self._writer.end()
        else:
            self._state = _TRAILERS

    async def trailers(self, message: Message) -> None:
        """``http.response.trailers``: trailer fields, after the last body piece."""
        if self._trailers is None or self._state not in (_STREAMING, _TRAILERS):
            self._expect(-1, message["type"])
        assert self._trailers is not None
        self._trailers.extend(str_headers(message.get("headers", ())))
        if not message.get("more_trailers", False):
            self._state = _DONE
            await self._writer.end(self._trailers if self._trailers_wanted else None)

    async def pathsend(self, message: Message) -> None:
        """``http.response.pathsend``: the whole body is the file at ``path``."""
        self._expect(_HEAD, message["type"])
        path = os.fspath(message["path"])
        writer = self._writer
        whole = self._trailers is None and writer.request.method != "HEAD"
        size, data = await anyio.to_thread.run_sync(_stat_and_read, path, whole)
        headers = self._headers
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers = [*headers, ("Content-Length", str(size))]
        if data is not None or (size <= SMALL_FILE and self._trailers is None):
            self._state = _DONE
            writer.respond(Response(data or b"", self._status, headers))
            return
        await writer.start(Response(b"", self._status, headers))
        self._state = _STREAMING
        if not writer.skips_body:
            async with await anyio.open_file(path, "rb") as file:
                while chunk := await file.read(FILE_CHUNK):
                    await writer.write(chunk)
        await self._end_body()

    async def early_hint(self, message: Message) -> None:
        """``http.response.early_hint``: a 103 with the links, before the final response.

        Ignored once the final head went out, as the extension allows.
        """
        if self._state not in (_NEW, _HEAD):
            return
        links = [("Link", bytes(link).decode("latin-1")) for link in message.get("links", ())]
        if links:
            await self._writer.interim(103, links)
