"""FrameDecoder: each RFC 6455 rule as a row of wire bytes and the events or error it yields."""

from __future__ import annotations

import struct
import sys

import pytest

from tests.ws.codec._ws_wire import KEY, Err, decode, frame, from_server
from wsrs import PayloadTooBig, RemoteProtocolError
from wsrs._wsrs import DEFAULT_MAX_FRAME_SIZE, Frame, FrameDecoder, FrameType


def close(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


PING = Frame.ping(b"hi")

SERVER_ROWS = [
    # Data and control frames.
    pytest.param(frame(0x81, b"Hello"), ["Hello"], id="masked-text-is-str"),
    pytest.param(frame(0x82, b"\x00\xff"), [b"\x00\xff"], id="masked-binary-is-bytes"),
    pytest.param(frame(0x81), [""], id="empty-text"),
    pytest.param(frame(0x82, b"x" * 126), [b"x" * 126], id="16-bit-length"),
    pytest.param(frame(0x82, b"y" * 65536), [b"y" * 65536], id="64-bit-length"),
    pytest.param(frame(0x89, b"hi"), [PING], id="ping-is-frame"),
    pytest.param(frame(0x8A), [Frame.pong()], id="pong-is-frame"),
    pytest.param(frame(0x88), [Frame.close()], id="empty-close"),
    pytest.param(
        frame(0x88, close(1000, b"bye")) + frame(0x81, b"late"),
        [Frame.by_type(FrameType.CLOSE, True, close(1000, b"bye"))],
        id="input-after-close-is-ignored",
    ),
    pytest.param(
        frame(0x01, b"Hel") + frame(0x89, b"hi") + frame(0x00, b"lo") + frame(0x80, b"!"),
        [PING, "Hello!"],
        id="fragments-reassembled-around-a-ping",
    ),
    pytest.param(
        frame(0x01, "€".encode()[:1]) + frame(0x80, "€".encode()[1:]),
        ["€"],
        id="character-split-across-fragments",
    ),
    # RFC 6455 violations, each with the close code that answers it.
    pytest.param(frame(0xC1, b"x"), [Err(1002)], id="rsv1-without-extension"),
    pytest.param(frame(0xA2), [Err(1002)], id="rsv2-without-extension"),
    pytest.param(frame(0x91), [Err(1002)], id="rsv3-without-extension"),
    pytest.param(frame(0x83), [Err(1002)], id="reserved-data-opcode"),
    pytest.param(frame(0x8B), [Err(1002)], id="reserved-control-opcode"),
    pytest.param(frame(0x09), [Err(1002)], id="fragmented-ping"),
    pytest.param(frame(0x89, b"p" * 126), [Err(1002)], id="ping-over-125-bytes"),
    pytest.param(frame(0x80, b"x"), [Err(1002)], id="continuation-without-message"),
    pytest.param(
        frame(0x01, b"a") + frame(0x81, b"b"), [Err(1002)], id="new-message-inside-message"
    ),
    pytest.param(from_server(0x81, b"x"), [Err(1002)], id="unmasked-frame-at-server"),
    pytest.param(b"\x82\xfe\x00\x05" + KEY + b"12345", [Err(1002)], id="non-minimal-16-bit"),
    pytest.param(b"\x82\xff" + struct.pack("!Q", 200) + KEY, [Err(1002)], id="non-minimal-64-bit"),
    pytest.param(b"\x82\xff" + struct.pack("!Q", 1 << 63) + KEY, [Err(1002)], id="64-bit-top-bit"),
    pytest.param(frame(0x88, b"\x03"), [Err(1002)], id="one-byte-close-payload"),
    pytest.param(frame(0x88, close(1005)), [Err(1002)], id="close-code-1005"),
    pytest.param(frame(0x88, close(1006)), [Err(1002)], id="close-code-1006"),
    pytest.param(frame(0x88, close(1015)), [Err(1002)], id="close-code-1015"),
    pytest.param(frame(0x88, close(999)), [Err(1002)], id="close-code-999"),
    pytest.param(frame(0x88, close(2999)), [Err(1002)], id="close-code-2999"),
    pytest.param(frame(0x88, close(5000)), [Err(1002)], id="close-code-5000"),
    pytest.param(frame(0x81, b"\xff"), [Err(1007)], id="invalid-utf8-text"),
    pytest.param(frame(0x81, b"\xed\xa0\x80"), [Err(1007)], id="utf8-surrogate"),
    pytest.param(frame(0x81, "€".encode()[:2]), [Err(1007)], id="text-ends-mid-character"),
    pytest.param(
        frame(0x01, "€".encode()[:2]) + frame(0x80, b"!"),
        [Err(1007)],
        id="fragments-join-into-bad-utf8",
    ),
    pytest.param(frame(0x88, close(1000, b"\xc0\xaf")), [Err(1007)], id="invalid-utf8-reason"),
    # Events before a violation are kept.
    pytest.param(
        frame(0x81, b"ok") + frame(0x89, b"hi") + frame(0xC2), ["ok", PING, Err(1002)], id="kept"
    ),
]


@pytest.mark.parametrize(("wire", "expected"), SERVER_ROWS)
def test_server_decodes_wire_into_events_or_error(wire: bytes, expected: list[object]) -> None:
    assert decode(wire) == expected


@pytest.mark.parametrize(("wire", "expected"), SERVER_ROWS)
def test_byte_at_a_time_gives_the_same_events(wire: bytes, expected: list[object]) -> None:
    assert decode(wire, list(range(1, len(wire)))) == expected


CLIENT_ROWS = [
    pytest.param(from_server(0x81, b"hi"), ["hi"], id="unmasked-text"),
    pytest.param(from_server(0x89), [Frame.ping()], id="unmasked-ping"),
    pytest.param(frame(0x81, b"hi"), [Err(1002)], id="masked-frame-at-client"),
]


@pytest.mark.parametrize(("wire", "expected"), CLIENT_ROWS)
def test_client_decodes_wire_into_events_or_error(wire: bytes, expected: list[object]) -> None:
    assert decode(wire, client=True) == expected


def test_the_next_feed_raises_the_recorded_error() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(frame(0x81, b"ok") + frame(0xC1)) == ["ok"]
    error = decoder.error
    assert isinstance(error, RemoteProtocolError)
    assert (error.close_code, error.status_hint) == (1002, 400)
    with pytest.raises(RemoteProtocolError) as raised:
        decoder.feed(frame(0x81, b"more"))
    assert raised.value is error


def test_a_frame_over_the_limit_fails_from_its_header_alone() -> None:
    decoder = FrameDecoder(max_frame_size=1024)
    header = b"\x82\xff" + struct.pack("!Q", 64 << 20) + KEY
    assert decoder.feed(header) == []
    assert isinstance(decoder.error, PayloadTooBig)
    assert (decoder.error.close_code, decoder.error.status_hint) == (1009, 413)
    assert decoder.buffered == 0


def test_a_reassembled_message_over_the_limit_fails_with_1009() -> None:
    wire = frame(0x02, b"a" * 600) + frame(0x80, b"b" * 600)
    assert decode(wire, max_frame_size=1000) == [Err(1009, too_big=True)]
    raw = decode(wire, max_frame_size=1000, reassemble=False)
    assert len(raw) == 2, "raw mode limits frames only"


def test_the_limit_is_settable_between_reads() -> None:
    decoder = FrameDecoder(max_frame_size=10)
    assert decoder.max_frame_size == 10
    decoder.max_frame_size = 20
    assert decoder.feed(frame(0x82, b"z" * 20)) == [b"z" * 20]
    assert FrameDecoder().max_frame_size == DEFAULT_MAX_FRAME_SIZE == 16 * 1024 * 1024


def test_bad_utf8_fails_before_the_rest_of_the_frame_arrives() -> None:
    # Autobahn 6.4.1: valid text, then \xf4\x90 (above U+10FFFF), then much more text.
    good = "κόσμε".encode()
    payload = good + b"\xf4\x90\x80\x80" + b"a" * 10_000
    wire = frame(0x81, payload)
    bad_at = len(wire) - len(payload) + len(good) + 1
    decoder = FrameDecoder()
    assert decoder.feed(wire[:bad_at]) == []
    # Up to \xf4 the text may still be valid: no error, the payload so far is held.
    assert (decoder.error, decoder.buffered) == (None, len(good) + 1)
    assert decoder.feed(wire[bad_at : bad_at + 1]) == []
    assert decoder.error is not None
    assert decoder.error.close_code == 1007


def test_a_slow_huge_frame_holds_only_what_arrived() -> None:
    decoder = FrameDecoder(max_frame_size=1 << 30)
    wire_head = b"\x82\xff" + struct.pack("!Q", 64 << 20) + KEY
    assert decoder.feed(wire_head + b"\x00" * 1000) == []
    assert decoder.buffered == 1000


def test_buffered_counts_an_unfinished_frame_then_drops_to_zero() -> None:
    decoder = FrameDecoder()
    wire = frame(0x82, b"payload")
    assert decoder.feed(wire[:3]) == []
    assert decoder.buffered == 3
    assert decoder.feed(wire[3:]) == [b"payload"]
    assert decoder.buffered == 0


def test_closed_after_a_close_frame_and_later_input_is_ignored() -> None:
    decoder = FrameDecoder()
    was_closed = decoder.closed
    decoder.feed(frame(0x88, close(1001)))
    assert (was_closed, decoder.closed) == (False, True)
    assert decoder.feed(b"\xff\xff\xff") == []
    assert decoder.error is None


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_any_bytes_like_input_is_accepted(kind: type) -> None:
    wire = frame(0x82, b"data") + frame(0x81, b"text")
    assert FrameDecoder().feed(kind(wire)) == [b"data", "text"]


def test_a_memoryview_slice_is_read_at_its_offset() -> None:
    wire = b"junk" + frame(0x82, b"data")
    assert FrameDecoder().feed(memoryview(wire)[4:]) == [b"data"]


def test_str_input_is_refused() -> None:
    with pytest.raises(TypeError):
        FrameDecoder().feed("text")  # type: ignore[arg-type]


def test_raw_mode_hands_out_every_frame_with_the_message_type() -> None:
    wire = frame(0x01, b"a") + frame(0x89, b"hi") + frame(0x00, b"b") + frame(0x80, b"c")
    events = FrameDecoder(reassemble=False).feed(wire)
    assert events == [
        Frame.text(b"a", fin=False),
        PING,
        Frame.text(b"b", fin=False),
        Frame.text(b"c", fin=True),
    ]


def test_negotiated_rsv1_surfaces_on_the_reassembled_message() -> None:
    wire = frame(0x41, b"\xff") + frame(0x80, b"\xfe")
    (event,) = FrameDecoder(allowed_rsv=0x4).feed(wire)
    assert event == Frame.text(b"\xff\xfe", rsv1=True)
    assert decode(frame(0xC0 | 0x09), allowed_rsv=0x4) == [Err(1002)], "never on control frames"


@pytest.mark.parametrize("bits", [-1, 8, 255])
def test_allowed_rsv_outside_the_three_bits_is_refused(bits: int) -> None:
    with pytest.raises(ValueError, match="RSV"):
        FrameDecoder(allowed_rsv=bits)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ascii",
        "café",
        "\x80\xff",
        "κόσμε",
        "日本語",
        "ÿĀ",
        "\uffff",
        "𝄞",
        "a\U0010ffff",
        "é κ 日 𝄞",
    ],
)
def test_text_comes_out_as_the_str_python_would_build(text: str) -> None:
    # Same value and same internal kind (ASCII, Latin-1, UCS-2, UCS-4) as bytes.decode makes.
    (event,) = FrameDecoder().feed(frame(0x81, text.encode()))
    reference = text.encode().decode()
    assert event == reference
    assert sys.getsizeof(event) == sys.getsizeof(reference)
