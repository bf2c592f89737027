"""Writing one response piece by piece, in its turn: `ResponseWriter`, and `Responder`.

A plain handler returns a `Response`. A handler that decides its response while it runs (an ASGI
application sends the head, body pieces, interim responses and trailers as separate events)
returns a `Responder` instead: the connection then runs `responder.run(writer)` in one task, the
handler's own, and the `ResponseWriter` puts what it is given on the wire in request order.

- `respond` hands over a whole response at once and never waits: it leaves as soon as the earlier
  responses have, so pipelined requests are still answered without a task switch each.
- `start`, `write` and `end` stream: `start` waits for the exchange's turn, `write` waits while
  the socket's buffer is full (back-pressure), `end` may add chunked trailer fields.
- `interim` sends a 1xx (103 Early Hints) before the final head; HTTP/1.0 clients get none.
- `upgrade` sends a 101 and hands the transport over, as `Response.upgrade` does.
- Once the client is gone every call raises `ClientDisconnected` (an `OSError`).

When `run` returns or raises, what it left undone is settled: no response at all becomes a 500,
a streamed response that did not end drops the connection (its framing cannot be completed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from wsrs._wsrs import encode_chunk, encode_last_chunk, encode_response_head
from wsrs.exceptions import ClientDisconnected, LocalProtocolError
from wsrs.http.messages import HeaderItems, Request, Response

if TYPE_CHECKING:
    from wsrs.http._connection import HttpConnection, _Exchange

__all__ = ["Responder", "ResponseWriter"]

NO_BODY_STATUSES = frozenset({204, 304})

_NEW, _STREAMING, _DONE = 0, 1, 2


class Responder:
    """A handler's result that writes its own response through a `ResponseWriter`."""

    __slots__ = ("run",)

    def __init__(self, run: Callable[[ResponseWriter], Awaitable[None]]) -> None:
        self.run = run
        """Called once with the exchange's writer, in the handler's own task."""


class ResponseWriter:
    """The response to one request, written as its handler produces it (see the module doc)."""

    __slots__ = (
        "_chunked",
        "_connection",
        "_declared",
        "_exchange",
        "_sent",
        "_skip_body",
        "_state",
        "request",
    )

    def __init__(self, connection: HttpConnection, exchange: _Exchange) -> None:
        self._connection = connection
        self._exchange = exchange
        request = exchange.request
        assert request is not None
        self.request: Request = request
        """The request being answered."""
        self._state = _NEW
        self._chunked = False
        self._declared: int | None = None
        self._sent = 0
        self._skip_body = False

    @property
    def started(self) -> bool:
        """True once a final response head was given (by `respond`, `start` or `upgrade`)."""
        return self._state != _NEW

    @property
    def done(self) -> bool:
        """True once the whole response was given."""
        return self._state == _DONE

    @property
    def disconnected(self) -> bool:
        """True once the client has gone."""
        return self._connection._lost

    def _check(self, state: int, what: str) -> None:
        if self._connection._lost:
            raise ClientDisconnected("the client has disconnected")
        if self._state != state:
            raise LocalProtocolError(f"{what}: the response is already {_NAMES[self._state]}")

    async def _wait_turn(self) -> None:
        connection, exchange = self._connection, self._exchange
        exchanges = connection._exchanges
        while exchanges and exchanges[0] is not exchange and not connection._lost:
            await exchange.wait_turn()
        if connection._lost or not exchanges or exchanges[0] is not exchange:
            raise ClientDisconnected("the connection closed before this response's turn")

    def respond(self, response: Response) -> None:
        """The whole response, with a `bytes` body: it goes out in its turn, without waiting."""
        if self._state != _NEW or self._connection._lost:
            self._check(_NEW, "respond")
        if type(response.body) is not bytes or response.upgrade is not None:
            raise TypeError("respond() takes a response with a bytes body; stream others")
        self._state = _DONE
        exchange = self._exchange
        if exchange.turn is not None:
            exchange.turn.wake()
        self._connection._answer(exchange, response)

    async def interim(self, status: int, headers: HeaderItems) -> None:
        """An informational (1xx) response before the final one; skipped for HTTP/1.0."""
        if not 100 <= status < 200 or status == 101:
            raise ValueError(f"an interim response has a 1xx status other than 101, not {status}")
        self._check(_NEW, "interim")
        if self.request.version == "1.0":
            return  # RFC 9110 §15.2: no 1xx to an HTTP/1.0 client
        await self._wait_turn()
        connection = self._connection
        connection._flush()
        connection._write(encode_response_head(status, list(headers)))

    async def start(self, response: Response) -> None:
        """Send the head of a streamed response (its body is ignored); waits for its turn.

        The body then goes out with the declared ``Content-Length``, else chunked on HTTP/1.1
        and until close on HTTP/1.0.
        """
        self._check(_NEW, "start")
        await self._wait_turn()
        self._start_now(response)

    def _start_now(self, response: Response) -> None:
        connection, exchange = self._connection, self._exchange
        request = exchange.request
        headers, declared = connection._headers_for(exchange, response)
        status = response.status
        bodiless = status in NO_BODY_STATUSES or status < 200
        http10 = request is not None and request.version == "1.0"
        chunked = declared is None and not bodiless and not http10
        if declared is None and not chunked and not bodiless:
            exchange.keep_alive = False
            headers, _ = connection._headers_for(exchange, response)
        if declared is not None and not bodiless:
            headers = [*headers, ("Content-Length", str(declared))]
        elif chunked:
            headers = [*headers, ("Transfer-Encoding", "chunked")]
        head = encode_response_head(status, headers)
        self._state = _STREAMING
        self._chunked = chunked
        self._declared = None if bodiless else declared
        self._skip_body = bodiless or (request is not None and request.method == "HEAD")
        connection._flush()
        connection._write(head)
        exchange.head_sent = True
        if connection._on_response is not None:
            connection._on_response(request, status)

    @property
    def skips_body(self) -> bool:
        """True when the started response carries no body (HEAD, 1xx, 204, 304): writes drop."""
        return self._skip_body

    async def write(self, data: bytes) -> None:
        """Send the next piece of the body; waits while the socket's write buffer is full."""
        self._check(_STREAMING, "write")
        if self._skip_body or not data:
            return
        self._sent += len(data)
        declared = self._declared
        if declared is not None and self._sent > declared:
            raise ValueError(f"the body is longer than its Content-Length {declared}")
        connection = self._connection
        connection._write(encode_chunk(data) if self._chunked else data)
        while connection._writing_paused and not connection._lost:
            await connection._drained.park()
        if connection._lost:
            raise ClientDisconnected("the client disconnected while the body was being sent")

    async def end(self, trailers: HeaderItems | None = None) -> None:
        """End the body; `trailers` go out as chunked trailer fields (dropped when not chunked)."""
        self._check(_STREAMING, "end")
        declared = self._declared
        if declared is not None and not self._skip_body and self._sent != declared:
            raise ValueError(f"the body ended at {self._sent} of its Content-Length {declared}")
        connection, exchange = self._connection, self._exchange
        if self._chunked and not self._skip_body:
            last = encode_last_chunk(list(trailers or ()))  # may refuse a bad field: not ended
            connection._write(last)
        self._state = _DONE
        exchange.wake()
        connection._finish_streamed(exchange)

    async def upgrade(self, response: Response) -> None:
        """Send a 101 response with `Response.upgrade` and hand the connection over."""
        self._check(_NEW, "upgrade")
        if response.upgrade is None or response.status != 101:
            raise ValueError("upgrade() takes a 101 response with an upgrade callback")
        await self._wait_turn()
        self._state = _DONE
        self._connection._upgrade(self._exchange, response)

    async def wait_disconnected(self) -> None:
        """Return once the client has gone (or closed its side) or this response is complete.

        A client that half-closes may still read the response, which can still be written.
        """
        connection, exchange = self._connection, self._exchange
        while not (connection._lost or connection._eof) and self._state != _DONE:
            await exchange.wait_turn()

    def _settle(self) -> str | None:
        """After the handler: a 500 when it gave no response; drop a streamed one left open.

        What was missing, if anything: "a response", or "the end of its body".
        """
        connection = self._connection
        if connection._lost or self._state == _DONE:
            return None
        if self._state == _NEW:
            self._state = _DONE
            self._exchange.wake()
            connection._answer(self._exchange, Response.text("Internal Server Error\n", 500))
            return "a response"
        self._state = _DONE
        connection.abort()
        return "the end of its body"


_NAMES = {_NEW: "not started", _STREAMING: "started", _DONE: "complete"}
