"""The inbox reading the socket itself on asyncio's plain-socket transport (`read_directly`), under
stress: large messages read into their own bytes, violations, back-pressure, the hand-off from
HTTP, peers that go away mid-message, client sessions, and fds reused after a close."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import struct
from collections.abc import Iterator

import anyio
import anyio.abc
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, close_payload, frame
from tests.ws.session.test_inbox_review_loops import run_until_interrupted
from wsrs import ConnectionClosed, ConnectionClosedError, DefaultWebSocketSession, connect
from wsrs._wsrs import Inbox
from wsrs.ws.handshake import accept_key

pytestmark = pytest.mark.anyio

PLAIN_ASYNCIO = pytest.mark.parametrize(
    "anyio_backend",
    ["asyncio", pytest.param(("asyncio", {"debug": True}), id="asyncio-debug")],
    indirect=True,
)

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
KEY = b"\x9a\x3c\x55\xe1"


def masked(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """A client's frame masked with a key that changes every byte (fast for MiB payloads)."""
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        header = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, n)
    stream = (KEY * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")
    return header + KEY + body


def message_frame(message: str | bytes) -> bytes:
    """A Text frame for a `str`, a Binary frame for `bytes`."""
    if isinstance(message, str):
        return masked(TEXT, message.encode())
    return masked(BINARY, message)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was logged at WARNING or above, but for debug mode's slow callbacks (a busy machine)."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not (record.name == "asyncio" and record.getMessage().startswith("Executing "))
    ]


class Ending:
    """The `ConnectionClosed` a session's handler ended with, once it has."""

    def __init__(self) -> None:
        self._ended = anyio.Event()
        self._closed: ConnectionClosed | None = None

    @contextlib.contextmanager
    def recorded(self) -> Iterator[None]:
        """Catch and keep the `ConnectionClosed` the block ends with."""
        try:
            yield
        except ConnectionClosed as closed:
            self._closed = closed
            self._ended.set()

    async def wait(self) -> ConnectionClosed:
        """The `ConnectionClosed`, once the handler has ended with it."""
        with anyio.fail_after(10):
            await self._ended.wait()
        assert self._closed is not None
        return self._closed


def reset(client: RawClient) -> None:
    """Make the client's close send a TCP reset."""
    raw = client.stream.extra(anyio.abc.SocketAttribute.raw_socket)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@PLAIN_ASYNCIO
@pytest.mark.parametrize("size", [65536, 3 * 1024 * 1024])
async def test_large_messages_split_over_many_reads_arrive_whole_in_order(
    size: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    received: list[str | bytes] = []
    messages: list[str | bytes] = [os.urandom(size), os.urandom(size // 3 + 7), "small"]
    messages.append(os.urandom(size))

    async def app(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            received.append(message)
            await ws.send(str(len(message)))

    async with (
        serving(websocket_app(app), ping_interval=None, max_frame_size=4 * 1024 * 1024) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        data = masked(PING, b"p") + b"".join(message_frame(m) for m in messages)
        for start in range(0, len(data), 50_001):  # pieces that cut headers and payloads
            await client.send(data[start : start + 50_001])
        with anyio.fail_after(10):
            answers = [await client.read_frame() for _ in range(len(messages) + 1)]
            await client.send(masked(CLOSE, close_payload(1000)))
            await client.expect_close(1000)
    assert received == messages
    assert [(f.opcode, f.payload) for f in answers] == [(PONG, b"p")] + [
        (TEXT, str(len(m)).encode()) for m in messages
    ]
    assert warnings_of(caplog) == []


@PLAIN_ASYNCIO
async def test_a_large_fragmented_message_with_pings_between_its_fragments() -> None:
    received: list[str | bytes] = []
    whole = os.urandom(400_000)
    pieces = [whole[i : i + 70_000] for i in range(0, len(whole), 70_000)]

    async def app(ws: DefaultWebSocketSession) -> None:
        received.extend([message async for message in ws])

    async with (
        serving(websocket_app(app), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        data = b""
        for i, piece in enumerate(pieces):
            opcode = BINARY if i == 0 else CONTINUATION
            data += masked(opcode, piece, fin=i == len(pieces) - 1) + masked(PING, b"%d" % i)
        await client.send(data)
        with anyio.fail_after(10):
            pongs = [await client.read_frame() for _ in pieces]
            await client.send(masked(CLOSE, close_payload(1000)))
            await client.expect_close(1000)
    assert received == [whole]
    assert [f.payload for f in pongs] == [b"%d" % i for i in range(len(pieces))]


@PLAIN_ASYNCIO
@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(masked(BINARY, b"x" * 200_000), 1009, id="frame-too-large"),
        pytest.param(
            masked(BINARY, b"x" * 70_000, fin=False) + masked(CONTINUATION, b"x" * 70_000),
            1009,
            id="message-too-large",
        ),
        pytest.param(masked(TEXT, b"\xff\xfe"), 1007, id="invalid-utf8"),
        pytest.param(frame(TEXT, b"hi", mask=None), 1002, id="unmasked"),
        pytest.param(masked(0x3, b""), 1002, id="reserved-opcode"),
    ],
)
async def test_a_clients_violation_gets_its_close_code_and_logs_nothing(
    data: bytes, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ending = Ending()

    async def app(ws: DefaultWebSocketSession) -> None:
        with ending.recorded():
            await ws.receive()

    async with (
        serving(websocket_app(app), ping_interval=None, max_frame_size=100_000) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(data)
        with anyio.fail_after(10):
            await client.expect_close(code)
        assert isinstance(await ending.wait(), ConnectionClosedError)
    assert warnings_of(caplog) == []


@PLAIN_ASYNCIO
async def test_a_full_inbox_of_capacity_one_loses_and_reorders_nothing_large_or_small() -> None:
    messages: list[str | bytes] = [f"m{i}" if i % 7 else os.urandom(100_000) for i in range(60)]
    received: list[str | bytes] = []
    go = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        await go.wait()
        async for message in ws:
            received.append(message)
            await anyio.lowlevel.checkpoint()
            if len(received) == len(messages):
                await ws.send("all")

    async with (
        serving(websocket_app(app), ping_interval=None, incoming_capacity=1) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        async with anyio.create_task_group() as group:
            group.start_soon(client.send, b"".join(message_frame(m) for m in messages))
            await anyio.wait_all_tasks_blocked()
            go.set()
        with anyio.fail_after(10):
            assert (await client.read_frame()).payload == b"all"
    assert received == messages


@PLAIN_ASYNCIO
async def test_reading_resumes_once_a_peer_that_did_not_read_drains_the_writes() -> None:
    received: list[str | bytes] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        async def receive_all() -> None:
            received.extend([message async for message in ws])

        async with anyio.create_task_group() as group:
            group.start_soon(receive_all)
            for _ in range(100):
                await ws.send(b"z" * 50_000)
            await ws.send("end")

    async with (
        serving(websocket_app(app), ping_interval=None, write_limit=16_000) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        for i in range(200):
            await client.send(masked(TEXT, b"c%d" % i))
        with anyio.fail_after(10):
            binaries = 0
            while (answer := await client.read_frame()).opcode == BINARY:
                binaries += 1
            assert answer.payload == b"end"
            await client.send(masked(CLOSE, close_payload(1000)))
            await client.expect_close(1000)
    assert binaries == 100
    assert received == [f"c{i}" for i in range(200)]


@PLAIN_ASYNCIO
async def test_frames_in_the_upgrade_requests_packet_come_first_and_whole() -> None:
    received: list[str | bytes] = []
    large = os.urandom(200_000)

    async def app(ws: DefaultWebSocketSession) -> None:
        received.extend([message async for message in ws])

    async with (
        serving(websocket_app(app), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws", handshake=False) as client,
    ):
        request = (
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        frames = masked(TEXT, b"first") + masked(BINARY, large) + masked(TEXT, b"third")
        await client.send(request + frames)
        with anyio.fail_after(10):
            await client.read_head()
            assert client.status == 101
            await client.send(masked(CLOSE, close_payload(1000)))
            await client.expect_close(1000)
    assert received == ["first", large, "third"]


@PLAIN_ASYNCIO
async def test_a_client_session_sends_and_receives_large_messages_whole() -> None:
    large = os.urandom(2_000_000)
    messages: list[str | bytes] = [large, "a", large[:70_000], "b"]

    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    async with (
        serving(websocket_app(echo), ping_interval=None, max_frame_size=4_000_000) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws", max_frame_size=4_000_000) as ws,
    ):
        for message in messages:
            await ws.send(message)
        with anyio.fail_after(10):
            assert [await ws.receive() for _ in messages] == messages


@PLAIN_ASYNCIO
@pytest.mark.parametrize("then", ["fin", "close"])
async def test_a_client_session_gets_the_frames_sent_with_the_101(
    then: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    large = os.urandom(300_000)
    sent = anyio.Event()

    async def handshake_and_frames(stream: anyio.abc.SocketStream) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += await stream.receive()
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key")
        )
        response = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
        ).encode()
        frames = frame(TEXT, b"one", mask=None) + frame(BINARY, large, mask=None)
        frames += frame(TEXT, b"three", mask=None)
        if then == "close":
            frames += frame(CLOSE, close_payload(1000), mask=None)
        await stream.send(response + frames)
        if then == "fin":
            await stream.send_eof()
        sent.set()
        with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
            await stream.receive()
        await stream.aclose()

    received: list[str | bytes] = []
    async with (
        await anyio.create_tcp_listener(local_host="127.0.0.1") as listener,
        anyio.create_task_group() as group,
    ):
        group.start_soon(listener.serve, handshake_and_frames)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        url = f"ws://127.0.0.1:{port}/"
        async with connect(url, ping_interval=None, close_timeout=1) as ws:
            await sent.wait()
            with anyio.fail_after(10), contextlib.suppress(ConnectionClosed):
                while True:  # until the end: 1006 after the FIN, 1000 after the Close
                    received.append(await ws.receive())
        group.cancel_scope.cancel()
    assert received == ["one", large, "three"]
    assert warnings_of(caplog) == []


@PLAIN_ASYNCIO
async def test_a_reset_in_the_middle_of_a_large_message_ends_the_session_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ending, first = Ending(), anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        with ending.recorded():
            await ws.receive()
            first.set()
            await ws.receive()

    async with (
        serving(websocket_app(app), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(masked(TEXT, b"one") + masked(BINARY, os.urandom(500_000))[:300_000])
        await first.wait()
        reset(client)
        await client.stream.aclose()
        ended = await ending.wait()
    assert isinstance(ended, ConnectionClosedError)
    assert ended.code == 1006
    assert warnings_of(caplog) == []


@PLAIN_ASYNCIO
async def test_a_peer_half_closing_while_the_server_sends_ends_the_session_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ending = Ending()

    async def app(ws: DefaultWebSocketSession) -> None:
        with ending.recorded():
            while True:
                await ws.send(b"q" * 10_000)

    async with (
        serving(websocket_app(app), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        with anyio.fail_after(10):
            await client.read_frame()
            await client.stream.send_eof()
            await client.read_until_closed()
        assert isinstance(await ending.wait(), ConnectionClosedError)
    assert warnings_of(caplog) == []


@PLAIN_ASYNCIO
async def test_a_close_timeout_drops_a_peer_that_floods_and_never_answers_the_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    reasons: list[object] = []
    started = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        ws.close_timeout = 0.3
        await ws.receive()
        started.set()
        await ws.close(1000)
        reasons.append(await ws.close_reason)

    async def flood(client: RawClient) -> None:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            while True:
                await client.send(masked(BINARY, b"f" * 100_000))

    async with (
        serving(websocket_app(app), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(masked(TEXT, b"go"))
        await started.wait()
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(flood, client)
                await client.read_until_closed()
                group.cancel_scope.cancel()
    assert len(reasons) == 1
    assert warnings_of(caplog) == []


@PLAIN_ASYNCIO
async def test_closing_while_a_large_message_arrives_still_reads_it_and_the_close() -> None:
    seen: list[object] = []
    large = masked(BINARY, os.urandom(1_000_000))
    started = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        seen.append(await ws.receive())
        started.set()
        async with anyio.create_task_group() as group:
            group.start_soon(ws.close, 1000)
            seen.extend([len(message) async for message in ws])
        seen.append(await ws.close_reason)

    async with (
        serving(websocket_app(app), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(masked(TEXT, b"go") + large[:200_000])
        await started.wait()
        for start in range(200_000, len(large), 100_000):
            await client.send(large[start : start + 100_000])
        with anyio.fail_after(10):
            assert (await client.read_frame()).close_code == 1000
            await client.send(masked(CLOSE, close_payload(1000)))
            assert await client.read_until_closed() == b""
    assert seen[:2] == ["go", 1_000_000]
    assert getattr(seen[2], "code", None) == 1000


@PLAIN_ASYNCIO
async def test_many_sessions_at_once_each_get_their_own_bytes_in_order() -> None:
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    done: list[int] = []

    async def session(port: int, n: int) -> None:
        async with await RawClient.connect(port, "/ws") as client:
            messages = [b"%d-%d" % (n, i) * (i * 300 + 1) for i in range(30)]
            await client.send(b"".join(masked(BINARY, m) for m in messages))
            assert [(await client.read_frame()).payload for _ in messages] == messages
            await client.send(masked(CLOSE, close_payload(1000)))
            await client.expect_close(1000)
            done.append(n)

    async with serving(websocket_app(echo), ping_interval=None) as server:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                for n in range(20):
                    group.start_soon(session, server.port, n)
    assert sorted(done) == list(range(20))


@PLAIN_ASYNCIO
async def test_a_new_connection_on_a_reused_fd_reads_only_its_own_bytes() -> None:
    fds: list[int] = []
    received: list[str | bytes] = []
    ended = [anyio.Event() for _ in range(3)]

    async def app(ws: DefaultWebSocketSession) -> None:
        index = len(fds)
        fds.append(ws._transport.get_extra_info("socket").fileno())
        with contextlib.suppress(ConnectionClosedError):
            async for message in ws:
                received.append(message)
                await ws.send(message)
        if index < len(ended):
            ended[index].set()

    async with serving(websocket_app(app), ping_interval=None, incoming_capacity=1) as server:
        for i in range(3):
            # Each ends by a reset with a large message half read and the inbox full.
            async with await RawClient.connect(server.port, "/ws") as client:
                await client.send(
                    masked(TEXT, b"a%d" % i) + masked(BINARY, b"x" * 100_000)[:70_000]
                )
                with anyio.fail_after(10):
                    assert (await client.read_frame()).payload == b"a%d" % i
                reset(client)
            with anyio.fail_after(10):
                await ended[i].wait()  # before the next connection: its fd is free again
        async with await RawClient.connect(server.port, "/ws") as client:
            await client.send(b"".join(masked(TEXT, b"b%d" % i) for i in range(20)))
            with anyio.fail_after(10):
                for i in range(20):
                    assert (await client.read_frame()).payload == b"b%d" % i
    assert len(set(fds)) == 1  # the same fd each time
    assert received == ["a0", "a1", "a2"] + [f"b{i}" for i in range(20)]


def test_an_interrupt_out_of_a_client_sessions_handler_stops_the_loop() -> None:
    loop = asyncio.new_event_loop()

    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    def interrupting(message: str | bytes) -> None:
        if message == "stop":
            raise KeyboardInterrupt

    async def interrupt_the_client() -> None:
        async with (
            serving(websocket_app(echo)) as server,
            connect(f"ws://127.0.0.1:{server.port}/ws") as client,
        ):
            client.set_message_handler(interrupting)
            await client.send(b"b" * 200_000)
            await client.send("stop")
            await asyncio.sleep(5)  # the interrupt leaves the loop first

    run_until_interrupted(loop, interrupt_the_client(), KeyboardInterrupt)


def inboxes_tracked() -> int:
    """How many inboxes the garbage collector tracks (alive, or garbage not yet collected)."""
    return sum(type(thing) is Inbox for thing in gc.get_objects())


@PLAIN_ASYNCIO
async def test_a_finished_sessions_inbox_and_what_it_holds_go_with_it_by_reference_count() -> None:
    # The transport outlives the session until the cycle collector runs (asyncio's transport
    # refers to itself), and its reader callback is the inbox's: that must not keep the inbox,
    # its decoder and the messages never received alive with it.
    async def receive_one(ws: DefaultWebSocketSession) -> None:
        await ws.receive()

    async with serving(websocket_app(receive_one), ping_interval=None) as server:
        gc.collect()
        before = inboxes_tracked()
        gc.disable()
        try:
            for _ in range(3):
                async with await RawClient.connect(server.port, "/ws") as client:
                    unread = b"".join(masked(BINARY, bytes(300_000)) for _ in range(3))
                    await client.send(masked(TEXT, b"x") + unread)
                    with anyio.fail_after(10):
                        assert (await client.read_frame()).close_code == 1000
                        await client.send(masked(CLOSE, close_payload(1000)))
                        assert await client.read_until_closed() == b""
            await anyio.wait_all_tasks_blocked()
            left = inboxes_tracked()
        finally:
            gc.enable()
    assert left <= before
