"""The WebSocket cycle: an ASGI app on the server's `DefaultWebSocketSession`.

The app runs in the handshake request's task from ``websocket.connect`` to its end; accepting
sends the 101 through the engine and the session takes the transport in the same turn, so the
session needs no task of its own and keeps every server setting (pings, close timeout, limits).

- ``websocket.accept`` may choose a subprotocol and add header fields to the 101.
- ``websocket.close`` before accepting refuses with 403; the denial-response extension
  (``websocket.http.response.start`` / ``.body``) refuses with the app's own response.
- ``websocket.disconnect`` carries the code and reason that settled the close: the peer's (1005
  when its Close had none), ours when we failed the connection, 1006 when it dropped.
- When the app returns, the session closes with 1000 (or keeps the app's own close) and the task
  waits for the closing handshake, at most ``close_timeout``; an app error closes with 1011.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import TYPE_CHECKING

import anyio

from wsrs._wsrs import CloseReason, Frame
from wsrs.exceptions import ClientDisconnected, ConnectionClosed
from wsrs.http._writer import ResponseWriter
from wsrs.http.messages import Response
from wsrs.server.asgi.response import AsgiResponse, str_headers
from wsrs.server.asgi.types import AsgiCallable, Message, Scope
from wsrs.ws.session import DefaultWebSocketSession

if TYPE_CHECKING:
    from wsrs.server.server import Server

__all__ = ["WebSocketCycle", "run_websocket"]

logger = logging.getLogger("wsrs")

INTERNAL_ERROR = CloseReason(1011, "")


def _disconnect(closed: ConnectionClosed) -> Message:
    reason = closed.reason
    return {
        "type": "websocket.disconnect",
        "code": closed.code,
        "reason": "" if reason is None else reason.message,
    }


class WebSocketCycle:
    """The `receive` and `send` of one WebSocket, from its handshake to its close."""

    __slots__ = ("_connected", "_denial", "_key", "_server", "_writer", "client_gone", "session")

    def __init__(self, writer: ResponseWriter, server: Server, key: str) -> None:
        self._writer = writer
        self._server = server
        self._key = key
        self._connected = False
        self._denial = AsgiResponse(writer, close=True)
        self.session: DefaultWebSocketSession | None = None
        """The session, once accepted."""
        self.client_gone = False
        """The app was told the client went away."""

    async def receive(self) -> Message:
        """``websocket.connect`` first, then each message, then ``websocket.disconnect``."""
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        session = self.session
        if session is None:
            # Not accepted: nothing can arrive but the client going away (or the refusal ending).
            await self._writer.wait_disconnected()
            self.client_gone = True
            return {"type": "websocket.disconnect", "code": 1006, "reason": ""}
        try:
            message = await session.receive()
        except ConnectionClosed as closed:
            self.client_gone = True
            return _disconnect(closed)
        if type(message) is str:
            return {"type": "websocket.receive", "text": message}
        return {"type": "websocket.receive", "bytes": message}

    async def send(self, message: Message) -> None:
        """Accept, send, close, or refuse with an HTTP response."""
        kind = message["type"]
        session = self.session
        if kind == "websocket.send":
            if session is None:
                raise RuntimeError("websocket.send before websocket.accept")
            text = message.get("text")
            data = text if text is not None else message.get("bytes")
            if data is None:
                raise ValueError("websocket.send needs 'text' or 'bytes'")
            try:
                await session.send(data)
            except ConnectionClosed as closed:
                self.client_gone = True
                raise ClientDisconnected(str(closed)) from closed
        elif kind == "websocket.accept":
            await self._accept(message)
        elif kind == "websocket.close":
            if session is not None:
                code = message.get("code") or 1000
                reason = CloseReason.truncated(code, message.get("reason") or "")
                if not session.close_reason.done():
                    # closed meanwhile: the app learns it from its next receive
                    with suppress(ConnectionClosed):
                        session.send_nowait(Frame.close(reason))
            elif not self._writer.started:
                self._writer.respond(Response.text("Forbidden\n", 403, [("Connection", "close")]))
        elif kind == "websocket.http.response.start":
            self._check_not_accepted(kind)
            self._denial.start(message)
        elif kind == "websocket.http.response.body":
            self._check_not_accepted(kind)
            await self._denial.body(message)
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} for a WebSocket")

    def _check_not_accepted(self, kind: str) -> None:
        if self.session is not None:
            raise RuntimeError(f"{kind} after websocket.accept")

    async def _accept(self, message: Message) -> None:
        if self.session is not None or self._writer.started:
            raise RuntimeError("websocket.accept after the handshake was answered")
        request = self._writer.request
        response = self._server.websocket_response(
            request,
            self._key,
            message.get("subprotocol"),
            str_headers(message.get("headers", ())),
            self._adopt,
        )
        await self._writer.upgrade(response)
        if self.session is None:
            raise ClientDisconnected("the connection was lost while accepting the WebSocket")

    def _adopt(self, session: DefaultWebSocketSession) -> None:
        """Called as the 101 goes out: this task runs the session."""
        self.session = session


async def run_websocket(
    app: AsgiCallable, scope: Scope, writer: ResponseWriter, server: Server, key: str
) -> None:
    """Run `app` for one WebSocket handshake and, once accepted, its session."""
    cycle = WebSocketCycle(writer, server, key)
    try:
        await app(scope, cycle.receive, cycle.send)
    except anyio.get_cancelled_exc_class():
        raise
    except Exception:
        session = cycle.session
        gone = cycle.client_gone or writer.disconnected
        if session is None and not gone:
            raise  # the engine answers 500 and logs it
        if session is not None and not gone:
            logger.exception("ASGI WebSocket app failed for %r", writer.request)
            with anyio.CancelScope(shield=True):
                await session.close(INTERNAL_ERROR)
        else:
            logger.debug("the ASGI app stopped after its client went away", exc_info=True)
    else:
        if cycle.session is not None:
            await cycle.session.close()
    finally:
        if cycle.session is not None:
            server.session_ended(cycle.session)
