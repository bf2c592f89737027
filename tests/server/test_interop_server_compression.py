"""A compressing wsrs server against the compressing clients of websockets and aiohttp.

Each combination of window (9 or 15 bits) and context takeover (kept or reset) carries messages
from 0 B to 16 MiB, text and binary, both ways compressed, and from websockets a fragmented one
(aiohttp cannot send fragments).
"""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest
import websockets
import websockets.asyncio.client
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
)
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate as WebsocketsDeflate,
)

from tests.helpers import AsyncioThread, asyncio_thread, serving, websocket_app
from wsrs import DefaultWebSocketSession, Deflate, PerMessageDeflate

pytestmark = pytest.mark.anyio

SIZES = [0, 1, 125, 126, 65535, 65536, 1_000_000, 16 * 1024 * 1024]
MESSAGES: list[str | bytes] = [
    m
    for size in SIZES
    for m in (bytes(range(256)) * (size // 256) + bytes(size % 256), "é" * (size // 2))
]
SETTINGS = [
    pytest.param(15, False, id="window-15-takeover"),
    pytest.param(15, True, id="window-15-reset"),
    pytest.param(9, False, id="window-9-takeover"),
    pytest.param(9, True, id="window-9-reset"),
]


@pytest.fixture
def peer() -> Iterator[AsyncioThread]:
    with asyncio_thread() as thread:
        yield thread


class Echo:
    """An echo handler that records what each session agreed."""

    def __init__(self) -> None:
        self.agreed: list[PerMessageDeflate | None] = []

    async def __call__(self, ws: DefaultWebSocketSession) -> None:
        self.agreed.append(ws.compression)
        async for message in ws:
            await ws.send(message)


def server_deflate(bits: int, reset: bool) -> Deflate:
    return Deflate(
        server_max_window_bits=bits,
        client_max_window_bits=bits,
        server_no_context_takeover=reset,
        client_no_context_takeover=reset,
    )


async def websockets_client(port: int, bits: int, reset: bool) -> tuple[list[object], str]:
    factory = ClientPerMessageDeflateFactory(
        server_max_window_bits=bits,
        client_max_window_bits=bits,
        server_no_context_takeover=reset,
        client_no_context_takeover=reset,
    )
    uri = f"ws://127.0.0.1:{port}/ws"
    async with websockets.asyncio.client.connect(
        uri, max_size=None, compression=None, extensions=[factory]
    ) as ws:
        extension = ws.protocol.extensions[0]
        assert isinstance(extension, WebsocketsDeflate)
        echoed: list[object] = []
        for message in MESSAGES:
            await ws.send(message)
            echoed.append(await ws.recv())
        await ws.send(["frag", "ment", "ed ✓"])
        echoed.append(await ws.recv())
        return echoed, repr(extension)


async def aiohttp_client(port: int, bits: int, reset: bool) -> tuple[list[object], str]:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"http://127.0.0.1:{port}/ws", max_msg_size=0, compress=bits) as ws,
    ):
        echoed: list[object] = []
        for message in MESSAGES:
            if isinstance(message, str):
                await ws.send_str(message)
            else:
                await ws.send_bytes(message)
            echoed.append((await ws.receive()).data)
        return echoed, str(ws.compress)


@pytest.mark.parametrize(("bits", "reset"), SETTINGS)
async def test_websockets_client_round_trips_compressed(
    peer: AsyncioThread, bits: int, reset: bool
) -> None:
    echo = Echo()
    compression = server_deflate(bits, reset)
    async with serving(websocket_app(echo), max_frame_size=1 << 25, compression=compression) as s:
        echoed, extension = await peer.call(websockets_client(s.port, bits, reset), 300)
    assert echoed == [*MESSAGES, "fragmented ✓"]
    assert echo.agreed == [
        PerMessageDeflate(
            server_max_window_bits=bits,
            client_max_window_bits=bits,
            server_no_context_takeover=reset,
            client_no_context_takeover=reset,
        )
    ]
    assert f"remote_max_window_bits={bits}" in extension


@pytest.mark.parametrize(("bits", "reset"), SETTINGS)
async def test_aiohttp_client_round_trips_compressed(
    peer: AsyncioThread, bits: int, reset: bool
) -> None:
    echo = Echo()
    compression = server_deflate(bits, reset)
    async with serving(websocket_app(echo), max_frame_size=1 << 25, compression=compression) as s:
        echoed, window = await peer.call(aiohttp_client(s.port, bits, reset), 300)
    assert echoed == MESSAGES
    # aiohttp offers server_max_window_bits only, and compresses with what we answer.
    [agreed] = echo.agreed
    assert agreed is not None
    assert agreed.server_max_window_bits == bits
    assert agreed.server_no_context_takeover == reset
    assert window == str(bits)
