"""`Topics`: which sessions of this process are members of which topic, and the fan-out to them.

Sessions join with `await ws.subscribe(topic)` and leave with `ws.unsubscribe(topic)`, or all at
once when their connection ends; `await ws.publish(topic, message)` publishes through the same
registry. A plain callback can listen to a topic too (`listen`), for code
that reacts to a topic without a session of its own. `deliver` hands a message to every member
at once, with `broadcast`: it never awaits, so messages of one topic reach each member in the
order they were delivered.

A registry tells its link (the hub's broker) when a topic gains its first local member and when
it loses its last, so that a broker shared between processes carries only the topics someone
here listens to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from wsrs.ws.broadcast import SlowConsumer, broadcast

if TYPE_CHECKING:
    from wsrs.ws._session_base import SessionBase

__all__ = ["Listener", "Subscriptions", "Topics"]

logger = logging.getLogger("wsrs")

Listener = Callable[[str | bytes], object]
"""A callback that receives every message of a topic, called as it is delivered."""


class Subscriptions(Protocol):
    """A registry's link (its hub's broker): told when a topic gains its first member or loses
    its last, and given what is published."""

    def subscribe(self, topic: str) -> None:
        """`topic` has its first local member: start carrying it (without waiting)."""

    def unsubscribe(self, topic: str) -> None:
        """`topic` has no local member left: stop carrying it (without waiting)."""

    async def subscribed(self, topic: str) -> None:
        """Return once `topic` is carried, or at once when it cannot be now (it will be later)."""

    async def publish(self, topic: str, message: str | bytes) -> None:
        """Carry `message` to the members of `topic` in every process (`deliver` here)."""


class Topics:
    """Topic memberships of this process's sessions and listeners; see the module docstring."""

    __slots__ = ("_link", "_listeners", "_members", "slow_consumer")

    def __init__(
        self, link: Subscriptions | None = None, *, slow_consumer: SlowConsumer | None = None
    ) -> None:
        self._link = link
        self._members: dict[str, dict[SessionBase[Any], None]] = {}
        self._listeners: dict[str, list[Listener]] = {}
        self.slow_consumer = slow_consumer
        """The slow-consumer policy of every delivery; None uses each session's own."""

    def topics(self) -> frozenset[str]:
        """The topics with at least one local member or listener."""
        return frozenset(self._members.keys() | self._listeners.keys())

    def members(self, topic: str) -> int:
        """How many sessions of this process are members of `topic`."""
        return len(self._members.get(topic, ()))

    async def join(self, session: SessionBase[Any], topic: str) -> None:
        """Make `session` a member of `topic` (see `SessionBase.subscribe`)."""
        _check_topic(topic)
        if session._connection_lost:
            return
        members = self._members.get(topic)
        if members is None:
            members = self._members[topic] = {}
        first = not members and topic not in self._listeners
        members[session] = None
        if session._joined is None:
            session._joined = {}
        session._joined[topic] = None
        await self._carried(topic, first)

    def leave(self, session: SessionBase[Any], topic: str) -> None:
        """Take `session` out of `topic`; a no-op when it is not a member."""
        members = self._members.get(topic)
        if members is None or session not in members:
            return
        del members[session]
        if session._joined is not None:
            session._joined.pop(topic, None)
        if not members:
            del self._members[topic]
            self._maybe_drop(topic)

    def leave_all(self, session: SessionBase[Any]) -> None:
        """Take `session` out of every topic (its connection ended)."""
        for topic in tuple(session._joined or ()):
            self.leave(session, topic)

    async def listen(self, topic: str, listener: Listener) -> Callable[[], None]:
        """Call `listener(message)` for every message of `topic`; returns what stops it."""
        _check_topic(topic)
        listeners = self._listeners.get(topic)
        if listeners is None:
            listeners = self._listeners[topic] = []
        first = not listeners and topic not in self._members
        listeners.append(listener)

        def stop() -> None:
            current = self._listeners.get(topic)
            if current is not None and listener in current:
                current.remove(listener)
                if not current:
                    del self._listeners[topic]
                    self._maybe_drop(topic)

        try:
            await self._carried(topic, first)
        except BaseException:
            stop()  # cancelled while the link subscribes: no listener left behind
            raise
        return stop

    async def publish(self, topic: str, message: str | bytes) -> None:
        """Send `message` (text for `str`, binary for bytes) to every member of `topic`: through
        the link when there is one, else straight to this process's members."""
        if not isinstance(message, str | bytes | bytearray | memoryview):
            raise TypeError(f"a message is str or bytes, not {type(message).__name__}")
        _check_topic(topic)
        if self._link is None:
            self.deliver(topic, message)
        else:
            await self._link.publish(topic, message)

    def deliver(self, topic: str, message: str | bytes) -> list[SessionBase[Any]]:
        """Hand `message` to every member of `topic` now; return the sessions that missed it."""
        skipped: list[SessionBase[Any]] = []
        members = self._members.get(topic)
        if members:
            # A snapshot: a session may leave (or close) while the message goes out.
            skipped = broadcast(tuple(members), message, slow_consumer=self.slow_consumer)
        for listener in tuple(self._listeners.get(topic, ())):
            try:
                listener(message)
            except Exception:
                logger.exception("listener of topic %r failed", topic)
        return skipped

    async def _carried(self, topic: str, first: bool) -> None:
        link = self._link
        if link is None:
            return
        if first:
            link.subscribe(topic)
        await link.subscribed(topic)

    def _maybe_drop(self, topic: str) -> None:
        if self._link is not None and topic not in self._members and topic not in self._listeners:
            self._link.unsubscribe(topic)


def _check_topic(topic: str) -> None:
    """Refuse a topic name a broker cannot carry: a broker's channel is the name in UTF-8, so a
    lone surrogate would fail there, for every topic, instead of here for this one."""
    try:
        topic.encode()
    except UnicodeEncodeError:
        raise ValueError(f"a topic name is valid UTF-8 text, not {topic!r}") from None
