"""The command line: `python -m wsrs serve` (the demo) and `python -m wsrs client`, as processes."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import httpx
import pytest

from wsrs import connect

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def demo_process(backend: str, *options: str) -> AsyncIterator[tuple[anyio.abc.Process, int]]:
    """`python -m wsrs serve --port 0` on `backend`; yields it and the port it printed."""
    command = [sys.executable, "-m", "wsrs", "serve", "--port", "0", "--backend", backend]
    command.extend(options)
    async with await anyio.open_process(command) as process:
        assert process.stdout is not None
        banner = b""
        with anyio.fail_after(30):
            while b"\n" not in banner:
                banner += await process.stdout.receive()
        address = banner.split(b"http://", 1)[1].split(b"/", 1)[0]
        yield process, int(address.rsplit(b":", 1)[1])


@asynccontextmanager
async def demo_server(backend: str, *options: str) -> AsyncIterator[int]:
    """The demo on `backend`, stopped with SIGINT afterwards, which must exit with status 0."""
    async with demo_process(backend, *options) as (process, port):
        try:
            yield port
        finally:
            process.send_signal(signal.SIGINT)
            with anyio.fail_after(30):
                assert await process.wait() == 0


@pytest.mark.parametrize("backend", ["asyncio", "uvloop", "trio"])
async def test_demo_server_serves_its_page_assets_and_endpoints(backend: str) -> None:
    async with demo_server(backend) as port:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{base}/")
            script = await http.get(f"{base}/static/app.js")
            style = await http.get(f"{base}/static/style.css")
            hello = await http.get(f"{base}/hello")
            echoed = await http.post(f"{base}/echo-body", content=b"body \x00\xff" * 10_000)
            missing = await http.get(f"{base}/nowhere")
        async with connect(f"ws://127.0.0.1:{port}/echo") as ws:
            assert ws.compression is not None, "the demo negotiates permessage-deflate"
            await ws.send("text stays text")
            assert await ws.receive() == "text stays text"
            await ws.send(b"\x01\x02")
            assert await ws.receive() == b"\x01\x02"
    assert page.status_code == 200
    assert '<script src="/static/app.js">' in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "new WebSocket" in script.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert "#log" in style.text
    assert style.headers["content-type"].startswith("text/css")
    assert (hello.status_code, hello.text) == (200, "Hello, World!")
    assert echoed.content == b"body \x00\xff" * 10_000
    assert missing.status_code == 404


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
async def test_no_compression_declines_permessage_deflate(backend: str) -> None:
    async with (
        demo_server(backend, "--no-compression") as port,
        connect(f"ws://127.0.0.1:{port}/echo") as ws,
    ):
        assert ws.compression is None
        await ws.send("x" * 1000)
        assert await ws.receive() == "x" * 1000


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
async def test_a_signal_closes_open_sessions_with_1001_and_exits_0(
    backend: str, stop: signal.Signals
) -> None:
    async with demo_process(backend) as (process, port):
        async with connect(f"ws://127.0.0.1:{port}/echo") as ws, httpx.AsyncClient() as http:
            assert (await http.get(f"http://127.0.0.1:{port}/hello")).status_code == 200
            process.send_signal(stop)
            with anyio.fail_after(30):
                reason = await ws.close_reason
        with anyio.fail_after(30):
            assert await process.wait() == 0
    assert reason is not None
    assert reason.code == 1001


async def test_interactive_client_sends_lines_and_prints_messages() -> None:
    async with demo_server("asyncio") as port:
        command = [sys.executable, "-m", "wsrs", "client", f"ws://127.0.0.1:{port}/echo"]
        async with await anyio.open_process(command) as process:
            assert process.stdin is not None
            assert process.stdout is not None
            await process.stdin.send("héllo\nsecond line\n".encode())
            output = b""
            with anyio.fail_after(30):
                while b"< second line\n" not in output:
                    output += await process.stdout.receive()
            await process.stdin.aclose()
            with anyio.fail_after(30):
                output += b"".join([chunk async for chunk in process.stdout])
                assert await process.wait() == 0
    text = output.decode()
    assert text.startswith(f"Connected to ws://127.0.0.1:{port}/echo.")
    assert "< héllo\n" in text
    assert "< second line\n" in text
