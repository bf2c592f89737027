"""Messages, fragments, control frames and keep-alive through a server session."""

from __future__ import annotations

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from tests.ws.session.test_close_handshake import BINARY, CLOSE, PING, PONG, TEXT, Recorder
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


async def handler_echo(ws: DefaultWebSocketSession) -> None:
    ws.set_message_handler(ws.send_nowait)
    await ws.wait_closed()


async def test_a_message_handler_answers_in_order_without_a_task() -> None:
    async with (
        serving(websocket_app(handler_echo)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(b"".join(frame(TEXT, b"%d" % number) for number in range(50)))
        await client.send(frame(BINARY, b"\x00", fin=False) + frame(PING, b"p") + frame(0x0, b"!"))
        answers = [(await client.read_frame()) for _ in range(52)]
        assert [answer.payload for answer in answers[:50]] == [b"%d" % n for n in range(50)]
        assert (answers[50].opcode, answers[50].payload) == (PONG, b"p")
        assert (answers[51].opcode, answers[51].payload) == (BINARY, b"\x00!")
        await client.send(frame(CLOSE, b"\x03\xe8"))
        await client.expect_close(1000)


async def test_messages_queued_before_the_handler_is_set_go_to_it_first() -> None:
    seen: list[str | bytes] = []
    go = anyio.Event()

    async def late_handler(ws: DefaultWebSocketSession) -> None:
        await go.wait()
        ws.set_message_handler(seen.append)
        await ws.wait_closed()

    async with (
        serving(websocket_app(late_handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(TEXT, b"early") + frame(PING, b"sync"))
        assert (await client.read_frame()).opcode == PONG
        go.set()
        await client.send(frame(TEXT, b"late") + frame(PING, b"sync"))
        assert (await client.read_frame()).opcode == PONG
        await client.send(frame(CLOSE, b"\x03\xe8"))
        await client.expect_close(1000)
    assert seen == ["early", "late"]


async def test_a_failing_message_handler_closes_with_1011() -> None:
    def broken(message: str | bytes) -> None:
        raise ValueError("cannot take " + str(message))

    async def handler(ws: DefaultWebSocketSession) -> None:
        ws.set_message_handler(broken)
        await ws.wait_closed()

    async with (
        serving(websocket_app(handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(TEXT, b"x"))
        close = await client.expect_close(1011)
        assert close.payload[2:] == b"cannot take x"


async def test_a_message_handler_stops_reading_while_its_answers_cannot_be_written() -> None:
    sessions: list[DefaultWebSocketSession] = []
    largest_backlog = 0

    async def watched_echo(ws: DefaultWebSocketSession) -> None:
        def answer(message: str | bytes) -> None:
            nonlocal largest_backlog
            ws.send_nowait(message)
            largest_backlog = max(largest_backlog, ws._transport.get_write_buffer_size())

        sessions.append(ws)
        ws.set_message_handler(answer)
        await ws.wait_closed()

    payload = b"\x07" * 65536
    wire = frame(BINARY, payload)
    sent = 0

    async def flood(client: RawClient) -> None:
        nonlocal sent
        while True:
            await client.send(wire)
            sent += 1

    async with (
        serving(websocket_app(watched_echo), write_limit=65536) as server,
        await RawClient.connect(server.port, "/ws") as client,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(flood, client)
        with anyio.fail_after(30):
            while not (sessions and sessions[0]._paused_for_writes):
                await anyio.wait_all_tasks_blocked()
                await anyio.lowlevel.checkpoint()
        # Answers to one socket read (at most 256 KiB on asyncio) may land past the limit.
        assert largest_backlog <= 65536 + 256 * 1024 + len(wire)
        tg.cancel_scope.cancel()
    assert sent > 0


async def test_a_message_handler_answers_in_order_around_a_ping_in_the_same_read() -> None:
    async def handler_echo(ws: DefaultWebSocketSession) -> None:
        ws.set_message_handler(ws.send_nowait)
        await ws.wait_closed()

    async with (
        serving(websocket_app(handler_echo)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(
            frame(TEXT, b"one") + frame(PING, b"p") + frame(BINARY, b"two") + frame(TEXT, b"3")
        )
        answers = [await client.read_frame() for _ in range(4)]
        assert [(answer.opcode, answer.payload) for answer in answers] == [
            (TEXT, b"one"),
            (PONG, b"p"),
            (BINARY, b"two"),
            (TEXT, b"3"),
        ]


async def test_buffers_go_out_as_binary_and_other_objects_are_refused_with_type_error() -> None:
    refused: list[str] = []

    async def sender(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        await ws.send(bytearray(b"array"))  # type: ignore[arg-type]
        await ws.send(memoryview(b"view"))  # type: ignore[arg-type]
        try:
            await ws.send(12)  # type: ignore[arg-type]
        except TypeError as error:
            refused.append(str(error))
        await ws.send("still open")

    async with (
        serving(websocket_app(sender)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(TEXT, b"go"))
        sent = [await client.read_frame() for _ in range(3)]
        assert [(message.opcode, message.payload) for message in sent] == [
            (BINARY, b"array"),
            (BINARY, b"view"),
            (TEXT, b"still open"),
        ]
    assert refused == ["a message is str, bytes or a Frame, not int"]
