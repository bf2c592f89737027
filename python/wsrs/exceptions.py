"""The one exception tree of wsrs.

```
WsrsError
├── ProtocolError               abstract: refuses direct instantiation
│   ├── LocalProtocolError      this process misused the API (send after close, bad close code)
│   └── RemoteProtocolError     the peer broke RFC 6455 / 9112; carries .close_code and .status_hint
│       ├── PayloadTooBig       a configured limit was exceeded (1009 / 413 / 431)
│       └── MultipartError      a multipart body broke RFC 2046 / 7578 or a limit (400 / 413 / 415)
├── HandshakeError              the opening handshake failed; .status, .headers, .body
├── BrokerUnavailable           a publish could not be taken: the broker is away or its queue full
├── UnsupportedEventLoop        serve/connect called outside asyncio (or uvloop) and trio
├── ConnectionClosed            raised by session I/O once closed; .sent, .received
│   ├── ConnectionClosedOK      both sides agreed on 1000 or 1001 (or an empty Close)
│   └── ConnectionClosedError   anything else, including 1006 when the transport dropped
├── ClientDisconnected          also an OSError: sending to a client that went away
└── LifespanError               an ASGI application's lifespan startup failed; its message
```

The Rust core raises `RemoteProtocolError`, `PayloadTooBig` and `MultipartError` with the close
code and HTTP status that answer the violation. Cancellation is never wrapped; no anyio, trio or
pyo3 exception leaves the public API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsrs._wsrs import CloseReason

__all__ = [
    "BrokerUnavailable",
    "ClientDisconnected",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "HandshakeError",
    "LifespanError",
    "LocalProtocolError",
    "MultipartError",
    "PayloadTooBig",
    "ProtocolError",
    "RemoteProtocolError",
    "UnsupportedEventLoop",
    "WsrsError",
]


class WsrsError(Exception):
    """Root of every exception wsrs raises on purpose."""


class ProtocolError(WsrsError):
    """A protocol rule was broken; use `LocalProtocolError` or `RemoteProtocolError`."""

    def __init__(self, *args: object) -> None:
        if type(self) is ProtocolError:
            raise TypeError("ProtocolError is abstract: raise a Local or Remote one")
        super().__init__(*args)


class LocalProtocolError(ProtocolError, ValueError):
    """This process asked for something the protocol forbids, such as sending after Close."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol; `close_code` / `status_hint` are the answers to send back."""

    default_close_code = 1002
    default_status_hint = 400

    def __init__(
        self, message: str, close_code: int | None = None, status_hint: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.close_code = self.default_close_code if close_code is None else close_code
        self.status_hint = self.default_status_hint if status_hint is None else status_hint


class PayloadTooBig(RemoteProtocolError):
    """A frame, message, head or body went over a configured limit before its memory was spent."""

    default_close_code = 1009
    default_status_hint = 413


class MultipartError(RemoteProtocolError):
    """A multipart body, its media type or a part header broke RFC 2046 / 7578 or a limit.

    `status_hint` is the answer: 415 when the body is not ``multipart/*`` at all, 413 when a
    `MultipartLimits` (or form) limit was exceeded, 400 for a malformed body.
    """


class HandshakeError(WsrsError):
    """The opening handshake failed: refused by the server, malformed, or timed out."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or []
        self.body = body


class BrokerUnavailable(WsrsError):
    """A publish was refused at once: the broker is not connected (and queues nothing, or its
    queue is full) or not running. Nothing of the message was sent."""


class UnsupportedEventLoop(WsrsError, RuntimeError):
    """wsrs was asked to run where its transport cannot: neither an asyncio loop nor trio."""


class ConnectionClosed(WsrsError):
    """The session is closed; `sent` and `received` are the Close reasons that went each way."""

    def __init__(self, sent: CloseReason | None, received: CloseReason | None) -> None:
        self.sent = sent
        self.received = received
        super().__init__(self._describe())

    @property
    def reason(self) -> CloseReason | None:
        """The reason that settled the close: the peer's when it closed first, else ours."""
        return self.received if self.received is not None else self.sent

    @property
    def code(self) -> int:
        """The close code of `reason`, or 1006 when no Close frame went either way."""
        reason = self.reason
        return 1006 if reason is None else reason.code

    def _describe(self) -> str:
        if self.sent is None and self.received is None:
            return "connection closed abnormally (1006): no Close frame sent or received"
        parts = []
        if self.received is not None:
            parts.append(f"received {self.received.code} {self.received.message!r}")
        if self.sent is not None:
            parts.append(f"sent {self.sent.code} {self.sent.message!r}")
        return "connection closed: " + ", ".join(parts)


class ConnectionClosedOK(ConnectionClosed):
    """The connection closed normally (1000, 1001, or an empty Close)."""


class ConnectionClosedError(ConnectionClosed):
    """The connection closed with an error code, or dropped without a Close frame (1006)."""


class ClientDisconnected(WsrsError, OSError):
    """The client went away: the response or message being sent cannot reach it.

    An `OSError`, as ASGI asks of `send` after a disconnect. It is the client's doing, so the
    server logs it at DEBUG, never as an error.
    """


class LifespanError(WsrsError):
    """An ASGI application's lifespan startup failed: `serve` raises it with the app's message."""
