"""Properties of the codec: chunking never changes the outcome; decoding inverts encoding."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from wsrs._wsrs import Frame, FrameDecoder, FrameEncoder


@dataclass
class Conversation:
    """Frames as sent, and the events a reassembling decoder must report for them."""

    frames: list[Frame]
    events: list[object]


@st.composite
def conversations(draw: st.DrawFn) -> Conversation:
    """Text and binary messages, some fragmented (even inside a character), pings in between."""
    frames: list[Frame] = []
    events: list[object] = []
    for _ in range(draw(st.integers(0, 6))):
        is_text = draw(st.booleans())
        text = draw(st.text(max_size=40))
        payload = text.encode() if is_text else draw(st.binary(max_size=300))
        cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=3)))
        parts = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)]
        for index, part in enumerate(parts):
            fin = index == len(parts) - 1
            frames.append(Frame.text(part, fin=fin) if is_text else Frame.binary(part, fin=fin))
            if fin:
                events.append(text if is_text else payload)
            if draw(st.integers(0, 3)) == 0:
                ping = Frame.ping(draw(st.binary(max_size=125)))
                frames.append(ping)
                events.append(ping)
    return Conversation(frames, events)


def feed_in_chunks(decoder: FrameDecoder, wire: bytes, cuts: list[int]) -> list[object]:
    events: list[object] = []
    bounds = [0, *sorted(cuts), len(wire)]
    for start, end in itertools.pairwise(bounds):
        if decoder.error is not None:
            break
        events.extend(decoder.feed(wire[start:end]))
    return events


def outcome(decoder: FrameDecoder, events: list[object]) -> tuple[list[object], object]:
    error = decoder.error
    return events, None if error is None else (type(error), error.close_code, str(error))


@given(conversations(), st.data())
def test_a_server_decodes_what_a_client_encodes_in_any_chunking(
    conversation: Conversation, data: st.DataObject
) -> None:
    wire = FrameEncoder(masking=True).encode_batch(conversation.frames)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    decoder = FrameDecoder()
    assert feed_in_chunks(decoder, wire, cuts) == conversation.events
    assert decoder.error is None
    assert decoder.buffered == 0


@given(conversations(), st.data())
def test_a_client_decodes_what_a_server_encodes_in_any_chunking(
    conversation: Conversation, data: st.DataObject
) -> None:
    wire = FrameEncoder().encode_batch(conversation.frames)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    assert feed_in_chunks(FrameDecoder(client=True), wire, cuts) == conversation.events


@given(conversations(), st.data())
def test_raw_mode_returns_the_frames_as_sent(
    conversation: Conversation, data: st.DataObject
) -> None:
    wire = FrameEncoder(masking=True).encode_batch(conversation.frames)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    assert feed_in_chunks(FrameDecoder(reassemble=False), wire, cuts) == conversation.frames


@given(st.binary(max_size=400), st.booleans(), st.booleans(), st.data())
def test_any_bytes_give_the_same_outcome_in_any_chunking(
    wire: bytes, client: bool, reassemble: bool, data: st.DataObject
) -> None:
    whole = FrameDecoder(client=client, reassemble=reassemble)
    expected = outcome(whole, list(whole.feed(wire)))
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=10))
    chunked = FrameDecoder(client=client, reassemble=reassemble)
    assert outcome(chunked, feed_in_chunks(chunked, wire, cuts)) == expected


@given(conversations(), st.data())
def test_corrupted_wire_gives_the_same_outcome_in_any_chunking(
    conversation: Conversation, data: st.DataObject
) -> None:
    wire = bytearray(FrameEncoder(masking=True).encode_batch(conversation.frames))
    for _ in range(data.draw(st.integers(1, 3))):
        if wire:
            wire[data.draw(st.integers(0, len(wire) - 1))] ^= data.draw(st.integers(1, 255))
    max_size = data.draw(st.sampled_from([50, 1 << 20]))
    whole = FrameDecoder(max_frame_size=max_size)
    expected = outcome(whole, list(whole.feed(wire)))
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=10))
    chunked = FrameDecoder(max_frame_size=max_size)
    assert outcome(chunked, feed_in_chunks(chunked, bytes(wire), cuts)) == expected
