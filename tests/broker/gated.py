"""`GatedBroker`: the in-memory broker with subscriptions that wait for the test, as a Redis
subscription waits for its round trip or for the end of an outage."""

from __future__ import annotations

import json
from collections.abc import Callable

import anyio

from wsrs import MemoryBroker


class GatedBroker(MemoryBroker):
    """The in-memory broker, but a topic counts as carried only while the gate is open; every
    presence announcement it takes is kept."""

    def __init__(self) -> None:
        self.gate = anyio.Event()
        self.gate.set()
        self.waiting = 0
        self.changed = anyio.Event()
        self.presence: list[dict[str, object]] = []

    def _changed(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()

    async def subscribed(self, topic: str) -> None:
        if not self.gate.is_set():
            self.waiting += 1
            self._changed()
            await self.gate.wait()

    async def publish(self, topic: str, message: str | bytes) -> None:
        if topic.startswith("presence:"):
            self.presence.append(json.loads(message))
            self._changed()
        await super().publish(topic, message)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, re-checked whenever a subscription waits or a
        presence announcement is published."""
        while not condition():
            await self.changed.wait()
