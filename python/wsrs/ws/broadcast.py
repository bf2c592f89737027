"""`broadcast`: one message to many sessions, encoded once, written without waiting.

The frame is encoded by one Rust call into one `bytes`, and that same object is written to every
server session that has no fragmented message of its own half sent. A server session with
permessage-deflate takes it uncompressed too (RSV1 clear, which the extension always allows),
after any message it is compressing. A client session masks every frame, so it encodes the
message itself. Nothing awaits: each write goes to the socket at once or into the
transport's buffer, so a slow reader cannot hold the others up.

What bounds memory is the `SlowConsumer` policy, chosen per call or per server (`SessionConfig`):
a session whose write buffer already holds bytes and would pass `limit` with this frame is
skipped, or closed with 1008 or 1013 (its Close goes out after its backlog, and the connection is
dropped once `close_timeout` has passed). A session with an empty buffer always gets the message,
so one frame larger than the limit still reaches every reader that keeps up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from wsrs._wsrs import CloseReason, FrameEncoder

if TYPE_CHECKING:
    from wsrs.ws._session_base import SessionBase

__all__ = ["SlowConsumer", "broadcast", "encode_shared"]

S = TypeVar("S", bound="SessionBase[Any]")

_SHARED = FrameEncoder(masking=False)
"""Encodes the shared frames: unmasked, and only whole messages, so it never holds state."""


@dataclass(frozen=True, slots=True)
class SlowConsumer:
    """What `broadcast` does with a session that does not keep up with its writes.

    A session is slow when its write buffer holds bytes and this frame would take it past
    `limit`. ``action="skip"`` leaves the message out for that session (the caller learns it
    from `broadcast`'s result); ``action="close"`` closes it with `code` (1008 "policy
    violation" or 1013 "try again later").
    """

    action: Literal["skip", "close"] = "skip"
    limit: int = 1024 * 1024
    """Bytes a session's write buffer may hold, this frame included, before it counts as slow."""
    code: int = 1013

    def __post_init__(self) -> None:
        if self.action not in ("skip", "close"):
            raise ValueError("action must be 'skip' or 'close'")
        if self.limit < 1:
            raise ValueError("limit must be positive")
        if self.code not in (1008, 1013):
            raise ValueError("a slow consumer is closed with 1008 or 1013")

    @property
    def reason(self) -> CloseReason:
        """The Close a slow consumer gets under ``action="close"``."""
        return CloseReason(self.code, "Slow consumer")


def encode_shared(message: str | bytes) -> bytes:
    """The whole message as one unmasked final frame: Text for `str`, Binary for bytes-like."""
    if isinstance(message, str):
        return _SHARED.encode_text(message)
    return _SHARED.encode_binary(message)


def broadcast(
    sessions: Iterable[S], message: str | bytes, *, slow_consumer: SlowConsumer | None = None
) -> list[S]:
    """Write `message` to every open session now; return the sessions that did not get it.

    Those are the sessions already closing or closed, the slow ones (skipped or closed by
    `slow_consumer`, by default each session's own `SessionConfig.slow_consumer`), and any whose
    own fragmented message is half sent. It never waits and never raises for one session.
    """
    frame = encode_shared(message)
    size = len(frame)
    skipped: list[S] = []
    for session in sessions:
        transport = session._transport
        if session._close_written or session._connection_lost or transport.is_closing():
            skipped.append(session)
            continue
        buffered = transport.get_write_buffer_size()
        if buffered:
            policy = slow_consumer or session._config.slow_consumer
            if buffered + size > policy.limit:
                if policy.action == "close":
                    session._close_slow(policy.reason)
                skipped.append(session)
                continue
        if not session._write_shared(frame, message):
            skipped.append(session)
    return skipped
