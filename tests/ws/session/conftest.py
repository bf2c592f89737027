"""Every session test runs on asyncio, uvloop and trio: each loop reads and wakes differently."""

from __future__ import annotations

from tests.every_loop import every_loop  # noqa: F401 (the fixture, by import)
