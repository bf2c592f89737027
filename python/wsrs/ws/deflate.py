"""permessage-deflate (RFC 7692) settings and negotiation: `Deflate`, taken by `serve`, `connect`
and `SessionConfig` as ``compression=`` (None turns compression off).

Compression itself is the Rust codec's: whole messages through one DEFLATE stream, sync-flushed,
the ``00 00 FF FF`` tail removed, RSV1 on the first frame only; inflating capped at
`max_frame_size` as the output is produced (1009); zlib-rs underneath. A whole message that
compressing does not make smaller goes out uncompressed (unless sent with ``compress=True``, or
`Deflate.min_size` is 0: every message compressed).
Between messages a session keeps only the bytes its peer's window holds, at most
``2**window_bits`` per direction: the zlib contexts are borrowed per message from a small
process-wide pool. So the windows are what an idle session pays for compression, and the
defaults keep them at 4 KiB each way on a server.

The server takes the first offer it can meet and declines the rest, so the handshake succeeds
uncompressed when nothing fits (unknown parameters, ``server_max_window_bits=8``, a header that
breaks the grammar). The client fails the handshake on an answer RFC 7692 §7 forbids.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from wsrs._wsrs import PerMessageDeflate

__all__ = ["DEFAULT_COMPRESSION", "Deflate", "PerMessageDeflate"]

SERVER_WINDOW_BITS = 12
"""The windows a server limits both directions to unless told otherwise (4 KiB each)."""


class _Negotiation(TypedDict):
    """The keywords `PerMessageDeflate`'s negotiation takes."""

    server_max_window_bits: int
    client_max_window_bits: int
    server_no_context_takeover: bool
    client_no_context_takeover: bool


@dataclass(frozen=True, slots=True)
class Deflate:
    """How this side compresses and what it negotiates; see the module docstring.

    A window is ``2**bits`` bytes, 9 to 15. None for a window means: on a server, 12 (it limits
    its own window, and the client's when the client offers ``client_max_window_bits``, as
    browsers do); on a client, no limit asked for (the server decides, 15 if it says nothing).
    """

    server_max_window_bits: int | None = None
    """The largest window the server compresses with."""

    client_max_window_bits: int | None = None
    """The largest window the client compresses with."""

    server_no_context_takeover: bool = False
    """The server resets its window after every message (saves its history, costs ratio)."""

    client_no_context_takeover: bool = False
    """The client resets its window after every message."""

    level: int = 1
    """zlib's level, 0 (store) to 9; 1 is the fastest (zlib-rs's quick strategy)."""

    mem_level: int = 8
    """zlib's memLevel, 1 to 9: the size of a pooled compressor, not of an idle session."""

    min_size: int = 128
    """Whole messages shorter than this are sent uncompressed (unless `send` asks otherwise). 0
    compresses every message, even one that compressing makes larger; from 1 on, such a message
    goes out uncompressed."""

    predicate: Callable[[str | bytes], bool] | None = None
    """Called for each whole message that `min_size` lets through: False sends it uncompressed
    (say, for data already compressed, such as images)."""

    def __post_init__(self) -> None:
        for name in ("server_max_window_bits", "client_max_window_bits"):
            bits = getattr(self, name)
            if bits is not None and not 9 <= bits <= 15:
                raise ValueError(f"{name} must be 9 to 15, or None")
        if not 0 <= self.level <= 9:
            raise ValueError("level must be 0 to 9")
        if not 1 <= self.mem_level <= 9:
            raise ValueError("mem_level must be 1 to 9")
        if self.min_size < 0:
            raise ValueError("min_size must be zero or positive")

    def _negotiation(self, *, server: bool) -> _Negotiation:
        default = SERVER_WINDOW_BITS if server else 15
        return {
            "server_max_window_bits": self.server_max_window_bits or default,
            "client_max_window_bits": self.client_max_window_bits or default,
            "server_no_context_takeover": self.server_no_context_takeover,
            "client_no_context_takeover": self.client_no_context_takeover,
        }

    def negotiate(self, offers: Sequence[str]) -> tuple[PerMessageDeflate, str] | None:
        """The server's side: for the request's ``Sec-WebSocket-Extensions`` values, the
        agreement and the answer to send, or None to decline every offer."""
        if not offers:
            return None
        return PerMessageDeflate.negotiate(offers, **self._negotiation(server=True))

    def offer(self) -> str:
        """The client's ``Sec-WebSocket-Extensions`` offer."""
        return PerMessageDeflate.offer(**self._negotiation(server=False))

    def accept(self, answers: Sequence[str]) -> PerMessageDeflate | None:
        """The client's side: the agreement the server's answer states, None when it accepted
        no extension; `HandshakeError` for an answer the client must refuse."""
        return PerMessageDeflate.accept(answers, **self._negotiation(server=False))


DEFAULT_COMPRESSION = Deflate()
"""What sessions negotiate unless told otherwise."""
