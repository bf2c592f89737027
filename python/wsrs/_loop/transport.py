"""The byte transport under the HTTP pipeline and WebSocket sessions.

Consumers are written against asyncio's Protocol/Transport interface: they receive bytes through
synchronous callbacks (`data_received`, `eof_received`, `connection_lost`, `pause_writing`,
`resume_writing`) and write with a non-blocking `transport.write`. On asyncio that interface is
the event loop's own transport, so each socket read goes straight to the consumer with no task
switch (see ARCHITECTURE.md, "Transport"). On trio, or over any anyio byte stream,
`StreamTransport` provides the same interface with one reader and one writer task. An upgrade
hands the transport to the next consumer with `set_protocol`.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import anyio
import anyio.abc
from anyio.streams.tls import TLSAttribute

from wsrs._loop.sync import Spawn, new_parking, running_trio
from wsrs._wsrs import SocketWriter

__all__ = [
    "Consumer",
    "StreamTransport",
    "Transport",
    "direct_write",
    "read_directly",
    "stop_reading_directly",
    "vectored_write",
]

DEFAULT_WRITE_HIGH = 64 * 1024
"""Bytes buffered for writing before consumers are told to pause (`pause_writing`)."""
DEFAULT_WRITE_LOW = 16 * 1024
"""Buffered bytes at or below which writing resumes (`resume_writing`)."""
READ_SIZE = 64 * 1024
"""Bytes asked of one socket read for a consumer that takes `bytes` (`data_received`)."""


class Consumer(Protocol):
    """What a transport feeds: the `asyncio.Protocol` methods for data and flow control."""

    def data_received(self, data: bytes) -> None: ...
    def eof_received(self) -> bool | None: ...
    def connection_lost(self, exc: Exception | None) -> None: ...
    def pause_writing(self) -> None: ...
    def resume_writing(self) -> None: ...


_NO_CONSUMER: Consumer = asyncio.Protocol()
"""What a `StreamTransport` feeds once its connection is lost: nothing."""


class Transport(Protocol):
    """The subset of `asyncio.Transport` the consumers use."""

    def write(self, data: bytes | bytearray | memoryview) -> None: ...
    def writelines(self, parts: Sequence[bytes]) -> None: ...
    def is_closing(self) -> bool: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...
    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...
    def get_write_buffer_size(self) -> int: ...
    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None: ...
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...
    def set_protocol(self, protocol: Any) -> None: ...


def direct_write(transport: Transport) -> Callable[[bytes], None]:
    """The `write` for `transport`: its own, or for asyncio's plain-socket transport one that
    sends on the socket itself while nothing is buffered (`SocketWriter`).

    That transport's `write` is Python on asyncio's selector loops, as costly as the rest of a
    small message's answer; uvloop's is C already and is used as it is, as are TLS transports'.
    """
    if type(transport) is _SELECTOR_SOCKET and os.name == "posix":
        writer: Callable[[bytes], None] = SocketWriter(
            transport.get_extra_info("socket").fileno(), transport
        )
        return writer
    return transport.write


def read_directly(transport: Transport, reader: _SocketReader) -> None:
    """Make `reader` the loop's reader callback for `transport`'s socket, in place of the
    transport's own, where that is asyncio's plain-socket transport on POSIX.

    That callback is Python on asyncio's selector loops (`get_buffer`, `recv_into`,
    `buffer_updated` and their checks), a good part of a small message's cost. The transport
    registers its `_read_ready` whenever reading resumes, so `reader` stays in place through
    pauses; it gives the end of the stream and errors back to the transport
    (`_read_ready__on_eof`, `_fatal_error`), which closes as it would have. uvloop's and TLS
    transports read in C or through their own layers and are left as they are.
    """
    if type(transport) is not _SELECTOR_SOCKET or os.name != "posix" or not _SELECTOR_READS:
        return
    selector: Any = transport
    reader.socket_fd = selector.get_extra_info("socket").fileno()
    selector._read_ready = reader.read_ready
    if selector.is_reading():
        # Registered already: register again, now with `reader`.
        selector.pause_reading()
        selector.resume_reading()


def stop_reading_directly(transport: Transport) -> None:
    """Undo `read_directly` once the connection is lost: the transport lives on until the
    cycle collector frees it (asyncio's refers to itself), and must not keep the reader (the
    session's inbox, its decoder and the messages never received) alive that long."""
    if type(transport) is _SELECTOR_SOCKET:
        vars(transport).pop("_read_ready", None)


class _SocketReader(Protocol):
    """What `read_directly` installs: a socket's reader callback (the session's `Inbox`)."""

    socket_fd: int | None

    def read_ready(self) -> None: ...


def vectored_write(transport: Transport) -> Callable[[Sequence[bytes]], None] | None:
    """A function writing pieces in order without joining them first, or None for `transport`.

    uvloop's `writelines` and `StreamTransport`'s write the pieces in one vectored call when
    nothing is buffered, as asyncio's socket transport does from Python 3.12. On 3.11 asyncio's
    `writelines` joins them into a new `bytes` (a copy of a large payload per message, and its
    allocation churn), so for its plain-socket transport the pieces go to `os.writev` while the
    transport's buffer is empty, as its own `write` tries `send` first. TLS transports are left
    with their `writelines`, which encrypts piece by piece.
    """
    kind = type(transport)
    if kind is _SELECTOR_SOCKET and _SELECTOR_JOINS and hasattr(os, "writev"):
        return _selector_writev(transport)
    writelines = getattr(kind, "writelines", None)
    if writelines is None or writelines is asyncio.WriteTransport.writelines:
        return None
    return transport.writelines


_SELECTOR_SOCKET: type = getattr(asyncio.selector_events, "_SelectorSocketTransport", type(None))
"""asyncio's transport over a plain socket (selector event loops)."""
_SELECTOR_JOINS = getattr(_SELECTOR_SOCKET, "writelines", None) is asyncio.WriteTransport.writelines
"""Whether that transport's `writelines` is the generic one that joins (Python 3.11)."""
_SELECTOR_READS = all(
    hasattr(_SELECTOR_SOCKET, name)
    for name in ("_read_ready", "_read_ready__on_eof", "_fatal_error")
)
"""Whether that transport has the reader callback and the hand-backs `read_directly` relies on."""


def _selector_writev(transport: Transport) -> Callable[[Sequence[bytes]], None]:
    """`writelines` for asyncio's plain-socket transport: `os.writev` while nothing is buffered.

    What the socket does not take now goes to `transport.write` piece by piece (buffered there
    in one copy of the remainder); so does everything once the transport is closing (its socket
    may already be closed and the descriptor reused) or has bytes waiting, and an error of the
    socket's, which `write` then meets again and fails the transport with as usual.
    """
    fd = transport.get_extra_info("socket").fileno()
    write = transport.write
    buffered = transport.get_write_buffer_size
    closing = transport.is_closing

    def write_parts(parts: Sequence[bytes]) -> None:
        sent = 0
        if not buffered() and not closing():
            try:
                sent = os.writev(fd, parts)
            except OSError:
                sent = 0
        for piece in _unsent(parts, sent):
            write(piece)

    return write_parts


def _unsent(parts: Sequence[bytes], sent: int) -> Iterator[bytes | memoryview]:
    """What of `parts` a vectored send that took `sent` bytes left: the cut piece's rest, then
    every later non-empty piece."""
    for part in parts:
        if sent >= len(part):
            sent -= len(part)
            continue
        yield memoryview(part)[sent:] if sent else part
        sent = 0


class StreamTransport:
    """asyncio's transport interface over an anyio byte stream, driven by `run()`.

    `run()` reads in the calling task and hands each read to the consumer; on trio's plain
    sockets it reads the socket itself, into a buffered consumer's own memory. Writes go out from
    a writer task started with `spawn` while there is something to send; on trio's plain sockets
    `write` first tries a non-blocking send itself, so most writes need no task at all.
    """

    def __init__(self, stream: anyio.abc.ByteStream, consumer: Consumer, spawn: Spawn) -> None:
        self._stream = stream
        self._consumer = consumer
        self._spawn = spawn
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._high = DEFAULT_WRITE_HIGH
        self._low = DEFAULT_WRITE_LOW
        self._writing_paused = False
        self._reading_paused = False
        self._closing = False
        self._lost = False
        self._writer_parking = new_parking()
        self._reader_parking = new_parking()
        self._reader_scope = anyio.CancelScope()
        self._writer_running = False
        self._sending = False
        self._eof_wanted = False
        self._eof_sent = False
        self._error: Exception | None = None
        # On trio a plain socket's send returns once the bytes are in the kernel, so `write` may
        # try a non-blocking send itself while nothing waits in the buffer: no writer task then
        # stands between a message and the socket. TLS streams always go through the writer.
        plain = stream.extra(TLSAttribute.ssl_object, None) is None
        raw = stream.extra(anyio.abc.SocketAttribute.raw_socket, None) if plain else None
        self._raw_socket = raw if running_trio() else None
        if self._raw_socket is None:
            self._start_writer()

    async def run(self) -> None:
        """Read until the connection ends, then close the stream; `connection_lost` runs once."""
        try:
            with self._reader_scope:
                if self._raw_socket is not None:
                    await self._read_socket(self._raw_socket)
                else:
                    await self._read_loop()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as error:
            self._error = self._error or error
        finally:
            self._closing = True
            self._chunks.clear()
            self._writer_parking.wake()
            with anyio.CancelScope(shield=True):
                await anyio.aclose_forcefully(self._stream)
            if not self._lost:
                self._lost = True
                consumer, self._consumer = self._consumer, _NO_CONSUMER
                # Let go of the consumer, as asyncio's transports do: a finished session is
                # then freed by its reference count, not left to the cyclic collector.
                consumer.connection_lost(self._error)

    async def _read_loop(self) -> None:
        stream = self._stream
        while True:
            if self._closing:
                # Closing: stop reading and wait for the writer to flush; `_finish` ends the wait.
                await anyio.sleep_forever()
            if self._reading_paused:
                await self._reader_parking.park()
                continue
            try:
                data = await stream.receive()
            except anyio.EndOfStream:
                await self._at_eof()
            self._consumer.data_received(data)

    async def _at_eof(self) -> None:
        """The peer finished sending: the consumer decides whether to close; half-closed, it may
        still write, and `_finish` ends the wait."""
        if not self._consumer.eof_received():
            self.close()
        await anyio.sleep_forever()

    async def _read_socket(self, sock: socket.socket) -> None:
        """`_read_loop` on trio's plain socket: wait until it is readable, then one
        non-blocking read, into the consumer's own memory when it is a buffered protocol
        (`get_buffer`/`buffer_updated`, as asyncio's loop does), so no `bytes` is made per
        read, and without the stream's layers (anyio's guard, trio's retry and its second
        checkpoint). `wait_readable` is the read's checkpoint: cancellation lands there, and
        a peer that floods the socket still lets other tasks run between reads."""
        trio: Any = sys.modules["trio"]
        wait_readable = trio.lowlevel.wait_readable
        while True:
            if self._closing:
                await anyio.sleep_forever()
            if self._reading_paused:
                await self._reader_parking.park()
                continue
            try:
                await wait_readable(sock)
            except trio.ClosedResourceError:
                raise anyio.ClosedResourceError from None  # another task closed the stream
            if self._reading_paused or self._closing:
                continue  # paused or closed while waiting: nothing more is handed over
            consumer = self._consumer
            get_buffer = getattr(consumer, "get_buffer", None)
            try:
                if get_buffer is not None:
                    nbytes = sock.recv_into(get_buffer(-1))
                    if nbytes:
                        consumer.buffer_updated(nbytes)  # type: ignore[attr-defined]
                        continue
                else:
                    data = sock.recv(READ_SIZE)
                    if data:
                        consumer.data_received(data)
                        continue
            except (BlockingIOError, InterruptedError):
                continue
            await self._at_eof()

    def _start_writer(self) -> None:
        if not self._writer_running:
            self._writer_running = True
            self._spawn(self._write_loop)

    async def _write_loop(self) -> None:
        try:
            await self._write_all()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as error:
            self._error = self._error or error
            self._closing = True
            self._finish()
        finally:
            self._writer_running = False

    async def _write_all(self) -> None:
        stream = self._stream
        while True:
            if not self._chunks:
                if self._closing:
                    self._finish()
                    return
                if self._eof_wanted and not self._eof_sent:
                    self._eof_sent = True
                    await stream.send_eof()
                    continue
                if self._raw_socket is not None:
                    return  # writes go straight to the socket again
                await self._writer_parking.park()
                continue
            chunks, self._chunks = self._chunks, []
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            self._sending = True
            try:
                await stream.send(data)
            finally:
                self._sending = False
            self._buffered -= len(data)
            if self._writing_paused and self._buffered <= self._low:
                self._writing_paused = False
                self._consumer.resume_writing()

    def _finish(self) -> None:
        """Everything is written and closing was asked (or writing failed): stop reading."""
        self._reader_scope.cancel()
        self._reader_parking.wake()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing or self._eof_wanted or not data:
            return
        if self._raw_socket is not None and not self._chunks and not self._sending:
            sent = self._send_now(self._raw_socket.send, data)
            if sent is None or sent == len(data):
                return
            data = memoryview(data)[sent:]
        self._buffer(bytes(data))

    def writelines(self, parts: Sequence[bytes]) -> None:
        """Write `parts` in order; on a plain socket with nothing buffered, in one `sendmsg`."""
        if self._closing or self._eof_wanted:
            return
        if self._raw_socket is not None and not self._chunks and not self._sending:
            sent = self._send_now(self._raw_socket.sendmsg, parts)
            if sent is None:
                return
        else:
            sent = 0
        for piece in _unsent(parts, sent):
            self._buffer(bytes(piece))

    def _send_now(self, send: Callable[[Any], int], data: Any) -> int | None:
        """Bytes a non-blocking send took, or None when it failed (the transport is aborted)."""
        try:
            return send(data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as error:
            self._error = error
            self.abort()
            return None

    def _buffer(self, data: bytes) -> None:
        """Queue `data` for the writer task; tell the consumer to pause above the high mark."""
        self._chunks.append(data)
        self._buffered += len(data)
        self._writer_parking.wake()
        self._start_writer()
        if not self._writing_paused and self._buffered > self._high:
            self._writing_paused = True
            self._consumer.pause_writing()

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stop reading, send what is buffered, then close."""
        if self._closing:
            return
        self._closing = True
        self._writer_parking.wake()
        if self._chunks or self._sending:
            self._start_writer()
        else:
            self._finish()

    def abort(self) -> None:
        """Close at once, dropping anything not yet sent."""
        self._closing = True
        self._chunks.clear()
        self._buffered = 0
        self._writer_parking.wake()
        self._finish()

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self) -> None:
        if self._reading_paused:
            self._reading_paused = False
            self._reader_parking.wake()

    def get_write_buffer_size(self) -> int:
        return self._buffered

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = DEFAULT_WRITE_HIGH if low is None else 4 * low
        if low is None:
            low = high // 4
        self._high, self._low = high, low
        if not self._writing_paused and self._buffered > high:
            self._writing_paused = True
            self._consumer.pause_writing()
        elif self._writing_paused and self._buffered <= low:
            self._writing_paused = False
            self._consumer.resume_writing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        attribute = {
            "peername": anyio.abc.SocketAttribute.remote_address,
            "sockname": anyio.abc.SocketAttribute.local_address,
            "ssl_object": TLSAttribute.ssl_object,
            "socket": anyio.abc.SocketAttribute.raw_socket,
        }.get(name)
        if attribute is None:
            return default
        return self._stream.extra(attribute, default)

    def set_protocol(self, protocol: Consumer) -> None:
        self._consumer = protocol

    def can_write_eof(self) -> bool:
        """True on plain TCP streams, which can half-close; TLS streams cannot."""
        return self._raw_socket is not None

    def write_eof(self) -> None:
        """Send FIN once everything buffered is written; reading goes on."""
        if not self._eof_wanted:
            self._eof_wanted = True
            self._start_writer()
