"""Back-pressure and cancellation: bounded memory against a stalled peer, nothing lost or leaked."""

from __future__ import annotations

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient
from wsrs import DefaultWebSocketSession, connect

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024


def rss() -> int:
    """This process's resident memory, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def test_sending_a_gibibyte_to_a_stalled_reader_waits_with_bounded_memory() -> None:
    payload = b"\x5a" * MIB
    count = 1024
    sent = 0
    started = anyio.Event()
    finished = anyio.Event()

    async def producer(ws: DefaultWebSocketSession) -> None:
        nonlocal sent
        for _ in range(count):
            await ws.send(payload)
            sent += 1
            started.set()
        finished.set()
        async for _ in ws:
            pass

    async with (
        serving(websocket_app(producer)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        before = rss()
        await started.wait()
        await anyio.wait_all_tasks_blocked()
        stalled_at = sent
        growth = rss() - before
        assert stalled_at < count
        assert growth < 64 * MIB
        expected = count * (MIB + 10)
        received = len(client.buffer)
        client.buffer.clear()
        while received < expected:
            received += len(await client.stream.receive())
        with anyio.fail_after(10):
            await finished.wait()
    assert received == expected
    assert sent == count


async def test_a_cancelled_receive_loses_no_message() -> None:
    ready = anyio.Event()
    go = anyio.Event()

    async def talker(ws: DefaultWebSocketSession) -> None:
        await go.wait()
        await ws.send("first")
        await ws.send("second")
        async for _ in ws:
            pass

    async with (
        serving(websocket_app(talker)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
    ):
        with anyio.CancelScope() as scope:
            ready.set()
            scope.cancel()
            await ws.receive()
        assert scope.cancelled_caught
        go.set()
        assert await ws.receive() == "first"
        received = []
        with anyio.move_on_after(0):
            received.append(await ws.receive())
        if not received:
            received.append(await ws.receive())
        assert received == ["second"]


async def test_a_send_cancelled_while_waiting_writes_nothing_and_later_sends_work() -> None:
    go = anyio.Event()
    received: list[bytes | str] = []

    async def slow_reader(ws: DefaultWebSocketSession) -> None:
        await go.wait()
        async for message in ws:
            received.append(message)
            if message == "after":
                return

    completed = 0
    flowing = anyio.Event()

    async def flood(ws: DefaultWebSocketSession) -> None:
        nonlocal completed
        for number in range(1000):
            await ws.send(bytes([number % 256]) * MIB)
            completed += 1
            flowing.set()

    async with (
        serving(websocket_app(slow_reader)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
    ):
        async with anyio.create_task_group() as tg:
            tg.start_soon(flood, ws)
            await flowing.wait()
            await anyio.wait_all_tasks_blocked()
            tg.cancel_scope.cancel()
        assert 0 < completed < 1000
        go.set()
        await ws.send("after")
        await ws.wait_closed()
    assert received[-1] == "after"
    assert received[:-1] == [bytes([number % 256]) * MIB for number in range(completed)]


async def test_cancelled_handlers_and_sessions_leave_no_task_behind() -> None:
    baseline = len(anyio.get_running_tasks())
    entered = anyio.Event()

    async def waiter(ws: DefaultWebSocketSession) -> None:
        entered.set()
        await ws.receive()

    app = websocket_app(waiter)
    async with serving(app, ping_interval=0.05, shutdown_timeout=0.1) as server:
        async with connect(f"ws://127.0.0.1:{server.port}/ws", ping_interval=0.05) as ws:
            await entered.wait()
            with anyio.move_on_after(0.01):
                await ws.receive()
        async with connect(f"ws://127.0.0.1:{server.port}/ws", ping_interval=0.05) as ws:
            await ws.send("wakes the handler, which returns")
            await ws.wait_closed()
        async with connect(f"ws://127.0.0.1:{server.port}/ws", ping_interval=0.05):
            pass
        third = await anyio.connect_tcp("127.0.0.1", server.port)
    await third.aclose()
    assert len(anyio.get_running_tasks()) == baseline
