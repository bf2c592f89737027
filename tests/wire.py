"""Hand-written WebSocket and HTTP bytes for tests, independent of the codec under test.

`RawClient` speaks to a server over a real TCP socket with frames built here, so tests can send
what no well-behaved library would (bad opcodes, unmasked frames, split frames) and read back
exactly what the server wrote.
"""

from __future__ import annotations

import base64
import os
import struct
from dataclasses import dataclass
from types import TracebackType

import anyio
import anyio.abc


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bytes | None = b"\x01\x02\x03\x04",
) -> bytes:
    """One frame; masked with `mask` (a client's frame) unless `mask` is None."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask is not None else 0
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask is None:
        return header + payload
    if mask == bytes(4):
        # A zero key leaves the payload as it is: the fast way to send a large frame.
        return header + mask + payload
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return header + mask + masked


def close_payload(code: int, reason: str = "") -> bytes:
    """The payload of a Close frame."""
    return struct.pack("!H", code) + reason.encode("utf-8")


@dataclass
class WireFrame:
    """A frame as read from the wire."""

    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes

    @property
    def close_code(self) -> int | None:
        """The code of a Close frame, None when it has no payload."""
        if len(self.payload) < 2:
            return None
        code: int = struct.unpack("!H", self.payload[:2])[0]
        return code


def parse_frame(buffer: bytearray) -> WireFrame | None:
    """Take one whole frame off the front of `buffer`, or None while it is incomplete."""
    if len(buffer) < 2:
        return None
    first, second = buffer[0], buffer[1]
    length = second & 0x7F
    offset = 2
    if length == 126:
        if len(buffer) < 4:
            return None
        length = struct.unpack("!H", buffer[2:4])[0]
        offset = 4
    elif length == 127:
        if len(buffer) < 10:
            return None
        length = struct.unpack("!Q", buffer[2:10])[0]
        offset = 10
    masked = bool(second & 0x80)
    key = b""
    if masked:
        if len(buffer) < offset + 4:
            return None
        key = bytes(buffer[offset : offset + 4])
        offset += 4
    if len(buffer) < offset + length:
        return None
    payload = bytes(buffer[offset : offset + length])
    if masked:
        payload = bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))
    del buffer[: offset + length]
    return WireFrame(bool(first & 0x80), (first >> 4) & 7, first & 0x0F, masked, payload)


class RawClient:
    """A WebSocket client written by hand over a real socket, for malformed-input tests."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.buffer = bytearray()
        self.status = 0
        self.headers: dict[str, str] = {}

    @classmethod
    async def connect(
        cls, port: int, path: str = "/", extra: str = "", handshake: bool = True
    ) -> RawClient:
        """Connect to 127.0.0.1:`port` and, unless told not to, complete the opening handshake."""
        client = cls(await anyio.connect_tcp("127.0.0.1", port))
        if handshake:
            key = base64.b64encode(os.urandom(16)).decode()
            await client.send(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n{extra}\r\n".encode()
            )
            await client.read_head()
        return client

    async def send(self, data: bytes) -> None:
        """Write raw bytes."""
        await self.stream.send(data)

    async def read_head(self) -> bytes:
        """Read an HTTP response head; sets `status` and `headers`."""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += await self.stream.receive()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        self.buffer = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        return head

    async def read_frame(self) -> WireFrame:
        """The next frame the server sent; `anyio.EndOfStream` if it closed first."""
        while (parsed := parse_frame(self.buffer)) is None:
            self.buffer += await self.stream.receive()
        return parsed

    async def read_until_closed(self) -> bytes:
        """Everything the peer sends until it closes the connection."""
        data = bytearray(self.buffer)
        self.buffer.clear()
        try:
            while True:
                data += await self.stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return bytes(data)

    async def expect_close(self, code: int) -> WireFrame:
        """Read frames until a Close; assert its code and that the server then closes TCP."""
        while (received := await self.read_frame()).opcode != 0x8:
            pass
        assert received.close_code == code, received
        assert received.masked is False
        rest = await self.read_until_closed()
        assert rest == b""
        return received

    async def aclose(self) -> None:
        """Close the socket."""
        await self.stream.aclose()

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
