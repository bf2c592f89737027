"""The timerfd behind `Timers` on asyncio's selector loop: what it must not cost or break."""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest

from tests.helpers import serving, websocket_app
from wsrs import DefaultWebSocketSession, Timers, connect

pytestmark = pytest.mark.anyio

ASYNCIO_ONLY = pytest.mark.parametrize("anyio_backend", ["asyncio"], indirect=True)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_deadlines_already_past_fire_at_once_in_deadline_order() -> None:
    fired: list[str] = []
    done = anyio.Event()
    async with Timers.open() as timers:
        now = anyio.current_time()
        timers.call_at(now - 1, lambda: fired.append("a second ago"))
        timers.call_at(0, lambda: fired.append("at zero"))
        timers.call_at(now, lambda: fired.append("now"))
        timers.call_at(now, done.set)
        with anyio.fail_after(5):
            await done.wait()
    assert fired == ["at zero", "a second ago", "now"]


@ASYNCIO_ONLY
async def test_timers_cancelled_while_waiting_leave_no_descriptor_or_reader_behind() -> None:
    loop: Any = asyncio.get_running_loop()
    watched = set(loop._selector.get_map())
    before = open_descriptors()
    for _ in range(50):
        with anyio.CancelScope() as scope:
            async with Timers.open() as timers:
                timers.call_later(3600, lambda: None)
                await anyio.wait_all_tasks_blocked()
                scope.cancel()
                await anyio.sleep_forever()
    assert open_descriptors() == before
    assert set(loop._selector.get_map()) == watched


def test_a_loop_with_its_own_clock_runs_timers_on_that_clock() -> None:
    # A timerfd reads the monotonic clock: a loop whose time() differs must not be given one.
    class AheadLoop(asyncio.SelectorEventLoop):
        def time(self) -> float:
            return super().time() + 3600

    async def fire_soon() -> None:
        fired = asyncio.Event()
        async with Timers.open() as timers:
            timers.call_later(0.01, fired.set)
            await asyncio.wait_for(fired.wait(), 5)

    loop = AheadLoop()
    try:
        loop.run_until_complete(fire_soon())
    finally:
        loop.close()


@ASYNCIO_ONLY
async def test_a_client_connection_costs_one_descriptor_its_socket() -> None:
    async def session(ws: DefaultWebSocketSession) -> None:
        await ws.wait_closed()

    connections = 20
    async with serving(websocket_app(session)) as server, AsyncExitStack() as clients:
        before = open_descriptors()
        for _ in range(connections):
            await clients.enter_async_context(connect(f"ws://127.0.0.1:{server.port}/ws"))
        # Both ends are in this process: the client's socket and the accepted one.
        assert open_descriptors() - before == 2 * connections
