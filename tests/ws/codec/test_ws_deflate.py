"""permessage-deflate in the codec: CPython's zlib as an independent oracle both ways, the
negotiation as the bindings expose it, the policy, and the GIL released on large payloads."""

from __future__ import annotations

import os
import random
import threading
import time
import zlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ws.codec._ws_wire import Err, decode, frame, from_server
from wsrs import HandshakeError, LocalProtocolError
from wsrs._wsrs import Frame, FrameDecoder, FrameEncoder, PerMessageDeflate

TAIL = b"\x00\x00\xff\xff"


def agreement(bits: int = 15, *, reset: bool = False) -> PerMessageDeflate:
    return PerMessageDeflate(
        server_max_window_bits=bits,
        client_max_window_bits=bits,
        server_no_context_takeover=reset,
        client_no_context_takeover=reset,
    )


def payload_of(wire: bytes) -> tuple[int, bytes]:
    """The first byte and the unmasked payload of one server frame."""
    length = wire[1] & 0x7F
    start = 2 + {126: 2, 127: 8}.get(length, 0)
    return wire[0], wire[start:]


def sample(size: int, seed: int) -> bytes:
    words = [b"frame ", b"window ", b"deflate ", b"session ", b'{"id": ', b"42, ", b"\n"]
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words)
    return bytes(out[:size])


SIZES = [0, 1, 125, 4096, 70_000, 1 << 20]


@pytest.mark.parametrize("bits", [9, 12, 15])
@pytest.mark.parametrize("reset", [False, True])
def test_what_we_compress_cpython_zlib_inflates(bits: int, reset: bool) -> None:
    encoder = FrameEncoder(deflate=agreement(bits, reset=reset))
    inflater = zlib.decompressobj(-bits)
    for seed, size in enumerate(SIZES):
        message = sample(size, seed)
        # Forced: compressed even where that does not make it smaller (0 and 1 byte).
        b0, payload = payload_of(encoder.encode_binary(message, compress=True))
        assert b0 == 0xC2, "FIN, RSV1, Binary"
        if reset:
            inflater = zlib.decompressobj(-bits)
        assert inflater.decompress(payload + TAIL) == message


@pytest.mark.parametrize("bits", [9, 12, 15])
@pytest.mark.parametrize("reset", [False, True])
def test_what_cpython_zlib_compresses_we_inflate(bits: int, reset: bool) -> None:
    decoder = FrameDecoder(deflate=agreement(bits, reset=reset))
    compressor = zlib.compressobj(6, zlib.DEFLATED, -bits)
    wire = b""
    messages = []
    for seed, size in enumerate(SIZES):
        message = sample(size, seed).decode()
        if reset:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -bits)
        data = compressor.compress(message.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(TAIL)
        # Split over three frames, RSV1 on the first only.
        data = data[:-4]
        thirds = [data[: len(data) // 3], data[len(data) // 3 : 2 * len(data) // 3]]
        wire += frame(0x41, thirds[0]) + frame(0x00, thirds[1])
        wire += frame(0x80, data[2 * len(data) // 3 :])
        messages.append(message)
    assert decode(wire, [7, 1000, 70_001], deflate=agreement(bits, reset=reset)) == messages
    assert decoder.feed(wire) == messages


def test_rsv1_without_the_extension_or_off_a_first_frame_closes_1002() -> None:
    hello = bytes.fromhex("f248cdc9c90700")
    assert decode(frame(0xC1, hello)) == [Err(1002)]
    deflate = agreement()
    assert decode(frame(0xC1, hello), deflate=deflate) == ["Hello"]
    continued = frame(0x41, hello[:3]) + frame(0xC0, hello[3:])
    assert decode(continued, deflate=deflate) == [Err(1002)]
    assert decode(frame(0xC9, b""), deflate=deflate) == [Err(1002)]
    with pytest.raises(ValueError, match="reassembling"):
        FrameDecoder(reassemble=False, deflate=agreement())


def test_a_bomb_fails_with_1009_before_its_output_is_spent() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = compressor.compress(bytes(64 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(bomb) < 100 << 10
    decoder = FrameDecoder(client=True, max_frame_size=1 << 20, deflate=agreement())
    started = time.perf_counter()
    assert decoder.feed(from_server(0xC2, bomb[:-4])) == []
    elapsed = time.perf_counter() - started
    assert decoder.error is not None
    assert decoder.error.close_code == 1009
    assert "decompressed" in str(decoder.error)
    assert decoder.buffered == 0
    assert elapsed < 1.0, "stopped at the limit, not after 64 MiB"


def test_invalid_utf8_inside_compressed_text_closes_1007() -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = compressor.compress(b"ok \xff") + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert decode(frame(0xC1, data[:-4]), deflate=agreement()) == [Err(1007)]


def test_the_policy_decides_per_message() -> None:
    encoder = FrameEncoder(deflate=agreement(), min_size=100)
    assert encoder.compression
    assert encoder.encode_text("short")[0] == 0x81, "under min_size: plain"
    assert encoder.encode_text("x" * 100)[0] == 0xC1
    assert encoder.encode_text("short", compress=True)[0] == 0xC1
    assert encoder.encode_text("x" * 100, compress=False)[0] == 0x81
    # A fragmented message decides on its first frame; continuations never carry RSV1.
    heads = [
        encoder.encode_binary(b"a", fin=False)[0],
        encoder.encode_binary(b"b", fin=False, compress=False)[0],
        encoder.encode_binary(b"c")[0],
    ]
    assert heads == [0x42, 0x00, 0x80]
    # A frame that carries RSV bits of its own is sent as it is.
    assert encoder.encode_frame(Frame.binary(b"raw", rsv2=True))[0] == 0xA2
    assert not FrameEncoder().compression
    with pytest.raises(ValueError, match="level"):
        FrameEncoder(deflate=agreement(), level=10)


def test_everything_the_encoder_writes_the_decoder_reads_back() -> None:
    messages: list[str | bytes] = ["", "é" * 5000, os.urandom(3000), b"", sample(200_000, 1)]
    for reset in (False, True):
        encoder = FrameEncoder(masking=True, deflate=agreement(10, reset=reset))
        decoder = FrameDecoder(deflate=agreement(10, reset=reset))
        wire = b"".join(
            encoder.encode_text(m) if isinstance(m, str) else encoder.encode_binary(m)
            for m in messages
        )
        wire += encoder.encode_batch(["batched", b"\x00" * 500, Frame.ping(b"p")])
        wire += encoder.encode_text("frag", fin=False) + encoder.encode_text("mented")
        events = decoder.feed(wire)
        assert events[: len(messages)] == messages
        assert events[len(messages) : len(messages) + 2] == ["batched", b"\x00" * 500]
        assert events[-1] == "fragmented"


def test_a_window_of_8_is_met_by_sending_uncompressed() -> None:
    narrow = PerMessageDeflate(client_max_window_bits=8)
    client = FrameEncoder(masking=True, deflate=narrow)
    assert not client.compression
    assert client.encode_text("x" * 1000)[0] == 0x81
    # The server compresses with its own window, and inflates the client's 8-bit one.
    server = FrameEncoder(deflate=narrow)
    assert server.compression
    compressor = zlib.compressobj(6, zlib.DEFLATED, -9)
    data = compressor.compress(b"abc" * 100) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert decode(frame(0xC1, data[:-4]), deflate=narrow) == ["abc" * 100]


def test_compress_hands_back_a_frame_for_encode_frame() -> None:
    encoder = FrameEncoder(deflate=agreement())
    compressed = encoder.compress("Hello", force=True)
    assert (compressed.rsv1, compressed.fin, compressed.data) == (
        True,
        True,
        bytes.fromhex("f248cdc9c90700"),
    )
    assert encoder.encode_frame(compressed) == bytes.fromhex("c107f248cdc9c90700")
    # Unforced, what compressing would not shrink comes back as it is.
    assert encoder.compress("Hello").data == b"Hello"
    assert encoder.encode_frame(encoder.compress("Hello"), False) == b"\x81\x05Hello"
    encoder.encode_text("open", fin=False)
    with pytest.raises(LocalProtocolError, match="fragmented"):
        encoder.compress("while a message is open")
    with pytest.raises(LocalProtocolError, match="not agreed"):
        FrameEncoder().compress("no deflate")


def ticks_while(work: Callable[[], object]) -> tuple[float, list[float]]:
    """Run `work` on a thread; the span it took and the times this thread ran meanwhile."""
    ticks: list[float] = []
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    worker = threading.Thread(target=run)
    begin = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
    worker.join()
    end = time.perf_counter()
    # Only the middle half counts: the thread holds the GIL to start and to finish the call.
    middle = [t for t in ticks if begin + (end - begin) / 4 < t < end - (end - begin) / 4]
    return end - begin, middle


def test_large_payloads_are_compressed_with_the_gil_released() -> None:
    encoder = FrameEncoder(deflate=agreement(), level=9)
    message = sample(4 << 20, 5)
    span, middle = ticks_while(lambda: encoder.compress(message))
    # With the GIL held for the whole call this thread could not run until it returned.
    assert span > 0.05
    assert middle, f"no tick mid-call in {span:.3f} s"


def test_large_payloads_are_inflated_with_the_gil_released() -> None:
    text = os.urandom(16 << 20).hex().encode()
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    data = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
    wire = from_server(0xC1, data[:-4])
    decoder = FrameDecoder(client=True, max_frame_size=64 << 20, deflate=agreement())
    events: list[object] = []
    span, middle = ticks_while(lambda: events.extend(decoder.feed(wire)))
    assert events == [text.decode()]
    assert span > 0.02
    assert middle, f"no tick mid-call in {span:.3f} s"


def test_negotiation_through_the_bindings() -> None:
    chosen = PerMessageDeflate.negotiate(
        [
            "permessage-deflate; server_max_window_bits=8",
            "permessage-deflate; client_max_window_bits",
        ],
        server_max_window_bits=12,
        client_max_window_bits=12,
    )
    assert chosen is not None
    agreed, answer = chosen
    assert answer == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    assert agreed == agreement(12)
    assert hash(agreed) == hash(agreement(12))
    assert PerMessageDeflate.negotiate(['permessage-deflate; x="unterminated']) is None
    offer = PerMessageDeflate.offer(client_max_window_bits=12)
    assert offer == "permessage-deflate; client_max_window_bits=12"
    assert PerMessageDeflate.accept([], client_max_window_bits=12) is None
    assert PerMessageDeflate.accept([answer], client_max_window_bits=12) == agreement(12)
    with pytest.raises(HandshakeError, match="did not offer") as raised:
        PerMessageDeflate.accept(["x-webkit-deflate-frame"])
    assert raised.value.status == 101
    with pytest.raises(ValueError, match="window_bits"):
        PerMessageDeflate.offer(server_max_window_bits=8)


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.one_of(st.text(max_size=300), st.binary(max_size=3000)), max_size=8),
    bits=st.integers(9, 15),
    reset=st.booleans(),
    cut=st.integers(1, 400),
)
def test_compressed_conversations_survive_any_split(
    messages: list[str | bytes], bits: int, reset: bool, cut: int
) -> None:
    encoder = FrameEncoder(masking=True, deflate=agreement(bits, reset=reset))
    wire = b"".join(
        encoder.encode_text(m) if isinstance(m, str) else encoder.encode_binary(m) for m in messages
    )
    decoder = FrameDecoder(deflate=agreement(bits, reset=reset))
    events = []
    for at in range(0, len(wire), cut):
        events.extend(decoder.feed(wire[at : at + cut]))
    assert events == messages
