"""ASGI apps against clients that misbehave, and a server that shuts down under them."""

from __future__ import annotations

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.server.asgi.asgi_helpers import Recorder, errors, http_only, serving_asgi
from wsrs.server.asgi.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


UPLOAD_HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"


async def test_a_client_leaving_mid_body_is_a_disconnect(caplog: pytest.LogCaptureFixture) -> None:
    seen = Recorder()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message: Message = await receive()
            seen.add(message["type"])
            if message["type"] == "http.disconnect":
                return

    async with serving_asgi(app) as server:
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(UPLOAD_HEAD + b"x" * 1000)
            await seen.wait_for(1)
        items = await seen.wait_for(2)
    assert items[0] == "http.request"
    assert items[-1] == "http.disconnect"
    assert errors(caplog) == []


async def test_a_starlette_upload_abandoned_midway_is_not_a_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    finished = anyio.Event()

    async def upload(request: Request) -> Response:
        try:
            return Response(str(len(await request.body())))
        finally:
            finished.set()

    app = Starlette(routes=[Route("/", upload, methods=["POST"])])
    async with serving_asgi(app) as server:
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(UPLOAD_HEAD + b"x" * 1000)
        with anyio.fail_after(10):
            await finished.wait()
    assert errors(caplog) == []


async def test_a_client_that_does_not_read_holds_the_app_back() -> None:
    """Back-pressure on the response: `send` waits while the client does not read."""
    sent = Recorder()
    piece = b"y" * (1024 * 1024)
    total = 64

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(total):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            sent.add(1)
        await send({"type": "http.response.body", "body": b""})

    async with (
        serving_asgi(app) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await sent.wait_for(1)
        await anyio.sleep(0.5)
        assert len(sent.items) < total // 2  # the socket's buffers are full: send waits
        received = 0
        with anyio.fail_after(30):
            try:
                while True:
                    received += len(await stream.receive())
            except anyio.EndOfStream:
                pass
    assert len(sent.items) == total
    assert received > total * len(piece)


async def test_shutting_down_cancels_an_app_that_never_answers() -> None:
    cancelled = anyio.Event()
    started = anyio.Event()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    async with (
        serving_asgi(app, shutdown_timeout=0.2) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with anyio.fail_after(10):
            await started.wait()
            await server.shutdown()
            await cancelled.wait()
