"""A wsrs server against the clients of websockets and aiohttp, over real sockets.

The peers run on an asyncio loop in a worker thread, so the wsrs server runs on asyncio and trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import websockets
import websockets.asyncio.client

from tests.helpers import AsyncioThread, asyncio_thread, serving, websocket_app
from tests.ws.session.test_close_handshake import Recorder
from wsrs import CloseReason, DefaultWebSocketSession, Server

pytestmark = pytest.mark.anyio

SIZES = [0, 1, 125, 126, 65535, 65536, 1_000_000, 16 * 1024 * 1024]


async def echo(ws: DefaultWebSocketSession) -> None:
    async for message in ws:
        await ws.send(message)


@pytest.fixture
async def echo_server() -> AsyncIterator[Server]:
    async with serving(websocket_app(echo), max_frame_size=32 * 1024 * 1024) as server:
        yield server


@pytest.fixture
def peer() -> Iterator[AsyncioThread]:
    with asyncio_thread() as thread:
        yield thread


async def websockets_round_trips(port: int, messages: list[str | bytes]) -> list[str | bytes]:
    uri = f"ws://127.0.0.1:{port}/ws"
    async with websockets.asyncio.client.connect(uri, max_size=None, compression=None) as ws:
        echoed = []
        for message in messages:
            await ws.send(message)
            echoed.append(await ws.recv())
        return echoed


async def aiohttp_round_trips(port: int, messages: list[str | bytes]) -> list[str | bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"http://127.0.0.1:{port}/ws", max_msg_size=0, autoping=True) as ws,
    ):
        echoed: list[str | bytes] = []
        for message in messages:
            if isinstance(message, str):
                await ws.send_str(message)
            else:
                await ws.send_bytes(message)
            received = await ws.receive()
            echoed.append(received.data)
        return echoed


@pytest.mark.parametrize("client", [websockets_round_trips, aiohttp_round_trips])
async def test_messages_of_every_size_round_trip(
    echo_server: Server, peer: AsyncioThread, client: object
) -> None:
    messages: list[str | bytes] = []
    for size in SIZES:
        messages.append(bytes(range(256)) * (size // 256) + bytes(size % 256))
        messages.append("é" * (size // 2))
    assert callable(client)
    echoed = await peer.call(client(echo_server.port, messages))
    assert echoed == messages


async def test_fragmented_messages_from_websockets_are_reassembled(
    echo_server: Server, peer: AsyncioThread
) -> None:
    async def fragments(port: int) -> str | bytes:
        uri = f"ws://127.0.0.1:{port}/ws"
        async with websockets.asyncio.client.connect(uri, compression=None) as ws:
            await ws.send(["frag", "ment", "ed ✓"])
            return await ws.recv()

    assert await peer.call(fragments(echo_server.port)) == "fragmented ✓"


async def test_close_codes_travel_both_ways_with_websockets(peer: AsyncioThread) -> None:
    recorder = Recorder()

    async def client(port: int) -> tuple[int | None, str | None]:
        uri = f"ws://127.0.0.1:{port}/ws"
        async with websockets.asyncio.client.connect(uri) as ws:
            await ws.close(4321, "client says bye")
            assert ws.close_code is not None
            return ws.close_code, ws.close_reason

    async with serving(websocket_app(recorder)) as server:
        code, reason = await peer.call(client(server.port))
        await recorder.done.wait()
    assert (code, reason) == (4321, "client says bye")
    assert recorder.reason == CloseReason(4321, "client says bye")


async def test_server_close_code_reaches_aiohttp(peer: AsyncioThread) -> None:
    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.close(CloseReason(4002, "server says bye"))

    async def client(port: int) -> tuple[int | None, object]:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"http://127.0.0.1:{port}/ws") as ws,
        ):
            message = await ws.receive()
            return ws.close_code, message.extra

    async with serving(websocket_app(handler)) as server:
        code, reason = await peer.call(client(server.port))
    assert (code, reason) == (4002, "server says bye")


async def test_ping_timeout_against_an_aiohttp_client_that_never_pongs(
    peer: AsyncioThread,
) -> None:
    recorder = Recorder()

    async def silent_client(port: int) -> int | None:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"http://127.0.0.1:{port}/ws", autoping=False, autoclose=False) as ws,
        ):
            while True:
                message = await ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    return ws.close_code if message.data is None else int(message.data)

    app = websocket_app(recorder)
    async with serving(app, ping_interval=0.05, timeout=0.2) as server:
        code = await peer.call(silent_client(server.port))
        await recorder.done.wait()
    assert code == 1011
    assert recorder.reason == CloseReason(1011, "Ping timeout")
