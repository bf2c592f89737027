"""`task_group`: the error of a lone failing task comes out as itself, nested groups included."""

from __future__ import annotations

import anyio
import pytest

from wsrs._loop.sync import Deferred, new_parking, task_group

pytestmark = pytest.mark.anyio


async def _fail() -> None:
    raise ValueError("inner")


async def _nested() -> None:
    async with anyio.create_task_group() as inner:
        inner.start_soon(_fail)


async def test_a_lone_error_inside_a_nested_group_comes_out_as_itself() -> None:
    # As a KeyboardInterrupt landing in a task of the server's trio nursery does.
    with pytest.raises(ValueError, match="inner"):
        async with task_group() as outer:
            outer.start_soon(_nested)


async def _two_failures() -> None:
    async with task_group() as outer:
        outer.start_soon(_fail)
        outer.start_soon(_nested)


async def test_several_errors_stay_a_group() -> None:
    with pytest.raises(BaseExceptionGroup) as raised:
        await _two_failures()
    assert len(raised.value.exceptions) == 2


@pytest.fixture
def deferred() -> Deferred[int]:
    """Made by a plain fixture: outside any running event loop."""
    return Deferred[int]()


async def test_a_deferred_made_outside_any_loop_is_awaited_inside_one(
    deferred: Deferred[int],
) -> None:
    # Its parking is made by the first waiter, in the waiter's loop (asyncio or trio).
    waited: list[int] = []

    async def wait() -> None:
        waited.append(await deferred)

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        group.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        assert deferred.set(7)
    assert waited == [7, 7]


async def test_a_deferred_set_before_anyone_waits_returns_at_once(deferred: Deferred[int]) -> None:
    assert deferred.set(3)
    assert not deferred.set(4)
    with anyio.fail_after(5):
        assert await deferred == 3


async def test_a_parking_waited_at_again_after_a_cancelled_wait_still_wakes() -> None:
    parking = new_parking()
    with anyio.move_on_after(0.01):
        await parking.park()
    woken = anyio.Event()

    async def wait() -> None:
        await parking.park()
        woken.set()

    async with anyio.create_task_group() as group:
        group.start_soon(wait)
        await anyio.wait_all_tasks_blocked()
        parking.wake()
        with anyio.fail_after(5):
            await woken.wait()
