"""Every ASGI test runs on asyncio, uvloop and trio, unless its module narrows the choice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import BACKENDS, UVLOOP
from tests.helpers import AsyncioThread, asyncio_thread


@pytest.fixture(params=[*BACKENDS, UVLOOP])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    backend: tuple[str, dict[str, object]] = request.param
    return backend


@pytest.fixture
def peer() -> Iterator[AsyncioThread]:
    """An asyncio loop in a thread, for the websockets client."""
    with asyncio_thread() as thread:
        yield thread
