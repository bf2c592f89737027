"""Every session test runs on asyncio, uvloop and trio: each loop reads and wakes differently."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, UVLOOP


@pytest.fixture(params=[*BACKENDS, UVLOOP])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    backend: tuple[str, dict[str, object]] = request.param
    return backend
