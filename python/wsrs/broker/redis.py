"""`RedisBroker`: topics shared by processes and machines through Redis pub/sub, with coredis.

coredis is built on anyio, so the broker runs on asyncio and on trio; it is the optional extra
``pip install wsrs[redis]``. Each process holds two connections: one subscriber connection,
subscribed to the channel of every topic with a local member (``prefix + topic``), and one
publisher connection, on which one task sends every publish of the process in order (batched in
pipelines), so that Redis, which keeps each connection's order, delivers a topic's messages of
one publisher in the order they were published, exactly once to each subscribed process.

Outages: a lost or refused connection is retried with exponential backoff; the subscriber
subscribes every carried topic again once it is back. Each change is logged and given to
`on_event` as a `BrokerEvent`. While the publisher connection is away, `publish` raises
`BrokerUnavailable` at once, or queues up to `max_queued` messages that go out on reconnect.
Messages published while a subscriber was away are lost (Redis pub/sub keeps nothing); every
message carries its publisher's id and a per-topic sequence number, so the receiving broker
reports each gap (a ``"gap"`` event, and `gaps`) and drops duplicates. Nothing here blocks the
event loop: every wait is an await, and a publish never waits on a broker that is away.
"""

from __future__ import annotations

import logging
import os
import struct
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import anyio
import anyio.abc
import anyio.lowlevel

from wsrs._loop.sync import Deferred, Parking, new_parking
from wsrs.broker.base import Broker, BrokerEvent
from wsrs.exceptions import BrokerUnavailable

if TYPE_CHECKING:
    import coredis
    from coredis.patterns.pubsub import PubSub

__all__ = ["RedisBroker"]

logger = logging.getLogger("wsrs")

_ENVELOPE = struct.Struct(">2sB8sQ")
"""What precedes each payload on the wire: magic, kind (0 text, 1 binary), publisher, sequence."""
_MAGIC = b"w1"
_TEXT, _BINARY = 0, 1
_BATCH = 256
"""Publishes sent in one pipeline at most."""
_TRACKED_TOPICS = 65_536
"""Topics whose sequence a publisher keeps; the one published least recently is forgotten first,
and starts again at 1 (which subscribers take as a fresh start), so per-user topics do not grow
the table without end."""
_TRACKED_PUBLISHERS = 64
"""Publishers whose last sequence a subscriber keeps per topic; the one heard least recently is
forgotten first (its next message is then taken without a gap check)."""

State = Literal["connecting", "up", "down"]


class _Outgoing:
    """One publish on its way: taken by the publisher task unless cancelled first."""

    __slots__ = ("cancelled", "channel", "done", "kind", "payload", "topic")

    def __init__(self, channel: bytes, topic: str, message: str | bytes) -> None:
        self.channel = channel
        self.topic = topic
        if isinstance(message, str):
            self.kind, self.payload = _TEXT, message.encode()
        else:
            self.kind, self.payload = _BINARY, bytes(message)
        self.cancelled = False
        self.done: Deferred[BaseException | None] | None = None


class RedisBroker(Broker):
    """Redis pub/sub as the broker of a hub; see the module docstring.

    `url` is a ``redis://HOST:PORT/DB`` URL. `backoff` is the first and the longest wait
    between reconnection attempts, in seconds. `timeout` bounds connecting and each command.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "wsrs:",
        max_queued: int = 0,
        backoff: tuple[float, float] = (0.1, 5.0),
        timeout: float = 5.0,
        on_event: Callable[[BrokerEvent], object] | None = None,
    ) -> None:
        try:
            import coredis  # noqa: F401
        except ImportError:
            raise ImportError("RedisBroker needs coredis: pip install 'wsrs[redis]'") from None
        if max_queued < 0 or not 0 < backoff[0] <= backoff[1] or timeout <= 0:
            raise ValueError("max_queued >= 0, 0 < backoff[0] <= backoff[1] and timeout > 0")
        self.url = url
        self.prefix = prefix
        self.max_queued = max_queued
        self.backoff = backoff
        self.timeout = timeout
        self.on_event = on_event
        """Called with every `BrokerEvent` (connected, disconnected, gap)."""
        self.gaps = 0
        """Messages known lost: the sum of every gap in the sequences received."""
        self._publisher_id = os.urandom(8)
        self._sequences: dict[str, int] = {}
        self._last_seen: dict[str, dict[bytes, int]] = {}
        self._wanted: set[str] = set()
        self._active: set[str] = set()
        self._queue: deque[_Outgoing] = deque()
        self._publisher: State = "down"
        self._subscriber: State = "down"
        self._running = False
        self._changes: Parking | None = None
        """Wakes whoever waits on a state or subscription change."""
        self._work: Parking | None = None
        """Wakes the publisher and subscriber tasks: something to send or to (un)subscribe."""

    @property
    def connected(self) -> bool:
        """True while both connections are up."""
        return self._publisher == "up" and self._subscriber == "up"

    # --- running ----------------------------------------------------------------------------

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        import coredis
        from coredis.retry import NoRetryPolicy

        self._changes = new_parking()
        self._work = new_parking()
        client: coredis.Redis[bytes] = coredis.Redis.from_url(
            self.url,
            retry_policy=NoRetryPolicy(),
            verify_version=False,
            connect_timeout=self.timeout,
            stream_timeout=self.timeout,
        )
        self._publisher = self._subscriber = "connecting"
        self._running = True
        try:
            async with client, anyio.create_task_group() as tg:
                tg.start_soon(self._subscribe_loop, client)
                tg.start_soon(self._publish_loop, client)
                task_status.started()
        except BaseException as error:
            await _stop_if_cancelled(error)
            raise
        finally:
            self._running = False
            self._publisher = self._subscriber = "down"
            self._fail_queued(BrokerUnavailable("the broker stopped"), keep_unawaited=False)
            self._changes.wake()

    async def wait_connected(self) -> None:
        """Return once both connections are up (tests and health checks use this)."""
        while not self.connected:
            if self._changes is None or not self._running:
                raise BrokerUnavailable("the Redis broker is not running")
            await self._changes.park()

    def _wake(self) -> None:
        if self._changes is not None:
            self._changes.wake()

    def _set_state(self, side: Literal["publisher", "subscriber"], state: State) -> None:
        setattr(self, "_" + side, state)
        self._wake()

    def _emit(self, event: BrokerEvent) -> None:
        if event.kind == "connected":
            logger.info(
                "Redis broker %s %s",
                "reconnected to" if event.reconnect else "connected to",
                self.url,
            )
        elif event.kind == "disconnected":
            logger.warning("Redis broker lost %s (%s); reconnecting", self.url, event.detail)
        else:
            logger.warning(
                "Redis broker: %d message(s) of topic %r lost", event.missed, event.topic
            )
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                logger.exception("Redis broker on_event callback failed")

    async def _backoff(self, delay: float) -> float:
        await anyio.sleep(delay)
        return min(delay * 2, self.backoff[1])

    # --- subscribing ------------------------------------------------------------------------

    def subscribe(self, topic: str) -> None:
        self._wanted.add(topic)
        if self._work is not None:
            self._work.wake()

    def unsubscribe(self, topic: str) -> None:
        self._wanted.discard(topic)
        self._last_seen.pop(topic, None)
        if self._work is not None:
            self._work.wake()

    async def subscribed(self, topic: str) -> None:
        while topic in self._wanted and topic not in self._active:
            if self._changes is None or self._subscriber == "down":
                return
            await self._changes.park()

    async def _subscribe_loop(self, client: coredis.Redis[bytes]) -> None:
        delay = self.backoff[0]
        reconnect = False
        while True:
            detail = "connection closed"
            try:
                async with (
                    client.pubsub(
                        retry_policy=None, ignore_subscribe_messages=True, max_idle_seconds=5
                    ) as pubsub,
                    anyio.create_task_group() as tg,
                ):
                    await self._sync_channels(pubsub)
                    self._set_state("subscriber", "up")
                    self._emit(BrokerEvent("connected", self.url, reconnect=reconnect))
                    delay = self.backoff[0]
                    tg.start_soon(self._keep_channels, pubsub)
                    while True:
                        message = await pubsub.get_message()
                        if message is not None and message["type"] == "message":
                            self._received(message["channel"], message["data"])
            except BaseException as error:
                await _stop_if_cancelled(error)
                if not isinstance(error, Exception):
                    raise
                detail = _describe(error)
            finally:
                self._active.clear()
                self._set_state("subscriber", "down")
                # Redis is likely away for the publisher too: have it check before it sends.
                if self._publisher == "up":
                    self._set_state("publisher", "down")
                    assert self._work is not None
                    self._work.wake()
            self._emit(BrokerEvent("disconnected", detail, reconnect=reconnect))
            reconnect = True
            delay = await self._backoff(delay)

    async def _keep_channels(self, pubsub: PubSub[bytes]) -> None:
        assert self._work is not None
        while True:
            await self._sync_channels(pubsub)
            await self._work.park()

    async def _sync_channels(self, pubsub: PubSub[bytes]) -> None:
        """Subscribe and unsubscribe until the connection carries exactly the wanted topics."""
        while self._wanted != self._active:
            add = self._wanted - self._active
            drop = self._active - self._wanted
            if add:
                await pubsub.subscribe(*(self.prefix + topic for topic in add))
                self._active |= add
            if drop:
                await pubsub.unsubscribe(*(self.prefix + topic for topic in drop))
                self._active -= drop
            self._wake()

    def _received(self, channel: Any, data: Any) -> None:
        topic = bytes(channel)[len(self.prefix) :].decode()
        if topic not in self._wanted or len(data) < _ENVELOPE.size:
            return
        magic, kind, publisher, sequence = _ENVELOPE.unpack_from(data)
        if magic != _MAGIC or kind not in (_TEXT, _BINARY):
            return  # not a wsrs broker's: someone else publishes on the channel
        payload = memoryview(data)[_ENVELOPE.size :]
        try:
            message = str(payload, "utf-8") if kind == _TEXT else bytes(payload)
        except UnicodeDecodeError:
            logger.warning("Redis broker: dropped a text message of topic %r: not UTF-8", topic)
            return
        seen = self._last_seen.setdefault(topic, {})
        last = seen.pop(publisher, None)  # re-inserted below: the most recently heard go last
        if last is not None and sequence != 1:  # 1: the publisher forgot the topic, starts anew
            if sequence <= last:
                seen[publisher] = last
                return  # already delivered once
            if sequence > last + 1:
                missed = sequence - last - 1
                self.gaps += missed
                detail = f"publisher {publisher.hex()}: {last + 1}..{sequence - 1}"
                self._emit(BrokerEvent("gap", detail, topic=topic, missed=missed))
        seen[publisher] = sequence
        if len(seen) > _TRACKED_PUBLISHERS:
            del seen[next(iter(seen))]
        assert self._deliver is not None
        self._deliver(topic, message)

    # --- publishing -------------------------------------------------------------------------

    async def publish(self, topic: str, message: str | bytes) -> None:
        """Send `message` to the topic's channel and return once Redis took it.

        While the publisher connection is away it is queued instead (up to `max_queued`, then
        `BrokerUnavailable`), and `publish` returns at once. A publish cancelled before it left
        is not sent.
        """
        if not self._running:
            raise BrokerUnavailable("the Redis broker is not running (a server runs its hub)")
        while self._publisher == "connecting" and self._changes is not None:
            await self._changes.park()
        item = _Outgoing((self.prefix + topic).encode(), topic, message)
        if self._publisher != "up":
            if len(self._queue) >= self.max_queued:
                raise BrokerUnavailable(
                    f"Redis at {self.url} is unreachable"
                    + (f" and {self.max_queued} messages wait already" if self.max_queued else "")
                )
            self._queue.append(item)
            return
        done = item.done = Deferred[BaseException | None]()
        self._queue.append(item)
        assert self._work is not None
        self._work.wake()
        try:
            error = await done
        except BaseException:
            item.cancelled = True
            raise
        if error is not None:
            raise error

    async def _publish_loop(self, client: coredis.Redis[bytes]) -> None:
        delay = self.backoff[0]
        while True:
            if self._publisher != "up":
                try:
                    await client.ping()
                except Exception as error:
                    self._fail_queued(BrokerUnavailable(f"Redis at {self.url}: {_describe(error)}"))
                    self._set_state("publisher", "down")
                    delay = await self._backoff(delay)
                    continue
                delay = self.backoff[0]
                self._set_state("publisher", "up")
            if not self._queue:
                assert self._work is not None
                await self._work.park()
                continue
            await self._send_batch(client)

    async def _send_batch(self, client: coredis.Redis[bytes]) -> None:
        batch: list[_Outgoing] = []
        queue = self._queue
        while queue and len(batch) < _BATCH:
            item = queue.popleft()
            if not item.cancelled:
                batch.append(item)
        if not batch:
            return
        sequences = self._sequences
        wire = []
        for item in batch:
            sequence = sequences.pop(item.topic, 0) + 1
            sequences[item.topic] = sequence  # the most recently published go last
            if len(sequences) > _TRACKED_TOPICS:
                del sequences[next(iter(sequences))]
            head = _ENVELOPE.pack(_MAGIC, item.kind, self._publisher_id, sequence)
            wire.append((item.channel, head + item.payload))
        try:
            if len(wire) == 1:
                await client.publish(*wire[0])
            else:
                async with client.pipeline(transaction=False) as pipe:
                    for channel, data in wire:
                        pipe.publish(channel, data)
        except BaseException as error:
            # Sent or not, a lost batch is not sent again: receivers see the gap. Its callers
            # learn it, also when the broker stops with the batch in flight.
            stopped = not isinstance(error, Exception)
            failure = BrokerUnavailable(
                "the broker stopped" if stopped else f"Redis at {self.url}: {_describe(error)}"
            )
            for item in batch:
                if item.done is not None:
                    item.done.set(failure)
            if stopped:
                raise
            self._fail_queued(failure)
            self._set_state("publisher", "down")
            return
        for item in batch:
            if item.done is not None:
                item.done.set(None)

    def _fail_queued(self, error: BrokerUnavailable, *, keep_unawaited: bool = True) -> None:
        """Fail the queued publishes whose callers wait (they raise `error`); those queued
        while Redis was away stay queued for the reconnect, unless `keep_unawaited` is False."""
        kept: deque[_Outgoing] = deque()
        for item in self._queue:
            if item.done is not None:
                item.done.set(error)
            elif keep_unawaited:
                kept.append(item)
        self._queue = kept


async def _stop_if_cancelled(error: BaseException) -> None:
    """When `error` carries a cancellation, raise that cancellation alone (a checkpoint in a
    cancelled scope does), without the connection errors a teardown adds to it."""
    cancelled = anyio.get_cancelled_exc_class()
    if isinstance(error, cancelled) or (
        isinstance(error, BaseExceptionGroup) and error.subgroup(cancelled) is not None
    ):
        await anyio.lowlevel.checkpoint()


def _describe(error: BaseException) -> str:
    """The innermost reasons of an error, exception groups flattened."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
