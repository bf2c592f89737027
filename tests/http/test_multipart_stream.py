"""`parse_multipart`: Ktor's three overloads over a byte stream, part streams and back-pressure."""

from __future__ import annotations

import anyio
import anyio.abc
import pytest

from tests.helpers import tcp_pair
from tests.http.multipart_bodies import RFC_2046, RFC_7578, field, form_body
from wsrs import (
    Epilogue,
    Headers,
    MultipartError,
    MultipartPart,
    Preamble,
    parse_multipart,
)

pytestmark = pytest.mark.anyio


class Chunks(anyio.abc.ByteReceiveStream):
    """A byte stream over fixed pieces that records how much has been read."""

    def __init__(self, data: bytes, piece: int = 7) -> None:
        self._data = data
        self._piece = piece
        self.read = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.read >= len(self._data):
            raise anyio.EndOfStream
        size = min(max_bytes, self._piece)
        chunk = self._data[self.read : self.read + size]
        self.read += len(chunk)
        return chunk

    async def aclose(self) -> None:
        pass


async def test_from_headers_gives_preamble_parts_and_epilogue() -> None:
    headers = Headers([("Content-Type", 'multipart/mixed; boundary="simple boundary"')])
    seen: list[object] = []
    async for event in parse_multipart(Chunks(RFC_2046), headers):
        if isinstance(event, MultipartPart):
            seen.append((event.content_type, await event.read()))
        else:
            assert isinstance(event, (Preamble, Epilogue))
            seen.append(type(event).__name__)
    assert seen == [
        "Preamble",
        (
            None,
            b"This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.",
        ),
        (
            "text/plain",
            b"This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n",
        ),
        "Epilogue",
    ]


async def test_from_a_content_type_and_from_a_boundary() -> None:
    by_type = parse_multipart(Chunks(RFC_7578), "multipart/form-data; boundary=AaB03x")
    by_boundary = parse_multipart(Chunks(RFC_7578), boundary="AaB03x", total_length=len(RFC_7578))
    for reader in (by_type, by_boundary):
        parts = [(p.name, p.filename, await p.read()) async for p in reader]  # type: ignore[union-attr]
        assert parts == [
            ("field1", None, b"Joe owes =E2=82=AC100."),
            ("pics", "file1.txt", b"... contents of file1.txt ..."),
        ]


async def test_the_length_bounds_what_is_read() -> None:
    body = form_body("b", [([field("a")], b"v")])
    stream = Chunks(body + b"NEXT REQUEST")
    parts = [p async for p in parse_multipart(stream, "multipart/form-data; boundary=b", len(body))]
    assert len(parts) == 1
    assert stream.read == len(body)


async def test_nothing_is_read_ahead_of_the_consumer() -> None:
    body = form_body("b", [([field("big")], b"x" * 10_000), ([field("next")], b"y")])
    stream = Chunks(body, piece=100)
    reader = parse_multipart(stream, boundary="b")
    part = await reader.__anext__()
    assert isinstance(part, MultipartPart)
    assert part.name == "big"
    await part.receive()
    assert stream.read <= 300  # a part not being read stops the reading
    following = await reader.__anext__()  # skips the rest of "big"
    assert isinstance(following, MultipartPart)
    assert following.name == "next"
    assert await following.read() == b"y"
    with pytest.raises(anyio.ClosedResourceError):
        await part.receive()


async def test_a_cancelled_skip_goes_on_where_it_stopped() -> None:
    body = form_body("b", [([field("big")], b"x" * 100_000), ([field("next")], b"y")])
    async with tcp_pair() as (client, server):
        reader = parse_multipart(server, boundary="b")
        await client.send(body[:1000])
        part = await reader.__anext__()
        assert isinstance(part, MultipartPart)
        with anyio.move_on_after(0.05) as scope:
            await reader.__anext__()  # skips "big", then waits for the rest of it
        assert scope.cancelled_caught
        await client.send(body[1000:])
        following = await reader.__anext__()
        assert isinstance(following, MultipartPart)
        assert following.name == "next"
        assert await following.read() == b"y"
        with pytest.raises(anyio.ClosedResourceError):
            await part.receive()


async def test_receive_honours_max_bytes_and_read_a_limit() -> None:
    reader = parse_multipart(Chunks(form_body("b", [([field("a")], b"abcdef")]), 64), boundary="b")
    part = await reader.__anext__()
    assert isinstance(part, MultipartPart)
    assert await part.receive(4) == b"abcd"
    with pytest.raises(MultipartError) as raised:
        await part.read(limit=1)
    assert raised.value.status_hint == 413


async def test_a_truncated_body_fails_the_part_stream() -> None:
    reader = parse_multipart(Chunks(b"--b\r\n\r\npartial"), boundary="b")
    part = await reader.__anext__()
    assert isinstance(part, MultipartPart)
    with pytest.raises(MultipartError) as raised:
        await part.read()
    assert raised.value.status_hint == 400


async def test_headers_without_a_content_type_are_415() -> None:
    with pytest.raises(MultipartError) as raised:
        parse_multipart(Chunks(b""), Headers())
    assert raised.value.status_hint == 415
    with pytest.raises(TypeError):
        parse_multipart(Chunks(b""), "multipart/x; boundary=b", boundary="b")  # type: ignore[call-overload]
