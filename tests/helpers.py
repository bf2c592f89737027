"""Shared test plumbing: a wsrs server on a free port, and asyncio peers run in their own thread.

Peers such as aiohttp only run on asyncio; running them on an event loop in a worker thread lets
the wsrs side of a test run on asyncio and on trio alike, over real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import anyio
import anyio.abc

from wsrs import App, DefaultWebSocketSession, Server, serve

T = TypeVar("T")


@asynccontextmanager
async def serving(app: App, **options: Any) -> AsyncIterator[Server]:
    """`app` served on 127.0.0.1 at a free port for the duration of the block."""
    async with serve(app, "127.0.0.1", 0, **options) as server:
        yield server


@asynccontextmanager
async def tcp_pair() -> AsyncIterator[tuple[anyio.abc.SocketStream, anyio.abc.SocketStream]]:
    """Two ends of one real TCP connection on 127.0.0.1."""
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        client = await anyio.connect_tcp("127.0.0.1", port)
        server = await listener.listeners[0].accept()  # type: ignore[attr-defined]
        async with client, server:
            yield client, server


def websocket_app(
    handler: Callable[[DefaultWebSocketSession], Awaitable[None]], path: str = "/ws"
) -> App:
    """An app with one WebSocket route."""
    app = App()
    app.websocket(path)(handler)
    return app


async def read_until_closed(stream: anyio.abc.ByteReceiveStream) -> bytes:
    """Everything the peer sends until it closes the connection."""
    data = b""
    try:
        while True:
            data += await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        return data


async def read_until(stream: anyio.abc.ByteReceiveStream, marker: bytes) -> bytes:
    """What the peer sends until `marker` has arrived."""
    data = b""
    while marker not in data:
        data += await stream.receive()
    return data


class AsyncioThread:
    """An asyncio event loop running in a daemon thread, for peers that need asyncio."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run `coroutine` on the thread's loop and return its result (blocking)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run `coroutine` on the thread's loop without blocking the caller's event loop."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return await anyio.to_thread.run_sync(future.result, timeout)

    def stop(self) -> None:
        """Stop the loop and the thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@contextmanager
def asyncio_thread() -> Iterator[AsyncioThread]:
    """An `AsyncioThread` for the duration of the block."""
    thread = AsyncioThread()
    try:
        yield thread
    finally:
        thread.stop()
