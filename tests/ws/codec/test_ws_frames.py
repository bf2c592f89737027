"""FrameType, CloseCode, CloseReason, Frame and apply_mask: the value types of the codec."""

from __future__ import annotations

import pytest

import wsrs
import wsrs.ws.frames
from wsrs._wsrs import CloseCode, CloseReason, Frame, FrameType, apply_mask

OPCODES = {"TEXT": 1, "BINARY": 2, "CLOSE": 8, "PING": 9, "PONG": 10}


@pytest.mark.parametrize(("name", "opcode"), OPCODES.items())
def test_frame_types_carry_their_opcode_and_name(name: str, opcode: int) -> None:
    member = getattr(FrameType, name)
    assert (member.name, member.opcode, int(member)) == (name, opcode, opcode)
    assert member.is_control is (opcode >= 8)
    assert member == opcode
    assert hash(member) == hash(opcode), "equal objects hash alike"
    assert member is getattr(FrameType, name), "members are singletons"


def test_frame_types_are_hashable_and_distinct() -> None:
    members = {FrameType.TEXT, FrameType.BINARY, FrameType.CLOSE, FrameType.PING, FrameType.PONG}
    assert len(members) == 5
    assert FrameType.TEXT != FrameType.BINARY


CODES = {
    "NORMAL": 1000,
    "GOING_AWAY": 1001,
    "PROTOCOL_ERROR": 1002,
    "CANNOT_ACCEPT": 1003,
    "NO_STATUS": 1005,
    "CLOSED_ABNORMALLY": 1006,
    "NOT_CONSISTENT": 1007,
    "VIOLATED_POLICY": 1008,
    "TOO_BIG": 1009,
    "NO_EXTENSION": 1010,
    "INTERNAL_ERROR": 1011,
    "SERVICE_RESTART": 1012,
    "TRY_AGAIN_LATER": 1013,
}


@pytest.mark.parametrize(("name", "code"), CODES.items())
def test_close_codes_map_both_ways(name: str, code: int) -> None:
    member = getattr(CloseCode, name)
    assert (member.name, member.code, int(member)) == (name, code, code)
    assert member == code
    assert CloseCode.from_code(code) is member
    assert hash(member) == hash(code), "equal objects hash alike"


@pytest.mark.parametrize("code", [0, 1004, 1014, 3000, 4000, 65535, -1, 1 << 40])
def test_unknown_close_codes_have_no_member(code: int) -> None:
    assert CloseCode.from_code(code) is None


def test_close_reasons_compare_and_hash_by_value() -> None:
    assert CloseReason(1000, "bye") == CloseReason(CloseCode.NORMAL, "bye")
    assert CloseReason(1000) != CloseReason(1000, "x")
    assert CloseReason(1000) != "CloseReason(1000)"
    assert len({CloseReason(4000, "a"), CloseReason(4000, "a"), CloseReason(4000, "b")}) == 2
    assert CloseReason(1000).message == ""


def test_close_reason_knows_its_code() -> None:
    assert CloseReason(1009).known_reason is CloseCode.TOO_BIG
    assert CloseReason(4000).known_reason is None
    assert CloseReason(1006).code == 1006, "reports may use codes that are never sent"


def test_close_reason_repr_names_known_codes() -> None:
    assert repr(CloseReason(1001, "it's")) == 'CloseReason(CloseCode.GOING_AWAY, "it\'s")'
    assert repr(CloseReason(4321)) == "CloseReason(4321, '')"


def test_close_messages_over_123_utf8_bytes_are_refused() -> None:
    assert CloseReason(1000, "x" * 123).message == "x" * 123
    with pytest.raises(ValueError, match="123"):
        CloseReason(1000, "x" * 124)
    with pytest.raises(ValueError, match="123"):
        CloseReason(1000, "é" * 62)


@pytest.mark.parametrize("code", [-1, 65536])
def test_close_codes_outside_16_bits_are_refused(code: int) -> None:
    with pytest.raises(ValueError, match="65535"):
        CloseReason(code)


def test_truncated_reasons_cut_at_a_character_boundary() -> None:
    assert CloseReason.truncated(1011, "é" * 100).message == "é" * 61
    assert CloseReason.truncated(1011, "a" * 121 + "😀").message == "a" * 121
    assert CloseReason.truncated(CloseCode.TOO_BIG, "short") == CloseReason(1009, "short")


def test_frame_constructors_set_type_fin_and_rsv() -> None:
    text = Frame.text("héllo", fin=False, rsv1=True)
    assert (text.frame_type, text.fin, text.rsv1, text.rsv2, text.rsv3) == (
        FrameType.TEXT,
        False,
        True,
        False,
        False,
    )
    assert text.data == "héllo".encode()
    assert Frame.text(b"raw").data == b"raw"
    assert Frame.binary(bytearray(b"\x00"), rsv3=True).rsv3
    assert Frame.binary(memoryview(b"mv")).data == b"mv"
    assert Frame.ping().data == b""
    assert Frame.pong(b"x").frame_type is FrameType.PONG


def test_control_frames_are_always_final_and_without_rsv() -> None:
    ping = Frame.by_type(FrameType.PING, False, b"x")
    assert (ping.fin, ping.rsv1) == (True, False)
    assert Frame.by_type(FrameType.BINARY, False, b"x").fin is False


@pytest.mark.parametrize(
    "build",
    [
        lambda: Frame.ping(b"x" * 126),
        lambda: Frame.pong(b"x" * 126),
        lambda: Frame.by_type(FrameType.CLOSE, True, b"x" * 126),
    ],
)
def test_control_frames_over_125_bytes_are_refused(build: object) -> None:
    with pytest.raises(ValueError, match="125"):
        build()  # type: ignore[operator]


def test_close_frames_carry_code_then_message() -> None:
    assert Frame.close().data == b""
    assert Frame.close(CloseReason(1000, "ok")).data == b"\x03\xe8ok"
    assert Frame.close(CloseReason(1000, "ok")).read_reason() == CloseReason(1000, "ok")


def test_read_reason_is_none_under_two_bytes() -> None:
    assert Frame.close().read_reason() is None
    assert Frame.by_type(FrameType.CLOSE, True, b"\x03").read_reason() is None


def test_read_reason_decodes_leniently() -> None:
    reason = Frame.by_type(FrameType.CLOSE, True, b"\x0f\xa0\xff").read_reason()
    assert reason == CloseReason(4000, "\ufffd")


def test_read_text_needs_a_final_text_frame_and_is_lenient() -> None:
    assert Frame.text(b"ok\xff").read_text() == "ok\ufffd"
    with pytest.raises(ValueError, match="FIN"):
        Frame.text("part", fin=False).read_text()
    with pytest.raises(ValueError, match="Text"):
        Frame.binary(b"x").read_text()
    with pytest.raises(ValueError, match="Close"):
        Frame.ping().read_reason()


def test_read_bytes_is_the_payload() -> None:
    assert Frame.binary(b"\x01\x02").read_bytes() == b"\x01\x02"


def test_frames_compare_and_hash_by_value() -> None:
    assert Frame.text("a") == Frame.text(b"a")
    assert Frame.text("a") != Frame.binary(b"a")
    assert Frame.text("a") != Frame.text("a", fin=False)
    assert Frame.text("a") != Frame.text("a", rsv2=True)
    assert Frame.text("a") != "a"
    assert len({Frame.text("a"), Frame.text("a"), Frame.binary(b"a")}) == 2


def test_frame_repr_shows_type_flags_and_a_bounded_payload() -> None:
    assert repr(Frame.ping(b"hi")) == "Frame(PING, fin=True, data=b'hi')"
    assert (
        repr(Frame.text("x", fin=False, rsv1=True))
        == "Frame(TEXT, fin=False, rsv=0b100, data=b'x')"
    )
    assert repr(Frame.binary(b"z" * 40)).endswith("zz'... (40 bytes))")


def test_apply_mask_matches_the_rfc_example() -> None:
    # RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
    assert apply_mask(b"Hello", bytes.fromhex("37fa213d")) == bytes.fromhex("7f9f4d5158")


@pytest.mark.parametrize("size", [0, 1, 3, 4, 31, 32, 33, 127, 128, 1000, 65536 + 7])
def test_apply_mask_twice_restores_the_data(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    key = bytearray(b"\x01\x80\xfe\x7f")
    masked = apply_mask(memoryview(data), key)
    expected = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    assert masked == expected
    assert apply_mask(bytearray(masked), bytes(key)) == data


@pytest.mark.parametrize("key", [b"", b"abc", b"abcde"])
def test_apply_mask_needs_a_4_byte_key(key: bytes) -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        apply_mask(b"data", key)


def test_frames_module_re_exports_the_types() -> None:
    assert wsrs.ws.frames.__all__ == ["CloseCode", "CloseReason", "Frame", "FrameType"]
    for name in wsrs.ws.frames.__all__:
        assert getattr(wsrs, name) is getattr(wsrs.ws.frames, name)
        assert name in wsrs.__all__
