"""`task_group`: the error of a lone failing task comes out as itself, nested groups included."""

from __future__ import annotations

import anyio
import pytest

from wsrs._loop.sync import task_group

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
