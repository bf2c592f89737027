"""FrameDecoder.dispatch: a read's whole messages handed to a sink from Rust, the rest returned."""

from __future__ import annotations

import os

import pytest

from tests.ws.codec._ws_wire import frame
from wsrs._wsrs import Frame, FrameDecoder, FrameType


def dispatch_into(
    decoder: FrameDecoder, data: bytes, sink: object
) -> list[str | bytes | Frame] | None:
    """One read of `data` into the decoder's view, then `dispatch`."""
    view = decoder.get_buffer(-1)
    view[: len(data)] = data
    return decoder.dispatch(len(data), sink)  # type: ignore[arg-type]


def test_messages_go_to_the_sink_in_order_and_nothing_is_left() -> None:
    got: list[str | bytes] = []
    wire = frame(0x81, b"one") + frame(0x82, b"\x00two") + frame(0x01, b"th") + frame(0x80, b"ree")
    assert dispatch_into(FrameDecoder(), wire, got.append) is None
    assert got == ["one", b"\x00two", "three"]


def test_a_control_frame_and_everything_after_it_are_returned_in_order() -> None:
    got: list[str | bytes] = []
    wire = frame(0x81, b"before") + frame(0x89, b"ping") + frame(0x81, b"after")
    rest = dispatch_into(FrameDecoder(), wire, got.append)
    assert got == ["before"]
    assert rest is not None
    assert [type(event) for event in rest] == [Frame, str]
    assert isinstance(rest[0], Frame)
    assert rest[0].frame_type == FrameType.PING
    assert rest[1] == "after"


def test_a_violation_returns_an_empty_rest_with_error_set_then_nothing_more_is_decoded() -> None:
    got: list[str | bytes] = []
    decoder = FrameDecoder()
    # A Text frame of invalid UTF-8 after a good one: 1007.
    rest = dispatch_into(decoder, frame(0x81, b"ok") + frame(0x81, b"\xff"), got.append)
    assert got == ["ok"]
    assert rest == []
    assert decoder.error is not None
    assert decoder.error.close_code == 1007
    assert dispatch_into(decoder, frame(0x81, b"later"), got.append) is None
    assert got == ["ok"]


def test_an_exception_of_the_sink_propagates_and_drops_the_messages_after_it() -> None:
    got: list[str | bytes] = []

    def sink(message: str | bytes) -> None:
        got.append(message)
        if message == "boom":
            raise ValueError("sink failed")

    decoder = FrameDecoder()
    with pytest.raises(ValueError, match="sink failed"):
        dispatch_into(decoder, frame(0x81, b"boom") + frame(0x81, b"dropped"), sink)
    assert got == ["boom"]
    # The decoder is not left borrowed or broken: the next read decodes.
    assert dispatch_into(decoder, frame(0x81, b"next"), got.append) is None
    assert got == ["boom", "next"]


def test_the_sink_may_use_the_decoder_while_it_is_called() -> None:
    decoder = FrameDecoder()
    sizes: list[int] = []

    def sink(message: str | bytes) -> None:
        sizes.append(decoder.max_frame_size)
        decoder.max_frame_size = 10

    assert dispatch_into(decoder, frame(0x81, b"a") + frame(0x81, b"b"), sink) is None
    assert sizes[1] == 10
    # The new cap holds for the next read: 11 bytes is over it (1009).
    assert dispatch_into(decoder, frame(0x82, b"x" * 11), sink) == []
    assert decoder.error is not None
    assert decoder.error.close_code == 1009


def test_a_large_message_read_into_its_own_bytes_reaches_the_sink() -> None:
    payload = os.urandom(300_000)
    wire = frame(0x82, payload)
    decoder = FrameDecoder()
    got: list[str | bytes] = []
    for start in range(0, len(wire), 65_536):
        chunk = wire[start : start + 65_536]
        view = decoder.get_buffer(-1)
        view[: len(chunk)] = chunk
        assert decoder.dispatch(len(chunk), got.append) is None
    assert got == [payload]


def test_bytes_read_by_someone_else_are_dispatched_as_fed() -> None:
    got: list[str | bytes] = []
    decoder = FrameDecoder()
    wire = frame(0x81, b"fed") + frame(0x82, b"\x01")
    assert decoder.dispatch(wire[:3], got.append) is None
    assert decoder.dispatch(bytearray(wire[3:]), got.append) is None
    assert got == ["fed", b"\x01"]
