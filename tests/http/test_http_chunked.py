"""ChunkedDecoder and the chunk encoders, through the Python binding."""

from __future__ import annotations

import pytest

from wsrs import PayloadTooBig, RemoteProtocolError
from wsrs._wsrs import ChunkedDecoder, HttpLimits, encode_chunk, encode_last_chunk


def decode_all(wire: bytes, read: int = 1 << 16) -> tuple[bytes, ChunkedDecoder]:
    decoder = ChunkedDecoder()
    pieces: list[bytes] = []
    for i in range(0, len(wire), read):
        pieces += decoder.feed(wire[i : i + read])
    return b"".join(pieces), decoder


def test_one_feed_gives_at_most_one_piece() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"3\r\nabc\r\n2\r\nde\r\n") == [b"abcde"]
    assert decoder.feed(b"") == []
    assert not decoder.done
    assert decoder.feed(b"0\r\n\r\n") == []
    assert decoder.done


def test_round_trip_with_trailers_and_what_follows() -> None:
    wire = encode_chunk(b"hello") + encode_chunk(b" world") + encode_last_chunk([("Md5", "x")])
    for read in (1, 2, 5, 1000):
        data, decoder = decode_all(wire + b"NEXT", read)
        assert data == b"hello world"
        assert decoder.done
        assert decoder.trailers == [("Md5", "x")]
        assert decoder.take_trailing() == b"NEXT"
        assert decoder.take_trailing() == b""


def test_feeds_after_the_end_are_kept() -> None:
    decoder = ChunkedDecoder()
    decoder.feed(b"0\r\n\r\nGET")
    assert decoder.feed(b" / HTTP/1.1") == []
    assert decoder.take_trailing() == b"GET / HTTP/1.1"


def test_encoders() -> None:
    assert encode_chunk(b"") == b""
    assert encode_chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert encode_chunk(bytearray(b"ab")) == b"2\r\nab\r\n"
    assert encode_chunk(memoryview(b"ab")) == b"2\r\nab\r\n"
    assert encode_last_chunk() == b"0\r\n\r\n"
    assert encode_last_chunk([("A", "1"), ("B", "2")]) == b"0\r\nA: 1\r\nB: 2\r\n\r\n"


@pytest.mark.parametrize(
    "wire",
    [
        b"+5\r\nhello\r\n",
        b"0x5\r\nhello\r\n",
        b" 5\r\nhello\r\n",
        b"5 \r\nhello\r\n",
        b"10000000000000000\r\n",
        b'5;a="x\r\n"\r\nhello\r\n',
        b"5\nhello\n",
        b"5\r\nhelloXY",
        b"0\r\nX : y\r\n\r\n",
        b"0\r\nX: y\r\n folded\r\n\r\n",
    ],
)
def test_violations(wire: bytes) -> None:
    decoder = ChunkedDecoder()
    decoder.feed(wire)
    error = decoder.error
    assert type(error) is RemoteProtocolError
    assert error.status_hint == 400
    with pytest.raises(RemoteProtocolError) as raised:
        decoder.feed(b"0\r\n\r\n")
    assert raised.value is error


def test_data_before_a_violation_is_returned() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"3\r\nabc\r\nzz\r\n") == [b"abc"]
    assert decoder.error is not None


def test_eof_before_the_last_chunk() -> None:
    decoder = ChunkedDecoder()
    decoder.feed(b"5\r\nhello\r\n")
    with pytest.raises(RemoteProtocolError):
        decoder.feed_eof()
    assert decoder.error is not None
    finished = ChunkedDecoder()
    finished.feed(b"0\r\n\r\n")
    finished.feed_eof()


@pytest.mark.parametrize(
    ("limits", "wire", "status"),
    [
        (HttpLimits(max_body_size=4), b"5\r\nhello\r\n", 413),
        (HttpLimits(max_chunk_size_line=4), b"5;abc\r\n", 400),
        (HttpLimits(max_chunk_extensions_size=3), b"1;ab\r\na\r\n1;ab\r\n", 400),
        (HttpLimits(max_trailer_size=4), b"0\r\nA: 12345\r\n\r\n", 431),
    ],
)
def test_limits(limits: HttpLimits, wire: bytes, status: int) -> None:
    decoder = ChunkedDecoder(limits)
    decoder.feed(wire)
    assert isinstance(decoder.error, PayloadTooBig)
    assert decoder.error.status_hint == status


def test_bare_lf_is_never_allowed_in_chunked_framing() -> None:
    decoder = ChunkedDecoder(HttpLimits(allow_bare_lf=True))
    decoder.feed(b"5\nhello\r\n")
    assert decoder.error is not None
