"""The HTTP/1.1 connection pipeline: requests parsed ahead, handled concurrently, answered in order.

Ktor's `startConnectionPipeline` contract (ktor-behaviour.md §10), corrected by RFC 9112:

- Each socket read goes to the Rust `RequestParser` once; every request it completes gets its
  handler started at once, so pipelined requests are handled concurrently. At most
  `max_pipelined` requests may wait for their response: reading pauses there.
- Responses leave strictly in request order. A handler that returns a `bytes` body needs no further
  task: its response is written as soon as the earlier ones are. A streamed or upgrading response
  waits for its turn in its handler's task.
- A request body is a stream the handler reads as it arrives; while too much of it waits unread,
  reading pauses (back-pressure). ``Expect: 100-continue`` is answered when the handler first reads.
- Keep-alive follows the request (HTTP/1.0 needs ``keep-alive``, HTTP/1.1 ends on ``close``) and the
  response (``Connection: close``).
- The idle timeout counts only the time spent waiting for the next request head: before the first
  one and after the last response. It never interrupts a handler.
- A malformed request gets the status the parser names (400, 413, 414, 431, 501, 505) after the
  earlier responses, without echoing request content. Every close is graceful: the last response
  goes out, then FIN, then what the client still sends is read and dropped for a moment.
- Nothing after a request that ends the connection is handled (RFC 9112 §9.6).
- Reading pauses while too much waits: requests for their answer (`max_pipelined`), body bytes
  for the handler, or responses for the socket. The engine is `_connection.HttpConnection`.
- An upgrade response (101 with `Response.upgrade`) hands the transport and the bytes already read
  past the request to the new protocol.
"""

from __future__ import annotations

import asyncio

import anyio
import anyio.abc
from anyio.streams.stapled import StapledByteStream

from wsrs._loop.sync import Deferred, spawner
from wsrs._loop.timers import TimeoutQueue, Timers
from wsrs._loop.transport import StreamTransport
from wsrs._wsrs import HttpLimits
from wsrs.http._connection import DEFAULT_MAX_PIPELINED, HttpConnection
from wsrs.http.messages import HttpHandler

__all__ = ["DEFAULT_MAX_PIPELINED", "PipelineJob", "start_connection_pipeline"]


class PipelineJob:
    """A running pipeline started by `start_connection_pipeline`: wait for it or cancel it."""

    def __init__(self) -> None:
        self._scope = anyio.CancelScope()
        self.done = Deferred[None]()
        """Resolves when the connection has ended."""

    def cancel(self) -> None:
        """Stop the pipeline and its handlers."""
        self._scope.cancel()

    async def wait(self) -> None:
        """Wait until the connection has ended."""
        await self.done


def start_connection_pipeline(
    task_group: anyio.abc.TaskGroup,
    input: anyio.abc.ByteReceiveStream,
    output: anyio.abc.ByteSendStream,
    timeout: TimeoutQueue | None,
    handler: HttpHandler,
    *,
    timers: Timers,
    limits: HttpLimits | None = None,
    max_pipelined: int = DEFAULT_MAX_PIPELINED,
) -> PipelineJob:
    """Serve HTTP/1.1 requests read from `input` with `handler`, writing responses to `output`.

    Handlers may run concurrently (pipelining); responses are written in request order. `timeout`
    is the idle timeout between requests. Runs in `task_group` until the connection ends.
    """
    job = PipelineJob()

    async def run() -> None:
        try:
            with job._scope:
                async with spawner() as spawn:
                    stream = StapledByteStream(output, input)
                    transport = StreamTransport(stream, asyncio.Protocol(), spawn)
                    connection = HttpConnection(
                        transport,
                        handler,
                        spawn,
                        timers=timers,
                        limits=limits,
                        idle_timeout=timeout,
                        max_pipelined=max_pipelined,
                    )
                    transport.set_protocol(connection)
                    await transport.run()
        finally:
            job.done.set(None)

    task_group.start_soon(run)
    return job
