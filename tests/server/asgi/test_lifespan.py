"""The lifespan protocol: startup before listening, state in every scope, shutdown after."""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.server.asgi.asgi_helpers import http_only, reply, serving_asgi
from wsrs import LifespanError
from wsrs.server.asgi.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio


async def test_startup_state_reaches_every_scope_and_shutdown_runs_after_serving() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            assert scope["asgi"]["spec_version"] == "2.5"
            assert await receive() == {"type": "lifespan.startup"}
            scope["state"]["pool"] = "connected"
            events.append("startup")
            await send({"type": "lifespan.startup.complete"})
            assert await receive() == {"type": "lifespan.shutdown"}
            events.append("shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
        scope["state"]["changed"] = True  # a shallow copy: the next request does not see it
        await reply(send, repr(sorted(scope["state"].items())).encode())

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        assert events == ["startup"]
        first = await client.get(f"http://127.0.0.1:{server.port}/")
        second = await client.get(f"http://127.0.0.1:{server.port}/")
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]
    assert first.text == second.text == "[('changed', True), ('pool', 'connected')]"


async def test_a_failed_startup_makes_serve_raise_with_the_apps_message() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})

    with pytest.raises(LifespanError, match="database unreachable"):
        async with serving_asgi(app):
            pytest.fail("the server must not start")


async def test_an_app_without_lifespan_is_served_in_auto_mode() -> None:
    async with serving_asgi(http_only(_hello)) as server, httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/")).text == "hello"


async def test_an_app_without_lifespan_fails_in_on_mode() -> None:
    with pytest.raises(LifespanError, match="no lifespan here"):
        async with serving_asgi(http_only(_hello), lifespan="on"):
            pytest.fail("the server must not start")


async def test_off_mode_never_calls_the_app_for_lifespan() -> None:
    types: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        types.append(scope["type"])
        await _hello(scope, receive, send)

    async with serving_asgi(app, lifespan="off") as server, httpx.AsyncClient() as client:
        await client.get(f"http://127.0.0.1:{server.port}/")
    assert types == ["http"]


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await reply(send, b"hello")


async def test_shutting_down_waits_for_work_the_app_does_after_its_response() -> None:
    finished: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            finished.append("shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
        await reply(send, b"queued")
        await anyio.sleep(0.2)  # a background task
        finished.append("background")

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/")).text == "queued"
    assert finished == ["background", "shutdown"]
