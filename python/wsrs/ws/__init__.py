"""WebSocket sessions (RFC 6455) over the Rust codec: the raw and the default session (`session`,
on their shared base), keep-alive (`pingpong`), the opening handshake (`handshake`),
permessage-deflate's settings and negotiation (`deflate`), every limit and timing of a session
(`config`), the frame types (`frames`), one message to many sessions (`broadcast`) and the topic
memberships of a process (`topics`)."""

from wsrs.ws.broadcast import SlowConsumer, broadcast
from wsrs.ws.config import SessionConfig
from wsrs.ws.deflate import Deflate, PerMessageDeflate
from wsrs.ws.frames import CloseCode, CloseReason, Frame, FrameType
from wsrs.ws.pingpong import pinger, ponger
from wsrs.ws.session import DefaultWebSocketSession, WebSocketSession
from wsrs.ws.topics import Topics

__all__ = [
    "CloseCode",
    "CloseReason",
    "DefaultWebSocketSession",
    "Deflate",
    "Frame",
    "FrameType",
    "PerMessageDeflate",
    "SessionConfig",
    "SlowConsumer",
    "Topics",
    "WebSocketSession",
    "broadcast",
    "pinger",
    "ponger",
]
