"""`wsrs.broadcast`: one frame for every session, written without waiting, slow consumers bounded.

Servers run on 127.0.0.1; the clients are hand-written sockets (`tests.wire.RawClient`) or wsrs
clients, so the bytes each session got are read exactly as they went out.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient
from wsrs import (
    CloseReason,
    DefaultWebSocketSession,
    Frame,
    Server,
    SlowConsumer,
    broadcast,
    connect,
)
from wsrs.ws.broadcast import encode_shared

pytestmark = pytest.mark.anyio


class Sessions:
    """The server sessions of a test, each held open until the test ends."""

    def __init__(self) -> None:
        self.open: list[DefaultWebSocketSession] = []
        self.joined = anyio.Event()
        self.expected = 0
        self.tuning: Callable[[DefaultWebSocketSession], None] | None = None

    async def handler(self, ws: DefaultWebSocketSession) -> None:
        if self.tuning is not None:
            self.tuning(ws)
        self.open.append(ws)
        if len(self.open) == self.expected:
            self.joined.set()
        await ws.wait_closed()


@asynccontextmanager
async def sessions_of(
    count: int, **options: object
) -> AsyncIterator[tuple[Server, Sessions, list[RawClient]]]:
    """A server and `count` raw clients connected to it, with the server sessions joined."""
    sessions = Sessions()
    sessions.expected = count
    async with serving(websocket_app(sessions.handler), ping_interval=None, **options) as server:
        clients = [await RawClient.connect(server.port, "/ws") for _ in range(count)]
        try:
            with anyio.fail_after(10):
                await sessions.joined.wait()
            yield server, sessions, clients
        finally:
            for client in clients:
                await client.aclose()


async def test_every_open_session_gets_every_broadcast_in_order() -> None:
    async with sessions_of(40) as (_, sessions, clients):
        messages: list[str | bytes] = [f"message {i}" for i in range(10)]
        messages += [b"\x00binary\xff", "é" * 1000, bytes(70_000)]
        for message in messages:
            assert broadcast(sessions.open, message) == []
        for client in clients:
            for message in messages:
                received = await client.read_frame()
                assert received.fin
                assert not received.masked
                assert received.opcode == (1 if isinstance(message, str) else 2)
                expected = message.encode() if isinstance(message, str) else message
                assert received.payload == expected


def test_the_shared_frame_is_the_wire_form_of_the_message() -> None:
    assert encode_shared("Hello") == b"\x81\x05Hello"
    assert encode_shared(b"\x01\x02") == b"\x82\x02\x01\x02"
    assert encode_shared(bytes(300))[:4] == b"\x82\x7e\x01\x2c"


async def test_closed_and_closing_sessions_are_skipped_and_the_rest_served() -> None:
    async with sessions_of(3) as (_, sessions, clients):
        gone, closing, _ = sessions.open
        await clients[0].aclose()
        with anyio.fail_after(5):
            await gone.wait_closed()
        closing.send_nowait(Frame.close())  # our Close is out: nothing more may follow it
        assert broadcast(sessions.open, "after") == [gone, closing]
        assert (await clients[2].read_frame()).payload == b"after"
        assert (await clients[1].read_frame()).opcode == 0x8


async def test_a_session_with_its_own_fragmented_message_open_is_skipped() -> None:
    async with sessions_of(2) as (_, sessions, clients):
        busy = sessions.open[0]
        await busy.send(Frame.text("first half ", fin=False))
        assert broadcast(sessions.open, "everyone") == [busy]
        await busy.send(Frame.text("second half"))
        assert broadcast(sessions.open, "again") == []
        assert [(await clients[0].read_frame()).payload for _ in range(3)] == [
            b"first half ",
            b"second half",
            b"again",
        ]
        assert [(await clients[1].read_frame()).payload for _ in range(2)] == [
            b"everyone",
            b"again",
        ]


async def test_client_sessions_mask_their_own_copy() -> None:
    received: list[str] = []
    done = anyio.Event()

    async def collect(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            assert isinstance(message, str)
            received.append(message)
            if len(received) == 6:
                done.set()

    async with serving(websocket_app(collect)) as server:
        url = f"ws://127.0.0.1:{server.port}/ws"
        async with connect(url) as first, connect(url) as second, connect(url) as third:
            for i in range(2):
                assert broadcast([first, second, third], f"masked {i}") == []
            with anyio.fail_after(5):
                await done.wait()
    # A server refuses unmasked frames (1002): every copy arrived, so every copy was masked.
    assert sorted(received) == ["masked 0"] * 3 + ["masked 1"] * 3


def _session_of(sessions: Sessions, client: RawClient) -> DefaultWebSocketSession:
    """The server session at the other end of `client`'s connection."""
    port = client.stream.extra(anyio.abc.SocketAttribute.local_port)
    return next(ws for ws in sessions.open if ws.remote_address[1] == port)


def _small_send_buffer(ws: DefaultWebSocketSession) -> None:
    """Shrink the kernel's send buffer, so that a reader that stops shows up in user space."""
    ws._transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)


async def _fan_out_until_slow(
    sessions: Sessions,
    readers: list[RawClient],
    slow: DefaultWebSocketSession,
    policy: SlowConsumer,
) -> int:
    """Broadcast 16 KiB messages, one at a time, each read by every reader before the next,
    until `slow` (whose client never reads) is left out; return how many went out."""
    payload = bytes(16 * 1024)
    for sent in range(1, 400):
        skipped = broadcast(sessions.open, payload, slow_consumer=policy)
        for reader in readers:
            assert (await reader.read_frame()).payload == payload
        if skipped:
            assert skipped == [slow]
            return sent
        assert slow._transport.get_write_buffer_size() <= policy.limit
    raise AssertionError("the consumer that does not read was never found slow")


@pytest.mark.parametrize("action", ["skip", "close"])
async def test_a_consumer_that_stops_reading_is_dropped_by_policy_while_others_keep_up(
    action: str,
) -> None:
    policy = SlowConsumer(action, limit=64 * 1024, code=1008)  # type: ignore[arg-type]
    sessions = Sessions()
    sessions.expected = 4
    sessions.tuning = _small_send_buffer
    app = websocket_app(sessions.handler)
    async with serving(app, ping_interval=None, close_timeout=0.5) as server:
        stalled = await RawClient.connect(server.port, "/ws")
        readers = [await RawClient.connect(server.port, "/ws") for _ in range(3)]
        with anyio.fail_after(30):
            await sessions.joined.wait()
            slow = _session_of(sessions, stalled)
            await _fan_out_until_slow(sessions, readers, slow, policy)
            if action == "skip":
                # Still open, still skipped while its buffer stays full.
                assert not slow.close_reason.done()
            else:
                assert await slow.close_reason == CloseReason(1008, "Slow consumer")
                await slow.wait_closed()  # dropped once close_timeout passed
            assert broadcast(sessions.open, bytes(32 * 1024), slow_consumer=policy) == [slow]
            for reader in readers:
                assert len((await reader.read_frame()).payload) == 32 * 1024
        for client in [stalled, *readers]:
            await client.aclose()


async def test_the_servers_policy_applies_when_the_call_names_none() -> None:
    sessions = Sessions()
    sessions.expected = 2
    sessions.tuning = _small_send_buffer
    policy = SlowConsumer("close", limit=32 * 1024)
    async with serving(
        websocket_app(sessions.handler), ping_interval=None, close_timeout=0.5, slow_consumer=policy
    ) as server:
        stalled = await RawClient.connect(server.port, "/ws")
        reader = await RawClient.connect(server.port, "/ws")
        with anyio.fail_after(30):
            await sessions.joined.wait()
            slow = _session_of(sessions, stalled)
            for _ in range(400):
                if broadcast(sessions.open, bytes(8192)):
                    break
                await reader.read_frame()
            assert await slow.close_reason == CloseReason(1013, "Slow consumer")
        await stalled.aclose()
        await reader.aclose()


def test_policies_refuse_what_they_cannot_do() -> None:
    with pytest.raises(ValueError, match="1008 or 1013"):
        SlowConsumer("close", code=1000)
    with pytest.raises(ValueError, match="skip"):
        SlowConsumer("drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        SlowConsumer(limit=0)
