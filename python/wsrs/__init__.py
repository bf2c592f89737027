"""wsrs: fast, strict WebSocket and HTTP/1.1 for Python on asyncio and trio."""

from wsrs._wsrs import __version__
from wsrs.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    HandshakeError,
    LocalProtocolError,
    PayloadTooBig,
    ProtocolError,
    RemoteProtocolError,
    WsrsError,
)
from wsrs.frames import CloseCode, CloseReason, Frame, FrameType

__all__ = [
    "CloseCode",
    "CloseReason",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "Frame",
    "FrameType",
    "HandshakeError",
    "LocalProtocolError",
    "PayloadTooBig",
    "ProtocolError",
    "RemoteProtocolError",
    "WsrsError",
    "__version__",
]
