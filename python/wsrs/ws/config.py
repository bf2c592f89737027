"""Every limit and timing of a WebSocket session, with its default and why, in one place.

HTTP limits (request line, header line and count, head and body size, chunked framing) are the
fields of `wsrs.HttpLimits`, enforced by the Rust parser as bytes arrive; their defaults are listed
in its docstring. Sizes are bytes, durations seconds; None disables a timer.
"""

from __future__ import annotations

from dataclasses import dataclass

from wsrs._wsrs import DEFAULT_MAX_FRAME_SIZE
from wsrs.ws.broadcast import SlowConsumer
from wsrs.ws.deflate import DEFAULT_COMPRESSION, Deflate

SKIP_PAST_1_MIB = SlowConsumer()
"""The default slow-consumer policy: skip a session once 1 MiB waits in its write buffer."""

__all__ = ["SessionConfig"]


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """How a WebSocket session behaves; `serve()` and `connect()` take these as keywords."""

    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    """Cap on one frame and on one reassembled message (16 MiB), checked on each frame header
    before any payload memory is spent; over it the session closes with 1009."""

    ping_interval: float | None = 20.0
    """Send a ping this often (as websockets does); None sends none (Ktor's default)."""

    timeout: float = 20.0
    """Close with 1011 "Ping timeout" when a ping's pong has not come back in this time."""

    close_timeout: float = 10.0
    """After our Close goes out, wait this long for the peer's Close and TCP close, then drop."""

    incoming_capacity: int = 16
    """Whole messages buffered for the application before the socket stops being read."""

    write_limit: int = 64 * 1024
    """Bytes buffered for the socket before `send` waits for it to drain (the outgoing bound)."""

    slow_consumer: SlowConsumer = SKIP_PAST_1_MIB
    """What `broadcast` does with a session whose write buffer passes a limit (skip it, by
    default, once 1 MiB waits; or close it with 1008 or 1013)."""

    compression: Deflate | None = DEFAULT_COMPRESSION
    """permessage-deflate, negotiated when the peer offers or accepts it; None turns it off.
    See `Deflate` for the settings and what each costs."""

    def __post_init__(self) -> None:
        if self.max_frame_size < 1:
            raise ValueError("max_frame_size must be positive")
        # `not x > 0`, not `x <= 0`: a NaN is refused too (as a deadline it would stop the timers).
        if self.ping_interval is not None and not self.ping_interval > 0:
            raise ValueError("ping_interval must be positive, or None to disable pings")
        if not self.timeout > 0 or not self.close_timeout >= 0:
            raise ValueError("timeout must be positive and close_timeout non-negative")
        if self.incoming_capacity < 1 or self.write_limit < 1:
            raise ValueError("incoming_capacity and write_limit must be positive")
