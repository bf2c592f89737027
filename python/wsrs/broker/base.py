"""`Broker`: what carries a published message to the hub of every process listening to its topic.

A broker serves one hub, the one of its process: the hub attaches its fan-out (`attach`), tells
it when a topic gains its first local member or loses its last (`subscribe`, `unsubscribe`), and
runs its background work for as long as the server does (`run`). `publish` hands a message over;
the broker calls the attached fan-out once for every message of a carried topic, in the order
the topic's messages were published by each publisher.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import anyio
import anyio.abc

__all__ = ["Broker", "BrokerEvent", "Deliver"]

Deliver = Callable[[str, str | bytes], object]
"""The hub's fan-out: `deliver(topic, message)` hands a message to the topic's local members."""


@dataclass(frozen=True, slots=True)
class BrokerEvent:
    """What a broker tells the application about its connection and what it carried.

    - ``"connected"``: connected (again, when `reconnect` is True), every carried topic
      subscribed anew.
    - ``"disconnected"``: the connection was lost or could not be made (`detail` says why);
      the broker retries with backoff.
    - ``"gap"``: `missed` messages of `topic` from one publisher never arrived (an outage).
    """

    kind: Literal["connected", "disconnected", "gap"]
    detail: str = ""
    topic: str | None = None
    missed: int = 0
    reconnect: bool = False


class Broker(ABC):
    """Carries messages between the hubs of processes; see the module docstring."""

    _deliver: Deliver | None = None

    def attach(self, deliver: Deliver) -> None:
        """Give the broker its hub's fan-out; a broker serves one hub."""
        if self._deliver is not None:
            raise RuntimeError("this broker already serves a hub")
        self._deliver = deliver

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Do the background work until cancelled; `started` comes without waiting for a peer."""
        task_status.started()
        await anyio.Event().wait()

    def subscribe(self, topic: str) -> None:
        """`topic` has its first local member: carry it here from now on."""
        return

    def unsubscribe(self, topic: str) -> None:
        """`topic` has no local member left: stop carrying it here."""
        return

    async def subscribed(self, topic: str) -> None:
        """Return once `topic` is carried, or at once while it cannot be (it will be later)."""
        return

    @abstractmethod
    async def publish(self, topic: str, message: str | bytes) -> None:
        """Hand `message` over for every process's members of `topic`.

        Raises `BrokerUnavailable` at once when the message cannot be taken.
        """
