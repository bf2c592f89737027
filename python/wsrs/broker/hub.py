"""`Hub`: topics of this process joined to a broker, so that one publish reaches every member.

Sessions join topics with `await ws.subscribe(topic)` (a server gives each of its sessions its
hub) and leave with `ws.unsubscribe(topic)` or when they close. `await hub.publish(topic, message)`
works from any handler, plain HTTP ones included. With the default `MemoryBroker` the members
are this process's; with `RedisBroker` they are those of every process sharing the Redis server.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import anyio
import anyio.abc

from wsrs.broker.base import Broker
from wsrs.broker.memory import MemoryBroker
from wsrs.ws.broadcast import SlowConsumer
from wsrs.ws.topics import Listener, Topics

__all__ = ["Hub"]


class Hub:
    """Publish to topics whose members are sessions of every process sharing `broker`.

    `serve(app, broker=...)` makes one and runs it for as long as the server (`server.hub`);
    `serve(app, hub=hub)` uses a hub made beforehand, so that handlers can reach it. A hub runs
    in one server at a time.
    """

    def __init__(
        self, broker: Broker | None = None, *, slow_consumer: SlowConsumer | None = None
    ) -> None:
        self.broker = broker if broker is not None else MemoryBroker()
        """Carries the messages between processes (`MemoryBroker`: this process only)."""
        self.topics = Topics(self.broker, slow_consumer=slow_consumer)
        """This process's memberships; `deliver` fans a message out to them."""
        self.broker.attach(self.topics.deliver)
        self._running = False

    async def publish(self, topic: str, message: str | bytes) -> None:
        """Send `message` (text for `str`, binary for bytes) to every member of `topic`.

        Raises `BrokerUnavailable` when the broker cannot take it now (see the broker).
        """
        await self.topics.publish(topic, message)

    def members(self, topic: str) -> int:
        """How many sessions of this process are members of `topic`."""
        return self.topics.members(topic)

    async def listen(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Call `listener(message)` for every message of `topic`; returns what stops it."""
        return await self.topics.listen(topic, listener)

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Run the broker's background work until cancelled (servers do this for their hub)."""
        if self._running:
            raise RuntimeError("this hub is already running")
        self._running = True
        try:
            await self.broker.run(task_status=task_status)
        finally:
            self._running = False

    async def __aenter__(self) -> Hub:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        await self._group.start(self.run)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        self._group.cancel_scope.cancel()
        return await self._group.__aexit__(exc_type, exc, traceback)
