"""`MemoryBroker`: the default broker, for one process: a publish is a delivery, at once."""

from __future__ import annotations

from wsrs.broker.base import Broker
from wsrs.exceptions import BrokerUnavailable

__all__ = ["MemoryBroker"]


class MemoryBroker(Broker):
    """Delivers every publish straight to its hub's members: nothing crosses a process.

    Messages of one topic reach each member in publish order, since delivery happens inside
    `publish`; nothing can be lost, so there are no sequence numbers to check.
    """

    async def publish(self, topic: str, message: str | bytes) -> None:
        deliver = self._deliver
        if deliver is None:
            raise BrokerUnavailable("this broker serves no hub yet")
        deliver(topic, message)
