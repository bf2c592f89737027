"""Hand-built wire bytes for the codec tests, independent of the encoder under test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from tests import wire
from wsrs._wsrs import FrameDecoder
from wsrs.exceptions import PayloadTooBig, RemoteProtocolError

KEY = bytes([0xA1, 0xB2, 0xC3, 0xD4])


def frame(b0: int, payload: bytes = b"", *, masked: bool = True, key: bytes = KEY) -> bytes:
    """A frame from its first byte (FIN | RSV | opcode), masked as a client sends it by default."""
    return wire.frame(
        b0 & 0x0F, payload, fin=bool(b0 & 0x80), rsv=(b0 >> 4) & 7, mask=key if masked else None
    )


def from_server(b0: int, payload: bytes = b"") -> bytes:
    """An unmasked frame, as a server sends it."""
    return frame(b0, payload, masked=False)


@dataclass(frozen=True)
class Err:
    """Expected failure: the close code and whether it is `PayloadTooBig`."""

    close_code: int
    too_big: bool = False


def decode(wire: bytes, chunks: list[int] | None = None, **options: object) -> list[object]:
    """Events from feeding `wire` (cut at `chunks` offsets), then `Err` if decoding failed."""
    decoder = FrameDecoder(**options)  # type: ignore[arg-type]
    cuts = [0, *(chunks or []), len(wire)]
    events: list[object] = []
    for start, end in itertools.pairwise(cuts):
        if decoder.error is not None:
            break
        events.extend(decoder.feed(wire[start:end]))
    error = decoder.error
    if error is not None:
        assert isinstance(error, RemoteProtocolError)
        events.append(Err(error.close_code, isinstance(error, PayloadTooBig)))
    return events
