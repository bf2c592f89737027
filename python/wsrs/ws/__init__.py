"""WebSocket sessions (RFC 6455) over the Rust codec: the raw and the default session (`session`,
on their shared base), keep-alive (`pingpong`), the opening handshake (`handshake`), every limit
and timing of a session (`config`) and the frame types (`frames`)."""

from wsrs.ws.config import SessionConfig
from wsrs.ws.frames import CloseCode, CloseReason, Frame, FrameType
from wsrs.ws.pingpong import pinger, ponger
from wsrs.ws.session import DefaultWebSocketSession, WebSocketSession

__all__ = [
    "CloseCode",
    "CloseReason",
    "DefaultWebSocketSession",
    "Frame",
    "FrameType",
    "SessionConfig",
    "WebSocketSession",
    "pinger",
    "ponger",
]
