"""The inbox reading the socket itself on asyncio's plain-socket transport (`read_directly`), and
how every loop ends a session whose peer goes away without a Close."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from wsrs import ConnectionClosed, ConnectionClosedError, DefaultWebSocketSession

pytestmark = pytest.mark.anyio

PLAIN_ASYNCIO = pytest.mark.parametrize("anyio_backend", ["asyncio"], indirect=True)


def registered_reader(ws: DefaultWebSocketSession) -> Any:
    """The callback asyncio's selector runs when the session's socket is readable."""
    loop: Any = asyncio.get_running_loop()
    fd = ws._transport.get_extra_info("socket").fileno()
    return loop._selector.get_key(fd).data[0]._callback


def inbox_paused(ws: DefaultWebSocketSession) -> bool:
    """Whether the session stopped reading because its inbox is full."""
    return ws._inbox.paused


@PLAIN_ASYNCIO
async def test_the_inbox_stays_the_sockets_reader_through_a_pause_for_a_full_inbox() -> None:
    sessions: list[DefaultWebSocketSession] = []
    done = anyio.Event()
    all_in = anyio.Event()
    received: list[str | bytes] = []

    async def slow(ws: DefaultWebSocketSession) -> None:
        sessions.append(ws)
        await done.wait()
        async for message in ws:
            received.append(message)
            if len(received) == 20:
                all_in.set()

    async with (
        serving(websocket_app(slow), incoming_capacity=2) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        assert registered_reader(sessions[0]) == sessions[0]._inbox.read_ready
        for n in range(20):
            await client.send(frame(0x1, str(n).encode()))
        await anyio.wait_all_tasks_blocked()
        assert inbox_paused(sessions[0])
        done.set()
        with anyio.fail_after(10):
            await all_in.wait()
        assert not inbox_paused(sessions[0])
        assert registered_reader(sessions[0]) == sessions[0]._inbox.read_ready
    assert received == [str(n) for n in range(20)]


@pytest.mark.parametrize("ending", ["eof", "reset"])
async def test_a_peer_gone_without_a_close_ends_the_session_abnormally_and_logs_no_error(
    ending: str, caplog: pytest.LogCaptureFixture
) -> None:
    ended: list[BaseException] = []
    first: list[str | bytes] = []

    async def receiver(ws: DefaultWebSocketSession) -> None:
        first.append(await ws.receive())
        try:
            await ws.receive()
        except ConnectionClosed as closed:
            ended.append(closed)

    caplog.set_level(logging.WARNING)
    async with (
        serving(websocket_app(receiver), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(0x1, b"only"))
        if ending == "reset":
            raw = client.stream.extra(anyio.abc.SocketAttribute.raw_socket)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            await client.stream.aclose()
        else:
            await client.stream.send_eof()
        with anyio.fail_after(10):
            while not ended:
                await anyio.wait_all_tasks_blocked()
    assert first == ["only"]
    assert isinstance(ended[0], ConnectionClosedError)
    assert ended[0].code == 1006
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@PLAIN_ASYNCIO
async def test_an_error_inside_a_read_fails_the_transport_as_asyncios_own_reader_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: DefaultWebSocketSession, events: object) -> None:
        raise RuntimeError("broken _deliver")

    ended = anyio.Event()
    reported: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "_exception_handler", lambda loop, context: reported.append(context))

    async def receiver(ws: DefaultWebSocketSession) -> None:
        monkeypatch.setattr(DefaultWebSocketSession, "_deliver", broken)
        try:
            await ws.receive()
        except ConnectionClosed:
            ended.set()

    async with (
        serving(websocket_app(receiver), ping_interval=None) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(0x9, b"ping"))  # a Ping goes to the session's `_deliver`
        with anyio.fail_after(10):
            await ended.wait()
            assert await client.read_until_closed() == b""
    assert [context["message"] for context in reported] == [
        "Fatal error: protocol.buffer_updated() call failed."
    ]
    assert isinstance(reported[0]["exception"], RuntimeError)
