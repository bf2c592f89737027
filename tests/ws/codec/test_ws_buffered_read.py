"""FrameDecoder as a buffered protocol: reads into `get_buffer` views, then `buffer_updated`."""

from __future__ import annotations

import os

import pytest

from tests.ws.codec._ws_wire import frame
from wsrs import RemoteProtocolError
from wsrs._wsrs import Frame, FrameDecoder, FrameEncoder

SHARED = 256 * 1024


def read_into(decoder: FrameDecoder, data: bytes) -> list[str | bytes | Frame]:
    """What a transport does with one read of `data`: into the view, then `buffer_updated`."""
    view = decoder.get_buffer(-1)
    assert len(view) >= len(data)
    view[: len(data)] = data
    return decoder.buffer_updated(len(data))


def test_reads_into_the_shared_buffer_decode_like_feed() -> None:
    wire = frame(0x81, b"Hello") + frame(0x82, b"\x00\xff") + frame(0x89, b"hi")
    decoder = FrameDecoder()
    assert len(decoder.get_buffer(-1)) == SHARED
    events = read_into(decoder, wire[:9]) + read_into(decoder, wire[9:])
    assert events[:2] == ["Hello", b"\x00\xff"]
    assert len(events) == 3


def test_a_large_message_is_read_into_its_own_bytes_once_a_quarter_has_arrived() -> None:
    payload = os.urandom(300_000)
    wire = frame(0x82, payload)
    header = len(wire) - len(payload)
    decoder = FrameDecoder()
    # Less than a quarter in: the decoder keeps it and the next read goes to the shared buffer.
    assert read_into(decoder, wire[: header + 50_000]) == []
    assert decoder.buffered == 50_000
    assert len(decoder.get_buffer(-1)) == SHARED
    # Past a quarter: the next view is exactly the rest of the message's own `bytes`.
    assert read_into(decoder, wire[header + 50_000 : header + 100_000]) == []
    assert len(decoder.get_buffer(-1)) == len(payload) - 100_000
    assert read_into(decoder, wire[header + 100_000 : header + 200_000]) == []
    assert decoder.buffered == 200_000
    assert read_into(decoder, wire[header + 200_000 :]) == [payload]
    assert len(decoder.get_buffer(-1)) == SHARED
    assert decoder.buffered == 0


def test_feed_continues_a_message_being_read_into_its_bytes_and_decodes_what_follows() -> None:
    payload = os.urandom(100_000)
    wire = frame(0x82, payload) + frame(0x81, b"after")
    header = len(wire) - len(payload) - len(frame(0x81, b"after"))
    decoder = FrameDecoder()
    assert read_into(decoder, wire[: header + 40_000]) == []
    assert len(decoder.get_buffer(-1)) == len(payload) - 40_000
    assert decoder.feed(wire[header + 40_000 :]) == [payload, "after"]


def test_a_read_larger_than_its_view_is_refused() -> None:
    decoder = FrameDecoder()
    with pytest.raises(ValueError, match="view"):
        decoder.buffer_updated(SHARED + 1)


def test_a_violation_read_into_the_buffer_is_raised_by_the_next_read() -> None:
    decoder = FrameDecoder()
    assert read_into(decoder, frame(0x83, b"x")) == []
    assert decoder.error is not None
    assert decoder.error.close_code == 1002
    with pytest.raises(RemoteProtocolError):
        read_into(decoder, frame(0x81, b"late"))


def test_binary_header_and_payload_are_the_frame_encode_binary_writes() -> None:
    payload = os.urandom(70_000)
    assert FrameEncoder().binary_header(payload) + payload == FrameEncoder().encode_binary(payload)
    with pytest.raises(ValueError, match="mask"):
        FrameEncoder(masking=True).binary_header(payload)
