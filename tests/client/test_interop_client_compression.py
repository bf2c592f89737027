"""The compressing wsrs client against the compressing servers of websockets and aiohttp.

Each combination of window (9 or 15 bits) and context takeover (kept or reset) carries messages
from 0 B to 16 MiB, text and binary, and a fragmented one, both ways compressed.
"""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import aiohttp.web
import pytest
import websockets
import websockets.asyncio.server
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from tests.helpers import asyncio_thread
from tests.server.test_interop_server_compression import MESSAGES, SETTINGS
from wsrs import Deflate, Frame, connect

pytestmark = pytest.mark.anyio


async def websockets_echo(ws: websockets.asyncio.server.ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def aiohttp_echo(request: aiohttp.web.Request) -> aiohttp.web.WebSocketResponse:
    ws = aiohttp.web.WebSocketResponse(max_msg_size=0, compress=True)
    await ws.prepare(request)
    async for message in ws:
        if message.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws


@pytest.fixture(params=["websockets", "aiohttp"])
def peer_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int, int, bool]]:
    """Both servers for each window and takeover; yields (peer, port, bits, reset)."""
    bits, reset = request.node.callspec.params["settings"]
    with asyncio_thread() as thread:
        if request.param == "websockets":
            factory = ServerPerMessageDeflateFactory(
                server_max_window_bits=bits,
                client_max_window_bits=bits,
                server_no_context_takeover=reset,
                client_no_context_takeover=reset,
            )

            async def start() -> websockets.asyncio.server.Server:
                return await websockets.asyncio.server.serve(
                    websockets_echo,
                    "127.0.0.1",
                    0,
                    max_size=None,
                    compression=None,
                    extensions=[factory],
                )

            server = thread.run(start())
            yield "websockets", server.sockets[0].getsockname()[1], bits, reset
            server.close()
            thread.run(server.wait_closed())
        else:

            async def start_aiohttp() -> aiohttp.web.AppRunner:
                app = aiohttp.web.Application()
                app.router.add_get("/{tail:.*}", aiohttp_echo)
                runner = aiohttp.web.AppRunner(app, handle_signals=False)
                await runner.setup()
                await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
                return runner

            runner = thread.run(start_aiohttp())
            yield "aiohttp", runner.addresses[0][1], bits, reset
            thread.run(runner.cleanup())


@pytest.mark.parametrize(
    "settings", [(p.values[0], p.values[1]) for p in SETTINGS], ids=[p.id for p in SETTINGS]
)
async def test_messages_round_trip_compressed(
    peer_server: tuple[str, int, int, bool], settings: tuple[int, bool]
) -> None:
    peer, port, bits, reset = peer_server
    # aiohttp's server limits only its own window, to what the client asks for.
    compression = Deflate(
        server_max_window_bits=bits,
        client_max_window_bits=None if peer == "aiohttp" else bits,
        server_no_context_takeover=reset,
        client_no_context_takeover=reset,
    )
    url = f"ws://127.0.0.1:{port}/echo"
    async with connect(url, max_frame_size=1 << 25, compression=compression) as ws:
        agreed = ws.compression
        assert agreed is not None
        assert agreed.server_max_window_bits == bits
        assert agreed.server_no_context_takeover == reset
        assert agreed.client_no_context_takeover == reset
        for message in MESSAGES:
            await ws.send(message)
            assert await ws.receive() == message
        await ws.send(Frame.text("frag", fin=False))
        await ws.send(Frame.text("ment", fin=False))
        await ws.send(Frame.text("ed ✓"))
        assert await ws.receive() == "fragmented ✓"
