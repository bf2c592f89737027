"""Messages, fragments, control frames and keep-alive through a server session."""

from __future__ import annotations

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.session.test_close_handshake import BINARY, CLOSE, PING, PONG, TEXT, Recorder
from tests.wire import RawClient, frame
from wsrs import CloseReason, DefaultWebSocketSession

pytestmark = pytest.mark.anyio


async def echo(ws: DefaultWebSocketSession) -> None:
    async for message in ws:
        await ws.send(message)


async def test_text_and_binary_are_echoed_as_sent() -> None:
    async with (
        serving(websocket_app(echo)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(TEXT, "héllo".encode()) + frame(BINARY, b"\x00\xff"))
        text, binary = await client.read_frame(), await client.read_frame()
        assert (text.opcode, text.payload.decode(), text.masked) == (TEXT, "héllo", False)
        assert (binary.opcode, binary.payload) == (BINARY, b"\x00\xff")


async def test_fragments_are_reassembled_around_an_interleaved_ping() -> None:
    async with (
        serving(websocket_app(echo)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(
            frame(TEXT, b"ABC", fin=False)
            + frame(PING, b"in between")
            + frame(0x0, b"12", fin=False)
            + frame(0x0, b"3")
        )
        pong = await client.read_frame()
        assert (pong.opcode, pong.payload) == (PONG, b"in between")
        message = await client.read_frame()
        assert (message.opcode, message.fin, message.payload) == (TEXT, True, b"ABC123")


async def test_a_message_split_at_every_byte_arrives_whole() -> None:
    async with (
        serving(websocket_app(echo)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        wire = frame(TEXT, "ümlaut ✓".encode(), fin=False) + frame(0x0, b" done")
        for position in range(len(wire)):
            await client.send(wire[position : position + 1])
        message = await client.read_frame()
        assert message.payload.decode() == "ümlaut ✓ done"


async def test_every_ping_gets_its_pong_in_order() -> None:
    async with (
        serving(websocket_app(echo)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(b"".join(frame(PING, b"p%d" % number) for number in range(5)))
        pongs = [await client.read_frame() for _ in range(5)]
        assert [(pong.opcode, pong.payload) for pong in pongs] == [
            (PONG, b"p%d" % number) for number in range(5)
        ]


async def test_message_at_the_size_limit_is_accepted() -> None:
    async with (
        serving(websocket_app(echo), max_frame_size=1025) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(BINARY, b"a" * 512, fin=False) + frame(0x0, b"b" * 513))
        message = await client.read_frame()
        assert message.payload == b"a" * 512 + b"b" * 513


async def test_pinger_pings_and_a_silent_peer_gets_ping_timeout() -> None:
    recorder = Recorder()
    app = websocket_app(recorder)
    async with (
        serving(app, ping_interval=0.05, timeout=0.2) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        ping = await client.read_frame()
        assert ping.opcode == PING
        assert ping.payload.startswith(b"[ping ")
        assert ping.payload.endswith(b" ping]")
        assert len(ping.payload) == 76
        close = await client.expect_close(1011)
        assert close.payload[2:] == b"Ping timeout"
        await recorder.done.wait()
    assert recorder.reason == CloseReason(1011, "Ping timeout")


async def test_answered_pings_keep_the_session_open() -> None:
    recorder = Recorder()
    app = websocket_app(recorder)
    async with (
        serving(app, ping_interval=0.02, timeout=0.5) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        for _ in range(5):
            ping = await client.read_frame()
            assert ping.opcode == PING
            await client.send(frame(PONG, ping.payload))
        await client.send(frame(TEXT, b"still here"))
        await client.send(frame(CLOSE, b"\x03\xe8"))
        await client.expect_close(1000)
        await recorder.done.wait()
    assert recorder.received == ["still here"]


async def test_changing_the_ping_interval_restarts_the_pinger() -> None:
    started = anyio.Event()

    async def handler(ws: DefaultWebSocketSession) -> None:
        assert ws.ping_interval is None
        ws.ping_interval = 0.02
        started.set()
        async for _ in ws:
            pass

    app = websocket_app(handler)
    async with (
        serving(app, ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await started.wait()
        assert (await client.read_frame()).opcode == PING


async def test_flush_returns_once_earlier_sends_are_written() -> None:
    flushed = anyio.Event()

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.send(b"x" * 1_000_000)
        await ws.flush()
        flushed.set()
        await ws.close()

    async with (
        serving(websocket_app(handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        message = await client.read_frame()
        assert len(message.payload) == 1_000_000
        with anyio.fail_after(5):
            await flushed.wait()
