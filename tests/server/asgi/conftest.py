"""Every ASGI test runs on asyncio, uvloop and trio, unless its module narrows the choice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.every_loop import every_loop  # noqa: F401 (the fixture, by import)
from tests.helpers import AsyncioThread, asyncio_thread


@pytest.fixture
def peer() -> Iterator[AsyncioThread]:
    """An asyncio loop in a thread, for the websockets client."""
    with asyncio_thread() as thread:
        yield thread
