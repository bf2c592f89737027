"""Parking: tasks wait for a callback's wake-up; a cancelled waiter is skipped by later wakes."""

from __future__ import annotations

import anyio
import pytest

from wsrs._loop.sync import new_parking

pytestmark = pytest.mark.anyio


async def test_wake_wakes_every_parked_task() -> None:
    parking = new_parking()
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
        parking.wake()
    assert sorted(woken) == [0, 1, 2]


async def test_a_cancelled_waiter_is_skipped_and_the_next_park_waits_for_the_next_wake() -> None:
    parking = new_parking()
    woken: list[str] = []
    parked_again = anyio.Event()

    async def cancelled() -> None:
        with anyio.move_on_after(0):
            await parking.park()
        woken.append("cancelled one went on")
        parked_again.set()  # no checkpoint from here to the park
        await parking.park()
        woken.append("woken")

    async with anyio.create_task_group() as group:
        group.start_soon(cancelled)
        await parked_again.wait()
        parking.wake()
    assert woken == ["cancelled one went on", "woken"]
