"""The HTTP cycle: one request's `receive` and `send`, over the engine's `ResponseWriter`.

`receive` hands the body over as it arrives (``more_body`` while more may come); reading waits for
the client and the engine stops reading the socket while too much waits unread, so a slow app
throttles a fast uploader. Once the body is read, `receive` waits until the client goes away or
the response is complete, then returns ``http.disconnect``. A body the client breaks (bad
chunked framing) or abandons is an ``http.disconnect`` too; the client then gets its 400 if the app
did not answer. `send` after the client left raises `ClientDisconnected`, an `OSError`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import anyio

from wsrs.exceptions import ClientDisconnected, ConnectionClosed, RemoteProtocolError
from wsrs.http._writer import ResponseWriter
from wsrs.http.messages import Response
from wsrs.server.asgi.response import AsgiResponse
from wsrs.server.asgi.types import AsgiCallable, Message, Scope

__all__ = ["HttpCycle"]

logger = logging.getLogger("wsrs")

MAX_PIECE = 1024 * 1024
"""The most body bytes one ``http.request`` event carries."""


class HttpCycle:
    """The `receive` and `send` of one request, and `run`, which calls the app with them."""

    __slots__ = ("_body", "_body_done", "_response", "_writer", "client_fault", "client_gone")

    def __init__(self, writer: ResponseWriter) -> None:
        self._writer = writer
        self._body = writer.request.body
        self._response = AsgiResponse(writer)
        self._body_done = False
        self.client_gone = False
        """The app was told the client went away (by ``http.disconnect`` or an `OSError`)."""
        self.client_fault: RemoteProtocolError | None = None
        """What broke the request body, when the client sent a malformed one."""

    async def run(self, app: AsgiCallable, scope: Scope) -> None:
        """Run `app` for this request; the engine settles a missing or unfinished response."""
        writer = self._writer
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            if not (self.client_gone or writer.disconnected):
                raise
            # The app failed because its client went away (Starlette raises ClientDisconnect):
            # the client's doing, not a server error.
            logger.debug("the ASGI app stopped after its client went away", exc_info=True)
        fault = self.client_fault
        if fault is not None and not writer.started and not writer.disconnected:
            status = fault.status_hint
            writer.respond(Response.text(f"{status} {HTTPStatus(status).phrase}\n", status))

    async def receive(self) -> Message:
        """The next ``http.request`` piece, or ``http.disconnect``."""
        if self._body_done:
            await self._writer.wait_disconnected()
            self.client_gone = not self._writer.done
            return {"type": "http.disconnect"}
        body = self._body
        piece = body.receive_nowait(MAX_PIECE)  # what already arrived needs no wait
        if piece is None:
            if body.exhausted:
                self._body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            try:
                piece = await body.receive(MAX_PIECE)
            except RemoteProtocolError as error:
                self.client_fault = error
                return self._disconnect()
            except ConnectionClosed:
                return self._disconnect()
            except anyio.EndOfStream:  # the body ended with the previous piece
                piece = b""
        more = not body.exhausted
        self._body_done = not more
        return {"type": "http.request", "body": piece, "more_body": more}

    def _disconnect(self) -> Message:
        self._body_done = True
        self.client_gone = True
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """Put one response event on the wire (see `AsgiResponse`)."""
        kind = message["type"]
        response = self._response
        try:
            if kind == "http.response.body":
                await response.body(message)
            elif kind == "http.response.start":
                response.start(message)
            elif kind == "http.response.trailers":
                await response.trailers(message)
            elif kind == "http.response.pathsend":
                await response.pathsend(message)
            elif kind == "http.response.early_hint":
                await response.early_hint(message)
            else:
                raise RuntimeError(f"unexpected ASGI message {kind!r} for an HTTP request")
        except ClientDisconnected:
            self.client_gone = True
            raise
