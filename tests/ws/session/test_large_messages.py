"""Large Binary messages: read into their own `bytes`, written as header and payload unjoined.

Each test runs on asyncio's own loop (where `os.writev` stands in for the `writelines` that joins
on Python 3.11), on uvloop and on trio, against a client reading the raw frames off the socket.
"""

from __future__ import annotations

import os
import zlib

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from tests.ws.session.test_close_handshake import BINARY, CLOSE, PING, PONG, TEXT
from wsrs import DefaultWebSocketSession

pytestmark = pytest.mark.anyio

# Around the sizes where reading and writing change paths (16 KiB vectored, 64 KiB own bytes),
# and past what one socket write or read takes.
SIZES = (16 * 1024 - 1, 16 * 1024, 64 * 1024 - 1, 64 * 1024, 300_000, 3 * 1024 * 1024)


async def echo(ws: DefaultWebSocketSession) -> None:
    async for message in ws:
        await ws.send(message)


async def handler_echo(ws: DefaultWebSocketSession) -> None:
    ws.set_message_handler(ws.send_nowait)
    await ws.wait_closed()


@pytest.mark.parametrize("server_side", [echo, handler_echo], ids=["async-for", "handler"])
async def test_large_binary_messages_between_small_ones_come_back_whole_and_in_order(
    server_side: object,
) -> None:
    payloads = [os.urandom(size) for size in SIZES]
    async with (
        serving(websocket_app(server_side)) as server,  # type: ignore[arg-type]
        await RawClient.connect(server.port, "/ws") as client,
    ):
        # Everything at once, so that reads split the large frames anywhere.
        wire = b"".join(frame(BINARY, p) + frame(TEXT, b"%d" % i) for i, p in enumerate(payloads))
        async with anyio.create_task_group() as group:
            group.start_soon(client.send, wire)
            for number, payload in enumerate(payloads):
                binary, text = await client.read_frame(), await client.read_frame()
                assert (binary.opcode, binary.fin, binary.rsv) == (BINARY, True, 0)
                assert binary.payload == payload, f"message of {len(payload)} bytes"
                assert (text.opcode, text.payload) == (TEXT, b"%d" % number)
        await client.send(frame(CLOSE, b"\x03\xe8"))
        await client.expect_close(1000)


async def test_large_messages_to_a_reader_that_stalls_arrive_whole_and_in_order() -> None:
    """The socket takes part of a message, the rest waits in the transport's buffer: the next
    messages queue behind it instead of overtaking it."""
    payloads = [os.urandom(size) for size in (*SIZES, *SIZES)]
    sent = anyio.Event()

    async def producer(ws: DefaultWebSocketSession) -> None:
        for payload in payloads:
            ws.send_nowait(payload)
        sent.set()
        await ws.wait_closed()

    async with (
        serving(websocket_app(producer)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        with anyio.fail_after(10):
            await sent.wait()
        for payload in payloads:
            received = await client.read_frame()
            assert (received.opcode, len(received.payload)) == (BINARY, len(payload))
            assert received.payload == payload


async def test_a_compressing_session_sends_large_binary_messages_compressed() -> None:
    payload = b"compressible " * 20_000
    async with (
        serving(websocket_app(echo)) as server,
        await RawClient.connect(
            server.port, "/ws", "Sec-WebSocket-Extensions: permessage-deflate\r\n"
        ) as client,
    ):
        assert "permessage-deflate" in client.headers["sec-websocket-extensions"]
        await client.send(frame(BINARY, payload))
        received = await client.read_frame()
        assert (received.opcode, received.rsv) == (BINARY, 4)
        assert len(received.payload) < len(payload) // 10
        inflater = zlib.decompressobj(wbits=-15)
        assert inflater.decompress(received.payload + b"\x00\x00\xff\xff") == payload


async def _send_in_pieces(client: RawClient, data: bytes, size: int) -> None:
    """`data` in writes of `size` bytes, letting the server read after each (reads then end
    inside frames, wherever the pieces do; the test holds however they are actually cut)."""
    for start in range(0, len(data), size):
        await client.send(data[start : start + size])
        await anyio.wait_all_tasks_blocked()


@pytest.mark.parametrize("server_side", [echo, handler_echo], ids=["async-for", "handler"])
async def test_messages_in_pieces_after_a_large_one_lose_and_reorder_nothing(
    server_side: object,
) -> None:
    # After a large message the decoder's buffers are released; what follows arrives a byte
    # or a few at a time: a fragmented Text message with a Ping in pieces between fragments,
    # then a large Binary in pieces.
    large = os.urandom(300_000)
    async with (
        serving(websocket_app(server_side)) as server,  # type: ignore[arg-type]
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(BINARY, large, mask=bytes(4)))
        assert (await client.read_frame()).payload == large
        fragmented = (
            frame(TEXT, "hé".encode(), fin=False)
            + frame(PING, b"still there?")
            + frame(0x0, b"llo, ", fin=False)
            + frame(0x0, "wörld".encode())
        )
        await _send_in_pieces(client, fragmented, 1)
        pong = await client.read_frame()
        assert (pong.opcode, pong.payload) == (PONG, b"still there?")
        text = await client.read_frame()
        assert (text.opcode, text.payload) == (TEXT, "héllo, wörld".encode())
        await _send_in_pieces(client, frame(BINARY, large), 7_001)
        echoed = await client.read_frame()
        assert (echoed.opcode, len(echoed.payload)) == (BINARY, len(large))
        assert echoed.payload == large
