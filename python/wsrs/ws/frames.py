"""WebSocket frames and close reasons (RFC 6455 §5, §7.4), as the Rust codec defines them.

`Frame` is one frame: its `FrameType`, FIN and RSV bits and unmasked payload, built with
`Frame.text`, `Frame.binary`, `Frame.close`, `Frame.ping`, `Frame.pong` or `Frame.by_type`.
`CloseReason` pairs a close code with a message of at most 123 UTF-8 bytes; `CloseCode` names the
codes Ktor knows. All four compare by value and are immutable.
"""

from wsrs._wsrs import CloseCode, CloseReason, Frame, FrameType

__all__ = ["CloseCode", "CloseReason", "Frame", "FrameType"]
