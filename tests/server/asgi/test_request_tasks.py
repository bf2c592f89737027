"""Each request's app runs as one task with a context of its own, however the server starts it.

On asyncio the server steps an app inline in the read callback until it first waits, then its
runner task goes on with it: what the app can observe must be what a task of its own would give.
"""

from __future__ import annotations

import contextvars
import json

import anyio
import httpx
import pytest

from tests.server.asgi.asgi_helpers import http_only, read_body, reply, serving_asgi
from wsrs.server.asgi.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio

REQUEST_PATH: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "REQUEST_PATH", default=None
)


@http_only
async def observing_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Sets a context variable, waits (or not) inside a cancel scope, and reports what it saw."""
    inherited = REQUEST_PATH.get()
    REQUEST_PATH.set(scope["path"])
    task = anyio.get_current_task().id
    await read_body(receive)
    waits = scope["path"].startswith("/wait")
    if waits:
        with anyio.fail_after(10):  # entered before the first real wait, left after it
            await anyio.to_thread.run_sync(lambda: None)  # a future another thread completes
            await anyio.lowlevel.checkpoint()  # and a bare yield to the loop
    report = {
        "inherited": inherited,
        "same_task": anyio.get_current_task().id == task,
        "own": REQUEST_PATH.get(),
    }
    await reply(send, json.dumps(report).encode())


@pytest.mark.parametrize("first", ["/nowait", "/wait"])
async def test_an_app_keeps_its_task_and_its_context_is_its_own(first: str) -> None:
    async with serving_asgi(observing_app) as server, httpx.AsyncClient() as client:
        base = f"http://127.0.0.1:{server.port}"
        reports = []
        for path in (first, "/wait/2", "/nowait/3", "/wait/4"):  # one keep-alive connection
            response = await client.post(base + path, content=b"x" * 100)
            assert response.status_code == 200
            reports.append(response.json())
    for path, report in zip((first, "/wait/2", "/nowait/3", "/wait/4"), reports, strict=True):
        assert report == {"inherited": None, "same_task": True, "own": path}


async def test_pipelined_apps_that_wait_are_answered_in_order() -> None:
    released = anyio.Event()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            await released.wait()  # the first waits, so the second cannot share its task
        else:
            released.set()
        await reply(send, scope["path"].encode())

    request = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
    async with (
        serving_asgi(app) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(request)
        data = b""
        with anyio.fail_after(10):
            while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"/fast"):
                data += await stream.receive()
    assert data.index(b"\r\n\r\n/slow") < data.index(b"\r\n\r\n/fast")


async def test_an_app_that_cancels_its_own_scope_on_the_first_step_goes_on() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        with anyio.CancelScope() as scope_:
            scope_.cancel()
            await anyio.sleep(10)  # cancelled at once: the scope swallows it
        assert scope_.cancelled_caught
        await anyio.lowlevel.checkpoint()
        await reply(send)

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        for _ in range(2):
            response = await client.get(f"http://127.0.0.1:{server.port}/")
            assert response.text == "ok"


async def test_a_websocket_after_a_request_on_the_same_connection_keeps_its_app_running() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await reply(send)
            return
        assert await receive() == {"type": "websocket.connect"}
        await send({"type": "websocket.accept"})  # stepped inline as the runner's task
        message = await receive()  # the first real wait, after the connection was handed over
        await send({"type": "websocket.send", "text": message["text"]})
        await receive()

    upgrade = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    mask = b"\x01\x02\x03\x04"
    frame = b"\x81\x82" + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(b"hi"))
    async with (
        serving_asgi(app) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        with anyio.fail_after(10):
            for request, until in (
                (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"ok"),
                (upgrade, b"\r\n\r\n"),
            ):
                await stream.send(request)
                data = b""
                while not data.endswith(until):
                    data += await stream.receive()
            assert data.startswith(b"HTTP/1.1 101 ")
            await stream.send(frame)
            echo = b""
            while len(echo) < 4:
                echo += await stream.receive()
    assert echo == b"\x81\x02hi"
