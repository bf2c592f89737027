"""Sessions against hostile or unlucky peers: floods, resets mid hand-off, stalled servers."""

from __future__ import annotations

import base64
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from wsrs import DefaultWebSocketSession, Request, Response, TimeoutQueue, Timers, connect
from wsrs.ws.handshake import accept_key

pytestmark = pytest.mark.anyio

UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def test_a_reset_during_the_hand_off_leaves_the_server_serving() -> None:
    app = websocket_app(lambda ws: ws.wait_closed())

    @app.route("/")
    def index(request: Request) -> Response:
        return Response(b"still here")

    async with serving(app, ping_interval=0.05, timeout=0.05) as server:
        for _ in range(5):
            raw = socket.create_connection(("127.0.0.1", server.port))
            raw.sendall(UPGRADE % base64.b64encode(os.urandom(16)))
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw.close()
        with anyio.fail_after(10):
            stream = await anyio.connect_tcp("127.0.0.1", server.port)
            async with stream:
                await stream.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                answer = b""
                while b"still here" not in answer:
                    answer += await stream.receive()
        await anyio.wait_all_tasks_blocked()
        assert not server._sessions


async def test_a_ping_flood_from_a_peer_that_never_reads_stays_bounded() -> None:
    async def idle(ws: DefaultWebSocketSession) -> None:
        async for _ in ws:
            pass

    sessions: list[DefaultWebSocketSession] = []

    async def tracked(ws: DefaultWebSocketSession) -> None:
        sessions.append(ws)
        await idle(ws)

    async with serving(websocket_app(tracked), ping_interval=None) as server:
        raw = socket.create_connection(("127.0.0.1", server.port))
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.sendall(UPGRADE % base64.b64encode(os.urandom(16)))
        raw.setblocking(False)
        pings = frame(0x9, b"p" * 125) * 2000
        largest = 0
        try:
            for _ in range(100):
                try:
                    raw.send(pings)
                except BlockingIOError:
                    await anyio.wait_all_tasks_blocked()
                if sessions:
                    largest = max(largest, sessions[0]._transport.get_write_buffer_size())
                await anyio.lowlevel.checkpoint()
        finally:
            raw.close()
    assert sessions
    assert largest < 256 * 1024


async def test_a_deferred_violation_fails_once_a_message_handler_takes_over() -> None:
    go = anyio.Event()
    seen: list[str | bytes] = []

    async def late(ws: DefaultWebSocketSession) -> None:
        await go.wait()
        ws.set_message_handler(seen.append)
        await ws.wait_closed()

    async with (
        serving(websocket_app(late)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(0x1, b"fine") + frame(0x3, b"bad opcode"))
        await anyio.wait_all_tasks_blocked()
        go.set()
        with anyio.fail_after(5):
            await client.expect_close(1002)
    assert seen == ["fine"]


@pytest.fixture
def stalled_server() -> Iterator[int]:
    """A server that completes the handshake and then never reads again."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(4096)
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in data.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key")
        )
        connection.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n\r\n"
        )
        stop.wait(30)
        connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(10)
    listener.close()


async def test_cancelling_a_client_stuck_on_a_stalled_server_returns_within_close_timeout(
    stalled_server: int,
) -> None:
    started = time.monotonic()
    with anyio.move_on_after(0.5):
        async with connect(
            f"ws://127.0.0.1:{stalled_server}/", close_timeout=1, ping_interval=None
        ) as ws:
            while True:
                await ws.send(b"x" * 65536)
    assert time.monotonic() - started < 5


async def test_timeout_queue_forgets_cancelled_registrations() -> None:
    async with Timers.open() as timers:
        queue = TimeoutQueue(3600, timers)
        for _ in range(300):
            queue.register(lambda: None).cancel()
        assert len(queue._live) == 0
        assert len(timers) == 0
