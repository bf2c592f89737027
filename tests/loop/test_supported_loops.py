"""Outside asyncio and trio, `serve` and `connect` say so at once instead of failing later."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pytest

import wsrs


def run_without_asyncio_or_trio(coroutine: Coroutine[Any, Any, object]) -> object:
    """A minimal coroutine runner of its own (as curio or a hand-rolled loop is): no asyncio loop
    and no trio task is running while it steps the coroutine."""
    try:
        while True:
            coroutine.send(None)
    except StopIteration as done:
        return done.value
    finally:
        coroutine.close()


async def enter_server() -> None:
    async with wsrs.serve(wsrs.App(), "127.0.0.1", 0):
        pass


async def open_client() -> None:
    async with wsrs.connect("ws://127.0.0.1:9/"):
        pass


@pytest.mark.parametrize(
    ("entry", "api"), [(enter_server, "wsrs.serve"), (open_client, "wsrs.connect")]
)
def test_entry_points_refuse_a_foreign_coroutine_runner_with_a_clear_error(
    entry: Any, api: str
) -> None:
    with pytest.raises(wsrs.UnsupportedEventLoop, match=f"^{api} runs on asyncio") as raised:
        run_without_asyncio_or_trio(entry())
    assert isinstance(raised.value, RuntimeError)
    assert isinstance(raised.value, wsrs.WsrsError)
