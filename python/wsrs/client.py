"""`wsrs.connect`: open a WebSocket (``ws://`` or ``wss://``) and get a `DefaultWebSocketSession`.

The connection is the event loop's own transport on asyncio and anyio's stream on trio, as on the
server. The opening handshake is checked as `handshake.py` says; any refusal raises
`HandshakeError` with the server's status, headers and the start of its body. Leaving the
``async with`` block closes the session with (1000, "") and waits, at most `close_timeout`, for
the closing handshake; an exception or cancellation inside the block still closes it first.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.abc

from wsrs._loop.sync import Deferred, require_supported_loop, running_trio, task_group
from wsrs._loop.timers import Timers
from wsrs._loop.transport import StreamTransport, Transport
from wsrs._wsrs import HttpLimits, ResponseHead, encode_request_head, parse_response_head
from wsrs.exceptions import HandshakeError, RemoteProtocolError
from wsrs.ws._session_base import NORMAL_CLOSE
from wsrs.ws.config import SessionConfig
from wsrs.ws.handshake import check_response, client_headers, new_key
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["connect"]

_BODY_SAMPLE = 4096
"""How much of a refusal's body `HandshakeError.body` keeps."""


@asynccontextmanager
async def connect(
    url: str,
    *,
    subprotocols: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
    origin: str | None = None,
    ssl: ssl_module.SSLContext | None = None,
    open_timeout: float = 10.0,
    limits: HttpLimits | None = None,
    **session: Any,
) -> AsyncIterator[DefaultWebSocketSession]:
    """Connect to `url` and yield the session once the opening handshake succeeded.

    `session` takes the `SessionConfig` fields (`max_frame_size`, `ping_interval`, `timeout`,
    `close_timeout`, `incoming_capacity`, `write_limit`, `compression`).
    """
    require_supported_loop("wsrs.connect")
    config = SessionConfig(**session)
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
    secure = parts.scheme == "wss"
    host = parts.hostname
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authority = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        authority += f":{parts.port}"
    context = (ssl or ssl_module.create_default_context()) if secure else None

    async with task_group() as tg:
        timers = Timers(timerfd=False)  # one per connection: no descriptor of its own
        tg.start_soon(timers.run)
        reader = _HandshakeReader(limits)
        key = new_key()
        transport: Transport | None = None
        try:
            with anyio.fail_after(open_timeout):
                transport = await _open(tg, reader, host, port, context)
                request_headers = client_headers(
                    authority,
                    key,
                    subprotocols=subprotocols,
                    origin=origin,
                    extra=headers,
                    compression=config.compression,
                )
                transport.write(encode_request_head("GET", target, request_headers))
                head = await reader.result
            if isinstance(head, HandshakeError):
                raise head
            body = reader.after_head()[:_BODY_SAMPLE]
            subprotocol, deflate = check_response(head, key, subprotocols, body, config.compression)
        except BaseException as error:
            if transport is not None:
                transport.abort()
            tg.cancel_scope.cancel()
            if isinstance(error, TimeoutError):
                raise HandshakeError(f"no handshake response within {open_timeout} s") from None
            raise
        ws = DefaultWebSocketSession(
            transport,
            client=True,
            config=config,
            timers=timers,
            subprotocol=subprotocol,
            deflate=deflate,
        )
        ws.response = head
        reader.hand_over(ws, transport)
        try:
            yield ws
        finally:
            # Closing is bounded even when the caller is cancelled (and the timers with it).
            with anyio.CancelScope(shield=True), anyio.move_on_after(config.close_timeout):
                await ws.close(NORMAL_CLOSE)
            ws.terminate()
            tg.cancel_scope.cancel()


async def _open(
    tg: anyio.abc.TaskGroup,
    reader: _HandshakeReader,
    host: str,
    port: int,
    context: ssl_module.SSLContext | None,
) -> Transport:
    if running_trio():
        stream: anyio.abc.ByteStream
        if context is None:
            stream = await anyio.connect_tcp(host, port)
        else:
            stream = await anyio.connect_tcp(
                host, port, ssl_context=context, tls_hostname=host, tls_standard_compatible=False
            )
        transport = StreamTransport(stream, reader, tg.start_soon)
        tg.start_soon(transport.run)
        return transport
    loop = asyncio.get_running_loop()
    asyncio_transport, _ = await loop.create_connection(
        lambda: reader, host, port, ssl=context, server_hostname=host if context else None
    )
    return asyncio_transport


class _HandshakeReader(asyncio.Protocol):
    """Collects bytes until the server's response head is complete, then holds what follows.

    Frames, EOF or a lost connection can arrive before the session takes over the transport;
    `hand_over` replays them to the session so nothing is lost in between.
    """

    def __init__(self, limits: HttpLimits | None) -> None:
        self._limits = limits
        self._buffer = bytearray()
        self._head_size = 0
        self._eof = False
        self._lost: tuple[Exception | None] | None = None
        self.result = Deferred[ResponseHead | HandshakeError]()

    def connection_made(self, transport: Any) -> None: ...

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self.result.done():
            return
        try:
            parsed = parse_response_head(self._buffer, self._limits)
        except RemoteProtocolError as error:
            self.result.set(HandshakeError(f"malformed handshake response: {error.message}"))
            return
        if parsed is not None:
            head, self._head_size = parsed
            self.result.set(head)

    def after_head(self) -> bytes:
        """The bytes received after the response head so far."""
        return bytes(self._buffer[self._head_size :])

    def hand_over(self, session: DefaultWebSocketSession, transport: Transport) -> None:
        """Give `session` everything that arrived after the head, in order."""
        rest = self.after_head()
        self._buffer.clear()
        if rest:
            session.data_received(rest)
        if self._eof:
            session.eof_received()
            transport.close()
        if self._lost is not None:
            session.connection_lost(self._lost[0])

    def eof_received(self) -> bool | None:
        self._eof = True
        self.result.set(HandshakeError("the server closed the connection during the handshake"))
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = (exc,)
        self.result.set(HandshakeError("the connection was lost during the handshake"))

    def pause_writing(self) -> None: ...
    def resume_writing(self) -> None: ...
