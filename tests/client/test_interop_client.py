"""The wsrs client against the servers of websockets and aiohttp, over real sockets."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import aiohttp.web
import pytest
import websockets
import websockets.asyncio.server

from tests.helpers import asyncio_thread
from wsrs import CloseReason, ConnectionClosedError, ConnectionClosedOK, HandshakeError, connect

pytestmark = pytest.mark.anyio

SIZES = [0, 1, 125, 126, 65535, 65536, 1_000_000, 16 * 1024 * 1024]


async def websockets_echo(ws: websockets.asyncio.server.ServerConnection) -> None:
    if ws.request is not None and ws.request.path == "/close":
        await ws.close(4003, "peer says bye")
        return
    async for message in ws:
        await ws.send(message)


async def start_websockets() -> tuple[int, websockets.asyncio.server.Server]:
    server = await websockets.asyncio.server.serve(
        websockets_echo, "127.0.0.1", 0, max_size=None, compression=None
    )
    port: int = server.sockets[0].getsockname()[1]
    return port, server


async def aiohttp_handler(request: aiohttp.web.Request) -> aiohttp.web.WebSocketResponse:
    silent = request.path == "/silent"
    ws = aiohttp.web.WebSocketResponse(max_msg_size=0, autoping=not silent, compress=False)
    await ws.prepare(request)
    if request.path == "/close":
        await ws.close(code=4004, message=b"aiohttp says bye")
        return ws
    async for message in ws:
        if silent:
            continue
        if message.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws


async def start_aiohttp() -> tuple[int, aiohttp.web.AppRunner]:
    app = aiohttp.web.Application()
    app.router.add_get("/{tail:.*}", aiohttp_handler)
    runner = aiohttp.web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = runner.addresses[0][1]
    return port, runner


@pytest.fixture(params=["websockets", "aiohttp"])
def peer_server(request: pytest.FixtureRequest) -> Iterator[int]:
    with asyncio_thread() as thread:
        if request.param == "websockets":
            port, ws_server = thread.run(start_websockets())
            yield port
            ws_server.close()
            thread.run(ws_server.wait_closed())
        else:
            port, runner = thread.run(start_aiohttp())
            yield port
            thread.run(runner.cleanup())


async def test_messages_of_every_size_round_trip(peer_server: int) -> None:
    async with connect(f"ws://127.0.0.1:{peer_server}/echo", max_frame_size=1 << 25) as ws:
        for size in SIZES:
            binary = bytes(range(256)) * (size // 256) + bytes(size % 256)
            await ws.send(binary)
            assert await ws.receive() == binary
            text = "ü" * (size // 2)
            await ws.send(text)
            assert await ws.receive() == text
    assert await ws.close_reason == CloseReason(1000, "")


async def test_peer_close_code_becomes_close_reason(peer_server: int) -> None:
    async with connect(f"ws://127.0.0.1:{peer_server}/close") as ws:
        with pytest.raises((ConnectionClosedOK, ConnectionClosedError)) as raised:
            await ws.receive()
    reason = await ws.close_reason
    assert reason.code in (4003, 4004)
    assert reason.message in ("peer says bye", "aiohttp says bye")
    assert raised.value.received == reason


async def test_ping_timeout_against_a_server_that_never_pongs() -> None:
    with asyncio_thread() as thread:
        port, runner = thread.run(start_aiohttp())
        try:
            async with connect(
                f"ws://127.0.0.1:{port}/silent", ping_interval=0.05, timeout=0.2
            ) as ws:
                with pytest.raises(ConnectionClosedError) as raised:
                    await ws.receive()
            assert raised.value.code == 1011
            assert await ws.close_reason == CloseReason(1011, "Ping timeout")
        finally:
            thread.run(runner.cleanup())


async def test_refused_handshake_raises_with_status_and_body() -> None:
    with asyncio_thread() as thread:

        async def refusing() -> tuple[int, aiohttp.web.AppRunner]:
            app = aiohttp.web.Application()

            async def deny(request: aiohttp.web.Request) -> aiohttp.web.Response:
                return aiohttp.web.Response(status=403, text="go away")

            app.router.add_get("/", deny)
            runner = aiohttp.web.AppRunner(app, handle_signals=False)
            await runner.setup()
            site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return runner.addresses[0][1], runner

        port, runner = thread.run(refusing())
        try:
            with pytest.raises(HandshakeError) as raised:
                async with connect(f"ws://127.0.0.1:{port}/"):
                    pass
            assert raised.value.status == 403
            assert raised.value.body.startswith(b"go away")
        finally:
            thread.run(runner.cleanup())
