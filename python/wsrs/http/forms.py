"""HTML forms: `await request.form()` and `request.multipart()`, with their limits.

`read_form` reads ``multipart/form-data`` (through `parse_multipart`) and
``application/x-www-form-urlencoded`` bodies into a `FormData`: text fields as `str`, file parts
as `UploadFile` objects that stay in memory up to `FormLimits.spool_size` and then move to an
anonymous temporary file (``tempfile.TemporaryFile``: it has no name, so nothing is ever left on
disk, whatever happens to the process). Past a limit the read stops with a 413 error and every
file it had started is closed; the server then answers 413 and closes the connection.

A client's filename is only ever data: no helper here builds a path from it.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from os import PathLike
from typing import IO, TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from wsrs._wsrs import MultipartLimits, form_decode
from wsrs.exceptions import MultipartError, PayloadTooBig, RemoteProtocolError
from wsrs.http.multipart import MultipartPart, body_content_type, parse_multipart

if TYPE_CHECKING:
    from wsrs.http.messages import Headers, Request

__all__ = ["FormData", "FormLimits", "FormValue", "MultipartParts", "UploadFile", "read_form"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class FormLimits:
    """The caps of `request.form()`; past one the form is refused with 413.

    The defaults follow Starlette's (1000 fields, 1000 files, 1 MiB per text field); files and
    the whole form are unbounded unless you set `max_file_size` / `max_total_size`, but what a
    form keeps in memory is bounded by `max_memory_size`. An urlencoded body is capped by
    `max_total_size`, or by `max_field_size` when that is None, and by `max_memory_size`.
    """

    max_fields: int = 1000
    """Most text fields."""
    max_files: int = 1000
    """Most file parts."""
    max_field_size: int = MIB
    """Longest text field value, in bytes."""
    max_file_size: int | None = None
    """Largest file, in bytes."""
    max_total_size: int | None = None
    """Most content bytes over all fields and files."""
    spool_size: int = MIB
    """Files up to this many bytes stay in memory; larger ones move to a temporary file."""
    max_memory_size: int = 16 * MIB
    """Most bytes one form keeps in memory, text fields and files not spooled together: past
    it, files move to temporary files early and more text is refused (413). Without it, the
    per-field and per-file caps times the counts would let one request hold gigabytes."""
    multipart: MultipartLimits | None = None
    """The multipart parser's own limits (part headers ...); None for its defaults, with room
    for `max_fields` + `max_files` parts."""

    def multipart_limits(self) -> MultipartLimits:
        """The limits the multipart parser reads a form under."""
        if self.multipart is not None:
            return self.multipart
        return MultipartLimits(max_parts=self.max_fields + self.max_files)


DEFAULT_FORM_LIMITS = FormLimits()


class UploadFile:
    """A file part of a form: the client's filename and content type, and the content.

    The content is in memory up to the form's `spool_size`, in an anonymous temporary file past
    it. `filename` is what the client sent: never use it as a path (choose one and `save`).
    """

    __slots__ = ("_file", "_on_disk", "_spool_size", "content_type", "filename", "headers", "size")

    def __init__(
        self,
        filename: str,
        content_type: str | None = None,
        headers: Headers | None = None,
        *,
        spool_size: int = MIB,
    ) -> None:
        self.filename = filename
        """The client's filename, exactly as sent (may be empty)."""
        self.content_type = content_type
        """The part's media type, lowercased, if it had one."""
        self.headers = headers
        """The part's header fields."""
        self.size = 0
        """How many bytes the content holds."""
        self._file: IO[bytes] = io.BytesIO()
        self._on_disk = False
        self._spool_size = spool_size

    @property
    def file(self) -> IO[bytes]:
        """The underlying binary file object (`io.BytesIO`, or the temporary file)."""
        return self._file

    @property
    def in_memory(self) -> bool:
        """True while the content has not moved to a temporary file."""
        return not self._on_disk

    async def write(self, data: bytes) -> None:
        """Append `data`, moving the content to a temporary file once it outgrows memory."""
        if not self._on_disk and self.size + len(data) > self._spool_size:
            await anyio.to_thread.run_sync(self._spill)
        self.size += len(data)
        if self._on_disk:
            await anyio.to_thread.run_sync(self._file.write, data)
        else:
            self._file.write(data)

    def _spill(self) -> None:
        disk = tempfile.TemporaryFile()  # noqa: SIM115 - owned by this object, closed by close()
        disk.write(self._file.getbuffer())  # type: ignore[attr-defined]
        self._file = disk
        self._on_disk = True

    async def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes from the current position (all of the rest by default)."""
        if self._on_disk:
            return await anyio.to_thread.run_sync(self._file.read, size)
        return self._file.read(size)

    async def seek(self, offset: int, whence: int = 0) -> int:
        """Move the position, as `io.IOBase.seek` does; returns the new position."""
        if self._on_disk:
            return await anyio.to_thread.run_sync(self._file.seek, offset, whence)
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        """The current position."""
        return self._file.tell()

    async def save(self, path: str | PathLike[str]) -> int:
        """Write the whole content to `path` (a path you chose) and return its size."""

        def copy() -> int:
            self._file.seek(0)
            with open(path, "wb") as out:
                shutil.copyfileobj(self._file, out, MIB)
            self._file.seek(0)
            return self.size

        return await anyio.to_thread.run_sync(copy)

    def close(self) -> None:
        """Release the content (a temporary file disappears with it)."""
        self._file.close()

    async def aclose(self) -> None:
        """`close`, for ``async with`` and `FormData.aclose`."""
        self.close()

    def __repr__(self) -> str:
        return f"<UploadFile {self.filename!r} {self.size} bytes>"


FormValue = str | UploadFile
"""A form field's value: text, or an uploaded file."""


class FormData:
    """A form's fields in arrival order, looked up by name; a name may repeat.

    ``form[name]`` and `get` give the first value, `getlist` every one. Use it as an async
    context manager (or call `aclose`) to release the uploaded files.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, FormValue]] = ()) -> None:
        self._items = list(items)

    def __getitem__(self, name: str) -> FormValue:
        for key, value in self._items:
            if key == name:
                return value
        raise KeyError(name)

    def get(self, name: str, default: Any = None) -> Any:
        """The first value of `name`, or `default`."""
        for key, value in self._items:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[FormValue]:
        """Every value of `name`, in order."""
        return [value for key, value in self._items if key == name]

    def keys(self) -> list[str]:
        """The distinct names, in order of first appearance."""
        return list(dict.fromkeys(key for key, _ in self._items))

    def multi_items(self) -> list[tuple[str, FormValue]]:
        """Every (name, value), in arrival order."""
        return list(self._items)

    @property
    def files(self) -> list[UploadFile]:
        """Every uploaded file, in order."""
        return [value for _, value in self._items if isinstance(value, UploadFile)]

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def close(self) -> None:
        """Release every uploaded file."""
        for upload in self.files:
            upload.close()

    async def aclose(self) -> None:
        """`close`, awaitable."""
        self.close()

    async def __aenter__(self) -> FormData:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FormData({self._items!r})"


def _too_big(what: str) -> MultipartError:
    return MultipartError(f"form has {what}", None, 413)


async def _read_multipart(request: Request, limits: FormLimits) -> FormData:
    items: list[tuple[str, FormValue]] = []
    fields = files = total = 0
    held = 0  # bytes in memory: text fields and the files not spooled
    max_total = limits.max_total_size
    try:
        reader = parse_multipart(request.body, request.headers, limits=limits.multipart_limits())
        async for event in reader:
            if not isinstance(event, MultipartPart):
                continue
            name = event.name
            if event.disposition != "form-data" or name is None:
                raise MultipartError("form part without form-data disposition and name", None, 400)
            if event.filename is not None:
                files += 1
                if files > limits.max_files:
                    raise _too_big("too many files")
                upload = UploadFile(
                    event.filename, event.content_type, event.headers, spool_size=limits.spool_size
                )
                items.append((name, upload))
                max_file = limits.max_file_size
                async for chunk in event:
                    total += len(chunk)
                    if max_total is not None and total > max_total:
                        raise _too_big("more content than allowed")
                    if max_file is not None and upload.size + len(chunk) > max_file:
                        raise _too_big("a file larger than allowed")
                    if upload.in_memory and held + len(chunk) > limits.max_memory_size:
                        held -= upload.size
                        await anyio.to_thread.run_sync(upload._spill)
                    in_memory = upload.size if upload.in_memory else 0
                    await upload.write(chunk)
                    held += (upload.size if upload.in_memory else 0) - in_memory
                await upload.seek(0)
                continue
            fields += 1
            if fields > limits.max_fields:
                raise _too_big("too many fields")
            # 413 past the field's cap, or past what the form may still keep in memory.
            content = await event.read(min(limits.max_field_size, limits.max_memory_size - held))
            held += len(content)
            total += len(content)
            if max_total is not None and total > max_total:
                raise _too_big("more content than allowed")
            items.append((name, _decode(content, event.charset)))
    except BaseException:
        FormData(items).close()
        raise
    return FormData(items)


_CODECS = {"utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "ascii", "iso-8859-1": "latin-1"}
"""The charsets a text field may name, and their codecs: what senders use. Any Python codec is
no choice to hand a client: ``punycode`` decodes in quadratic time (3 s for 80 KB)."""


def _decode(value: bytes, charset: str | None) -> str:
    codec = _CODECS.get(charset or "utf-8")
    if codec is None:
        raise MultipartError("form field in an unsupported charset", None, 400)
    try:
        return value.decode(codec)
    except UnicodeDecodeError:
        raise MultipartError("form field not in its charset", None, 400) from None


async def _read_urlencoded(request: Request, limits: FormLimits) -> FormData:
    cap = limits.max_field_size if limits.max_total_size is None else limits.max_total_size
    cap = min(cap, limits.max_memory_size)
    return FormData(_parse_urlencoded(await request.read(cap), limits))


def _parse_urlencoded(body: bytes, limits: FormLimits) -> list[tuple[str, str]]:
    """The (name, value) pairs of an urlencoded body, as the WHATWG URL standard reads them:
    split on ``&`` (empty pieces are skipped) and the first ``=``, ``+`` is a space, percent
    sequences are bytes (a malformed one is kept as sent), and the bytes are UTF-8, raw ones
    included (``curl -d`` sends them unencoded). Every piece counts against `max_fields`, as
    in `urllib.parse.parse_qsl`, so the count is known before anything is split; the decoding
    is one Rust call per name or value (a Python loop per ``%`` stalled the event loop for half
    a second on 1 MiB of them)."""
    if body.count(b"&") >= limits.max_fields:
        raise PayloadTooBig("form has too many fields", None, 413)
    pairs = []
    for piece in body.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        content = form_decode(value)
        if len(content) > limits.max_field_size:
            raise PayloadTooBig("form field larger than allowed", None, 413)
        pairs.append((_utf8(form_decode(name)), _utf8(content)))
    return pairs


def _utf8(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise RemoteProtocolError("form field not UTF-8", None, 400) from None


async def read_form(request: Request, limits: FormLimits | None = None) -> FormData:
    """The form in `request`'s body (``multipart/form-data`` or urlencoded); 415 for others."""
    limits = limits or DEFAULT_FORM_LIMITS
    content_type = body_content_type(request.headers) or ""
    essence = content_type.partition(";")[0].strip().lower()
    if essence == "multipart/form-data":
        return await _read_multipart(request, limits)
    if essence == "application/x-www-form-urlencoded":
        return await _read_urlencoded(request, limits)
    raise MultipartError("request content is not a form", None, 415)


class MultipartParts:
    """The parts of a multipart request body as they arrive, preamble and epilogue skipped."""

    __slots__ = ("_events",)

    def __init__(self, request: Request, limits: MultipartLimits | None = None) -> None:
        self._events = parse_multipart(request.body, request.headers, limits=limits)

    def __aiter__(self) -> MultipartParts:
        return self

    async def __anext__(self) -> MultipartPart:
        async for event in self._events:
            if isinstance(event, MultipartPart):
                return event
        raise StopAsyncIteration
