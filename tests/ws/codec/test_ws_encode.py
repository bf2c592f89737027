"""FrameEncoder: the bytes it writes, the rules it keeps, and wsproto as an oracle."""

from __future__ import annotations

import struct

import pytest
from wsproto.frame_protocol import FrameProtocol

from wsrs import LocalProtocolError
from wsrs._wsrs import CloseCode, CloseReason, Frame, FrameDecoder, FrameEncoder, FrameType


def test_rfc_6455_examples() -> None:
    # RFC 6455 §5.7.
    encoder = FrameEncoder()
    assert encoder.encode_text("Hello") == bytes.fromhex("810548656c6c6f")
    assert encoder.encode_text("Hel", fin=False) == bytes.fromhex("010348656c")
    assert encoder.encode_text("lo") == bytes.fromhex("80026c6f")
    assert encoder.encode_ping(b"Hello") == bytes.fromhex("890548656c6c6f")
    assert encoder.encode_binary(bytes(256))[:4] == bytes.fromhex("827e0100")
    assert encoder.encode_binary(bytes(65536))[:10] == bytes.fromhex("827f0000000000010000")


def test_masking_adds_a_fresh_key_per_frame() -> None:
    encoder = FrameEncoder(masking=True)
    first, second = encoder.encode_text("same"), encoder.encode_text("same")
    assert first[1] == second[1] == 0x80 | 4
    assert first[2:6] != second[2:6], "a new key each frame"
    assert FrameDecoder().feed(first + second) == ["same", "same"]


def test_masking_can_be_switched_between_calls() -> None:
    encoder = FrameEncoder()
    assert not encoder.masking
    encoder.masking = True
    assert encoder.encode_binary(b"x")[1] & 0x80


def test_a_new_message_type_inside_a_fragmented_message_is_refused() -> None:
    encoder = FrameEncoder()
    assert encoder.encode_binary(b"a", fin=False)[0] == 0x02
    assert encoder.encode_ping()[0] == 0x89, "control frames may interleave"
    with pytest.raises(LocalProtocolError, match="fragmented"):
        encoder.encode_text("b")
    assert encoder.encode_binary(b"b", fin=False)[0] == 0x00, "state unchanged by the failure"
    assert encoder.encode_binary(b"c")[0] == 0x80
    assert encoder.encode_text("d")[0] == 0x81, "the message is over"


def test_frames_of_the_open_message_type_become_continuations() -> None:
    encoder = FrameEncoder()
    heads = [
        encoder.encode_frame(Frame.text("a", fin=False))[0],
        encoder.encode_frame(Frame.text("b", fin=False))[0],
        encoder.encode_frame(Frame.text("c"))[0],
    ]
    assert heads == [0x01, 0x00, 0x80]


@pytest.mark.parametrize(
    ("reason", "wire"),
    [
        (None, b"\x88\x00"),
        (CloseReason(1000, "bye"), b"\x88\x05\x03\xe8bye"),
        (CloseReason(CloseCode.GOING_AWAY), b"\x88\x02\x03\xe9"),
        (CloseReason(4999, "é"), b"\x88\x04\x13\x87\xc3\xa9"),
    ],
)
def test_encode_close(reason: CloseReason | None, wire: bytes) -> None:
    assert FrameEncoder().encode_close(reason) == wire


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 2999, 5000, 65535])
def test_close_codes_that_may_not_be_sent_are_refused(code: int) -> None:
    with pytest.raises(LocalProtocolError, match="may not be sent"):
        FrameEncoder().encode_close(CloseReason(code))
    with pytest.raises(LocalProtocolError):
        FrameEncoder().encode_frame(Frame.close(CloseReason(code)))


def test_a_hand_built_one_byte_close_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        FrameEncoder().encode_frame(Frame.by_type(FrameType.CLOSE, True, b"\x03"))


@pytest.mark.parametrize("method", ["encode_ping", "encode_pong"])
def test_control_payloads_over_125_bytes_are_refused(method: str) -> None:
    encoder = FrameEncoder()
    assert len(getattr(encoder, method)(b"x" * 125)) == 127
    with pytest.raises(LocalProtocolError, match="125"):
        getattr(encoder, method)(b"x" * 126)


def test_a_batch_is_the_frames_one_after_the_other() -> None:
    items: list[str | bytes | bytearray | memoryview | Frame] = [
        "héllo",
        b"\x00\x01",
        bytearray(b"ba"),
        memoryview(b"mv"),
        Frame.ping(b"p"),
        Frame.binary(b"part", fin=False),
        Frame.binary(b"end"),
        Frame.close(CloseReason(1000)),
    ]
    one_by_one = FrameEncoder()
    expected = b"".join(
        one_by_one.encode_frame(item)
        if isinstance(item, Frame)
        else one_by_one.encode_text(item)
        if isinstance(item, str)
        else one_by_one.encode_binary(item)
        for item in items
    )
    assert FrameEncoder().encode_batch(items) == expected
    assert FrameEncoder().encode_batch([]) == b""


def test_a_batch_with_a_refused_item_encodes_nothing() -> None:
    encoder = FrameEncoder()
    with pytest.raises(LocalProtocolError):
        encoder.encode_batch([Frame.text("a", fin=False), b"binary"])
    assert encoder.encode_text("fresh")[0] == 0x81, "no message left open"


def test_a_masked_batch_decodes_at_a_server() -> None:
    wire = FrameEncoder(masking=True).encode_batch(["a", b"b", Frame.pong(b"c")])
    assert FrameDecoder().feed(wire) == ["a", b"b", Frame.pong(b"c")]


def test_encode_text_refuses_a_lone_surrogate() -> None:
    with pytest.raises(UnicodeEncodeError):
        FrameEncoder().encode_text("\ud800")


# --- wsproto as an oracle ---------------------------------------------------------------------


def test_unmasked_frames_match_wsproto_byte_for_byte() -> None:
    ours, theirs = FrameEncoder(), FrameProtocol(client=False, extensions=[])
    for payload in [b"", b"x", b"y" * 125, b"z" * 126, b"w" * 65535, b"v" * 65536]:
        assert ours.encode_binary(payload) == theirs.send_data(payload)
    assert ours.encode_text("héllo") == theirs.send_data("héllo")
    assert ours.encode_text("frag", fin=False) == theirs.send_data("frag", fin=False)
    assert ours.encode_text("ment") == theirs.send_data("ment")
    assert ours.encode_ping(b"p") == theirs.ping(b"p")
    assert ours.encode_pong(b"q") == theirs.pong(b"q")
    assert ours.encode_close(CloseReason(1001, "away")) == theirs.close(1001, "away")


def test_what_wsproto_decodes_from_our_client_frames() -> None:
    server = FrameProtocol(client=False, extensions=[])
    server.receive_bytes(FrameEncoder(masking=True).encode_batch(["text", b"\x00" * 70000]))
    payloads = [(frame.opcode.value, frame.payload) for frame in server.received_frames()]
    assert payloads == [(1, "text"), (2, bytearray(70000))]


def test_what_we_decode_from_wsproto_client_frames() -> None:
    client = FrameProtocol(client=True, extensions=[])
    wire = client.send_data("κόσμε") + client.send_data(b"\xff" * 300) + client.ping(b"!")
    wire += client.close(1000, "done")
    close_payload = struct.pack("!H", 1000) + b"done"
    expected = [
        "κόσμε",
        b"\xff" * 300,
        Frame.ping(b"!"),
        Frame.by_type(FrameType.CLOSE, True, close_payload),
    ]
    assert FrameDecoder().feed(bytes(wire)) == expected
