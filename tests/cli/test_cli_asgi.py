"""`wsrs serve` with ASGI apps: detected or named with --interface, a factory, --root-path,
proxy headers in the scope, lifespan, WebSocket sessions closed on SIGTERM, workers."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.cli.process import run_to_exit, wsrs_serve
from wsrs import ConnectionClosed, connect

pytestmark = pytest.mark.anyio

STARLETTE = "tests.cli.sample_asgi:app"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("backend", ["asyncio", "uvloop", "trio"])
async def test_a_starlette_app_is_detected_and_served_with_its_lifespan(backend: str) -> None:
    async with wsrs_serve("--port", "0", "--backend", backend, STARLETTE) as served:
        async with httpx.AsyncClient() as http:
            scope = (await http.get(f"{served.url}/scope")).json()
        async with connect(f"ws://127.0.0.1:{served.port}/ws") as ws:
            await ws.send("hi")
            assert await ws.receive() == "hi"
        assert await served.stop() == 0
    assert scope["state"] == scope["pid"]  # the lifespan ran in the serving process
    assert scope["scheme"] == "http"
    assert scope["client"][0] == "127.0.0.1"


@pytest.mark.parametrize("args", [["--interface", "asgi"], ["--factory"]])
async def test_interface_asgi_and_factory(args: list[str]) -> None:
    spec = (
        "tests.cli.sample_asgi:create_app" if "--factory" in args else "tests.cli.sample_asgi:raw"
    )
    async with wsrs_serve("--port", "0", *args, spec) as served, httpx.AsyncClient() as http:
        response = await http.get(f"{served.url}/scope")
    assert response.status_code == 200


async def test_an_asgi_app_is_refused_as_a_wsrs_app() -> None:
    status, _, stderr = await run_to_exit("--port", "0", "--interface", "wsrs", STARLETTE)
    assert status == 1
    assert "is not a wsrs.App (--interface wsrs): Starlette" in stderr


async def test_root_path_and_proxy_headers_reach_the_scope() -> None:
    args = ("--port", "0", "--root-path", "/api", "--proxy-headers", STARLETTE)
    headers = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}
    async with wsrs_serve(*args) as served, httpx.AsyncClient() as http:
        # as with uvicorn, the proxy stripped the prefix; the scope's path has it again
        scope = (await http.get(f"{served.url}/scope", headers=headers)).json()
    assert scope["root_path"] == "/api"
    assert scope["path"] == "/api/scope"
    assert scope["client"] == ["203.0.113.5", 0]
    assert scope["scheme"] == "https"


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_a_failing_lifespan_startup_exits_1_with_the_apps_message(workers: str) -> None:
    status, _, stderr = await run_to_exit(
        "--port", "0", "--workers", workers, "tests.cli.sample_asgi:failing"
    )
    assert status == 1
    assert "the database is down" in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sigterm_closes_asgi_websockets_with_1001_and_exits_0(workers: str) -> None:
    async with wsrs_serve("--port", "0", "--workers", workers, STARLETTE) as served:
        async with connect(f"ws://127.0.0.1:{served.port}/ws") as ws:
            await ws.send("pid")
            assert int(await ws.receive())
            served.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed):
                await ws.receive()
            assert (await ws.close_reason).code == 1001
        assert await served.process.wait() == 0
