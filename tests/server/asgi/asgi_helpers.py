"""Plumbing for the ASGI tests: an ASGI app served by wsrs, raw HTTP over a socket, recorders."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import pytest

from tests.helpers import read_until
from wsrs import AsgiApp, Server, serve
from wsrs.server.asgi.types import AsgiCallable, Message, Receive, Scope, Send


@asynccontextmanager
async def serving_asgi(app: AsgiCallable, **options: Any) -> AsyncIterator[Server]:
    """`app` served as ASGI on 127.0.0.1 at a free port for the duration of the block."""
    adapter = AsgiApp(
        app,
        root_path=options.pop("root_path", ""),
        lifespan=options.pop("lifespan", "auto"),
    )
    async with serve(adapter, "127.0.0.1", 0, **options) as server:
        yield server


async def read_body(receive: Receive) -> bytes:
    """The whole request body, event by event."""
    pieces = []
    while True:
        message = await receive()
        assert message["type"] == "http.request"
        pieces.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(pieces)


async def reply(send: Send, body: bytes = b"ok", status: int = 200, **start: Any) -> None:
    """A whole response in two events."""
    headers = start.pop("headers", [(b"content-type", b"text/plain")])
    await send({"type": "http.response.start", "status": status, "headers": headers, **start})
    await send({"type": "http.response.body", "body": body})


def http_only(app: AsgiCallable) -> AsgiCallable:
    """`app` for HTTP and WebSocket scopes, refusing the lifespan protocol as Django does."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise ValueError("no lifespan here")
        await app(scope, receive, send)

    return wrapped


async def exchange(port: int, request: bytes, until: bytes | None = None) -> bytes:
    """Send raw `request` bytes; what comes back until `until` arrives, or until the close."""
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(request)
        if until is not None:
            return await read_until(stream, until)
        return await _read_all(stream)


async def _read_all(stream: anyio.abc.ByteStream) -> bytes:
    data = b""
    with anyio.fail_after(10):
        try:
            while True:
                data += await stream.receive()
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return data


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What wsrs logged at ERROR or above."""
    return [r for r in caplog.records if r.name == "wsrs" and r.levelno >= logging.ERROR]


class Recorder:
    """Collects what an app saw, and lets a test wait until it saw enough."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = anyio.Event()

    def add(self, item: Any) -> None:
        self.items.append(item)
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, count: int) -> list[Any]:
        with anyio.fail_after(10):
            while len(self.items) < count:
                await self._changed.wait()
        return self.items


__all__ = [
    "Message",
    "Recorder",
    "errors",
    "exchange",
    "http_only",
    "read_body",
    "reply",
    "serving_asgi",
]
