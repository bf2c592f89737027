"""Parking: tasks wait for a callback's wake-up; `wake_now` may resume them before it returns."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable

import anyio
import pytest

from wsrs._loop.sync import Parking, new_parking

pytestmark = pytest.mark.anyio

ASYNCIO_ONLY = pytest.mark.parametrize("anyio_backend", ["asyncio"], indirect=True)

who = contextvars.ContextVar[str]("who", default="nobody")


async def test_wake_now_wakes_every_parked_task() -> None:
    parking = new_parking(resuming=True)
    woken: list[int] = []
    parked = anyio.Event()
    waiting: list[int] = []

    async def waiter(number: int) -> None:
        waiting.append(number)
        if len(waiting) == 3:
            parked.set()  # no checkpoint from here to the park: all three are parked
        await parking.park()
        woken.append(number)

    async with anyio.create_task_group() as group:
        for number in range(3):
            group.start_soon(waiter, number)
        await parked.wait()
        parking.wake_now()
    assert sorted(woken) == [0, 1, 2]


async def parked_waiter(parking: Parking, events: list[str]) -> asyncio.Task[None]:
    """A task parked at `parking` that records, once resumed, whose context it runs in."""
    ready = asyncio.Event()

    async def park_then_record() -> None:
        who.set("waiter")
        ready.set()  # no checkpoint from here to the park
        await parking.park()
        events.append(f"resumed in {who.get()}'s context")

    task = asyncio.get_running_loop().create_task(park_then_record())
    await ready.wait()
    return task


async def in_a_callback(function: Callable[[], None]) -> None:
    """Run `function` from a loop callback (no task running) and wait until it has returned."""
    done = asyncio.Event()

    def callback() -> None:
        function()
        done.set()

    asyncio.get_running_loop().call_soon(callback)
    await done.wait()


@ASYNCIO_ONLY
async def test_from_a_callback_wake_now_resumes_the_task_before_it_returns() -> None:
    parking = new_parking(resuming=True)
    events: list[str] = []
    task = await parked_waiter(parking, events)

    def wake() -> None:
        parking.wake_now()
        events.append("wake_now returned")

    await in_a_callback(wake)
    await task
    assert events == ["resumed in waiter's context", "wake_now returned"]


@ASYNCIO_ONLY
async def test_inside_a_task_wake_now_schedules_the_wake_up_instead() -> None:
    parking = new_parking(resuming=True)
    events: list[str] = []
    task = await parked_waiter(parking, events)
    parking.wake_now()
    events.append("wake_now returned")
    await task
    assert events == ["wake_now returned", "resumed in waiter's context"]


@ASYNCIO_ONLY
async def test_a_cancelled_waiter_gets_its_cancellation_and_later_wakes_skip_it() -> None:
    parking = new_parking(resuming=True)
    events: list[str] = []
    task = await parked_waiter(parking, events)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    def wake_twice() -> None:
        parking.wake_now()
        parking.wake()

    await in_a_callback(wake_twice)
    assert events == []


@ASYNCIO_ONLY
async def test_a_task_that_parks_again_while_resumed_waits_for_the_next_wake() -> None:
    parking = new_parking(resuming=True)
    rounds: list[int] = []
    ready = asyncio.Event()

    async def loop_waiter() -> None:
        ready.set()
        for number in range(3):
            await parking.park()
            rounds.append(number)

    task = asyncio.get_running_loop().create_task(loop_waiter())
    await ready.wait()
    seen: list[list[int]] = []

    def wake_three_times() -> None:
        for _ in range(3):
            parking.wake_now()
            seen.append(list(rounds))

    await in_a_callback(wake_three_times)
    await task
    assert seen == [[0], [0, 1], [0, 1, 2]]


def test_an_interrupt_out_of_a_resumed_task_still_wakes_the_other_waiters() -> None:
    # A KeyboardInterrupt (or SystemExit) a task raises while `wake_now` runs it leaves the loop
    # through the callback; the tasks parked after it must still be woken, as `wake` would have.
    loop = asyncio.new_event_loop()
    woken: list[str] = []

    async def interrupted(parking: Parking) -> None:
        await parking.park()
        raise KeyboardInterrupt

    async def other(parking: Parking) -> None:
        await parking.park()
        woken.append("other")

    async def park_both() -> tuple[Parking, asyncio.Task[None], asyncio.Task[None]]:
        parking = new_parking(resuming=True)
        first = loop.create_task(interrupted(parking))
        second = loop.create_task(other(parking))
        await asyncio.sleep(0)  # both ran up to their park, in order
        return parking, first, second

    try:
        parking, first, second = loop.run_until_complete(park_both())
        loop.call_soon(parking.wake_now)
        with pytest.raises(KeyboardInterrupt):
            loop.run_forever()
        assert isinstance(first.exception(), KeyboardInterrupt)
        loop.run_until_complete(asyncio.wait_for(second, 5))
        assert woken == ["other"]
    finally:
        loop.close()
