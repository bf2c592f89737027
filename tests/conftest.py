"""Shared fixtures: every async test runs on asyncio and on trio through anyio's pytest plugin;
Redis servers for the broker tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.redis_server import RedisServer

settings.register_profile("fast", max_examples=100, deadline=None)
settings.register_profile(
    "slow", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

BACKENDS = [
    pytest.param(("asyncio", {"use_uvloop": False}), id="asyncio"),
    pytest.param(("trio", {}), id="trio"),
]
UVLOOP = pytest.param(
    ("asyncio", {"use_uvloop": True}),
    id="uvloop",
    marks=pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows"),
)


def backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """The event loop a test runs on, from its parameter."""
    param: tuple[str, dict[str, object]] = request.param
    return param


anyio_backend = pytest.fixture(params=BACKENDS, name="anyio_backend")(backend)
"""Run the test once on asyncio and once on trio; `tests.every_loop` adds uvloop."""


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server shared by the tests that do not stop it."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A Redis server of the test's own, which the test may stop and start again."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
