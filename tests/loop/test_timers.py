"""Timers and the timeout queue: Ktor's WeakTimeoutQueue tests, for a queue that expires itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from wsrs import TimeoutQueue, Timers

pytestmark = pytest.mark.anyio


async def test_timers_fire_in_deadline_order_and_skip_cancelled_ones() -> None:
    fired: list[str] = []
    done = anyio.Event()
    async with Timers.open() as timers:
        timers.call_later(0.03, lambda: fired.append("late"))
        cancelled = timers.call_later(0.01, lambda: fired.append("cancelled"))
        timers.call_later(0.02, lambda: fired.append("early"))
        timers.call_later(0.04, done.set)
        cancelled.cancel()
        await done.wait()
    assert fired == ["early", "late"]


async def test_an_earlier_deadline_added_later_wakes_the_timer_task() -> None:
    done = anyio.Event()
    async with Timers.open() as timers:
        timers.call_later(3600, lambda: None)
        timers.call_later(0.01, done.set)
        with anyio.fail_after(5):
            await done.wait()


async def test_registration_expires_on_its_own_without_further_registrations() -> None:
    expired = anyio.Event()
    async with Timers.open() as timers:
        queue = TimeoutQueue(0.02, timers)
        queue.register(expired.set)
        with anyio.fail_after(5):
            await expired.wait()


async def test_with_timeout_returns_the_result_when_in_time() -> None:
    async with Timers.open() as timers:
        queue = TimeoutQueue(10, timers)

        async def quick() -> str:
            return "done"

        assert await queue.with_timeout(quick) == "done"
        assert len(timers) == 0


async def test_with_timeout_raises_timeout_error_when_expired() -> None:
    async with Timers.open() as timers:
        queue = TimeoutQueue(0.02, timers)
        with pytest.raises(TimeoutError):
            await queue.with_timeout(anyio.sleep_forever)


async def test_with_timeout_propagates_the_blocks_own_failure() -> None:
    async with Timers.open() as timers:
        queue = TimeoutQueue(10, timers)

        async def broken() -> None:
            raise KeyError("mine")

        with pytest.raises(KeyError, match="mine"):
            await queue.with_timeout(broken)


async def test_with_timeout_fails_at_once_when_already_cancelled() -> None:
    ran = False

    async def block() -> None:
        nonlocal ran
        ran = True

    async with Timers.open() as timers:
        queue = TimeoutQueue(10, timers)
        with anyio.CancelScope() as scope:
            scope.cancel()
            await queue.with_timeout(block)
    assert scope.cancelled_caught
    assert not ran


async def test_cancel_expires_everything_and_refuses_new_registrations() -> None:
    expired: list[int] = []
    async with Timers.open() as timers:
        queue = TimeoutQueue(3600, timers)
        queue.register(lambda: expired.append(1))
        queue.register(lambda: expired.append(2))
        queue.cancel()
        with pytest.raises(RuntimeError):
            queue.register(lambda: None)
    assert expired == [1, 2]


async def test_cancelled_handles_are_dropped_before_they_outnumber_a_third_of_the_live_ones() -> (
    None
):
    # An upgraded connection leaves its HTTP timers cancelled beside the session's live ping
    # timer: the dead must not stay in the heap one for one with the live.
    async with Timers.open() as timers:
        for _ in range(1000):
            timers.call_later(3600, lambda: None)
            timers.call_later(3600, lambda: None).cancel()
        assert len(timers) == 1000
        assert len(timers._heap) <= 1000 + 1000 // 3 + 1


async def test_no_callback_fires_before_its_deadline() -> None:
    # On asyncio's selector loop the deadline is a timerfd's, in whole nanoseconds: rounded up.
    late: list[float] = []
    done = anyio.Event()

    def lateness(deadline: float) -> Callable[[], None]:
        return lambda: late.append(anyio.current_time() - deadline)

    async with Timers.open() as timers:
        for n in range(20):
            deadline = anyio.current_time() + 0.001 * (n % 5)
            timers.call_at(deadline, lateness(deadline))
        timers.call_later(0.01, done.set)
        with anyio.fail_after(5):
            await done.wait()
    assert len(late) == 20
    assert min(late) >= 0


@pytest.mark.parametrize("anyio_backend", ["asyncio"], indirect=True)
async def test_on_asyncios_selector_loop_the_deadline_is_no_timer_of_the_loops() -> None:
    loop: Any = asyncio.get_running_loop()
    watched = set(loop._selector.get_map())
    fired = anyio.Event()
    async with Timers.open() as timers:
        timers.call_later(3600, lambda: None)
        timers.call_later(0.01, fired.set)
        await anyio.wait_all_tasks_blocked()
        assert [handle for handle in loop._scheduled if not handle.cancelled()] == []
        with anyio.fail_after(5):
            await fired.wait()
    assert set(loop._selector.get_map()) == watched  # the timerfd is closed with the timers
