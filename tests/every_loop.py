"""`every_loop`: the `anyio_backend` fixture on asyncio, uvloop and trio.

A module or conftest that imports it runs its tests on all three loops (a fixture of the same
name in `tests/conftest.py` would apply everywhere, so it lives here).
"""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, UVLOOP, backend

every_loop = pytest.fixture(params=[*BACKENDS, UVLOOP], name="anyio_backend")(backend)
