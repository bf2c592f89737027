"""`RedisBroker` against a real `redis-server`: hubs of several servers act as one, outages are
survived and reported, gaps are detected, publishes fail fast or queue within their bound.

Each server here has its own broker and so its own Redis connections, as separate processes
would; `test_redis_processes.py` runs them in separate processes for real.
"""

from __future__ import annotations

import struct
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import coredis
import pytest

from tests.broker.chat import Joined, chat_app
from tests.helpers import serving
from tests.redis_server import RedisServer, free_port
from tests.wire import RawClient, frame
from wsrs import BrokerEvent, BrokerUnavailable, Hub, RedisBroker, Server
from wsrs.broker import redis as redis_module

pytestmark = pytest.mark.anyio


class Events:
    """The events of one broker, with a wait for the next of a kind."""

    def __init__(self) -> None:
        self.seen: list[BrokerEvent] = []
        self._changed = anyio.Event()

    def __call__(self, event: BrokerEvent) -> None:
        self.seen.append(event)
        self._changed.set()
        self._changed = anyio.Event()

    def count(self, kind: str) -> int:
        return sum(event.kind == kind for event in self.seen)

    async def until(self, kind: str, count: int = 1, timeout: float = 10) -> None:
        with anyio.fail_after(timeout):
            while self.count(kind) < count:
                await self._changed.wait()


class Node:
    """One server with its hub on a Redis broker, as one process of a cluster would be."""

    def __init__(self, url: str, **broker: object) -> None:
        self.events = Events()
        self.broker = RedisBroker(url, on_event=self.events, backoff=(0.05, 0.2), **broker)  # type: ignore[arg-type]
        self.hub = Hub(self.broker)
        self.joined = Joined()
        self.server: Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port


@asynccontextmanager
async def nodes(url: str, count: int, **broker: object) -> AsyncIterator[list[Node]]:
    """`count` servers sharing topics through the Redis server at `url`."""
    async with AsyncExitStack() as stack:
        started = [Node(url, **broker) for _ in range(count)]
        for node in started:
            node.server = await stack.enter_async_context(
                serving(chat_app(node.hub, node.joined), hub=node.hub, ping_interval=None)
            )
        yield started


async def _member(node: Node, topic: str) -> RawClient:
    """A client that joined `topic` through `node`, once its subscription is carried."""
    before = len(node.joined)
    client = await RawClient.connect(node.port, f"/room/{topic}")
    await node.joined.until(before + 1)
    return client


async def test_a_message_reaches_members_in_every_server_once_in_publish_order(
    redis_server: RedisServer,
) -> None:
    async with nodes(redis_server.url, 2) as (left, right):
        for node in (left, right):
            await node.broker.wait_connected()
        members = [await _member(node, "room") for node in (left, right, left, right)]
        for i in range(50):
            await members[i % 2].send(frame(0x1, f"{i % 2}:{i}".encode()))
        expected_per_publisher = {
            publisher: [f"{publisher}:{i}" for i in range(publisher, 50, 2)] for publisher in (0, 1)
        }
        with anyio.fail_after(10):
            for member in members:
                got = [(await member.read_frame()).payload.decode() for _ in range(50)]
                for publisher, expected in expected_per_publisher.items():
                    assert [m for m in got if m.startswith(f"{publisher}:")] == expected
        await left.hub.publish("room", "last")
        for member in members:
            assert (await member.read_frame()).payload == b"last"  # nothing came twice
            await member.aclose()
        assert (left.broker.gaps, right.broker.gaps) == (0, 0)


async def test_a_topic_is_carried_only_while_it_has_local_members(
    redis_server: RedisServer,
) -> None:
    async with nodes(redis_server.url, 1) as (node,):
        await node.broker.wait_connected()
        member = await _member(node, "brief")
        assert node.broker._active == {"brief"}
        await member.aclose()
        await node.joined[0].wait_closed()
        with anyio.fail_after(5):
            while node.broker._active:
                await node.broker._changes.park()  # type: ignore[union-attr]


async def test_redis_down_at_startup_neither_blocks_the_server_nor_queues_publishes() -> None:
    redis = RedisServer(free_port())
    async with nodes(redis.url, 1) as (node,):
        await node.events.until("disconnected")
        member = await _member(node, "later")  # joining does not wait for Redis
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable, match="unreachable"):
            await node.hub.publish("later", "lost")
        assert time.monotonic() - started < 1
        with redis:
            await node.events.until("connected")
            await node.broker.wait_connected()
            await node.hub.publish("later", "delivered")
            assert (await member.read_frame()).payload == b"delivered"
            await member.aclose()


async def test_after_a_restart_the_broker_resubscribes_tells_and_delivers_again(
    own_redis_server: RedisServer,
) -> None:
    redis = own_redis_server
    async with nodes(redis.url, 2) as (left, right):
        for node in (left, right):
            await node.broker.wait_connected()
        members = [await _member(left, "r"), await _member(right, "r")]
        await right.hub.publish("r", "before")
        for member in members:
            assert (await member.read_frame()).payload == b"before"
        redis.stop()
        await left.events.until("disconnected")
        await right.events.until("disconnected")
        started = time.monotonic()
        with pytest.raises(BrokerUnavailable, match="unreachable"):
            await right.hub.publish("r", "during")
        assert time.monotonic() - started < 1  # fails fast, without waiting on Redis
        redis.start()
        for node in (left, right):
            await node.events.until("connected", 2)
            await node.broker.wait_connected()
        assert [event.reconnect for event in left.events.seen if event.kind == "connected"] == [
            False,
            True,
        ]
        await right.hub.publish("r", "after")
        for member in members:
            assert (await member.read_frame()).payload == b"after"
            await member.aclose()


async def test_messages_lost_while_a_subscriber_was_away_are_reported_as_a_gap(
    redis_server: RedisServer,
) -> None:
    async with nodes(redis_server.url, 2) as (receiver, publisher):
        for node in (receiver, publisher):
            await node.broker.wait_connected()
        member = await _member(receiver, "g")
        await publisher.hub.publish("g", "one")
        assert (await member.read_frame()).payload == b"one"
        async with coredis.Redis.from_url(redis_server.url) as admin:
            assert await admin.client_kill(type_=coredis.PureToken.PUBSUB) >= 1
        for i in range(5):  # the receiver's subscription is gone: these are lost to it
            await publisher.hub.publish("g", f"lost {i}")
        await receiver.events.until("connected", 2)
        await receiver.broker.wait_connected()
        await publisher.hub.publish("g", "two")
        assert (await member.read_frame()).payload == b"two"
        gaps = [event for event in receiver.events.seen if event.kind == "gap"]
        assert [(event.topic, event.missed) for event in gaps] == [("g", 5)]
        assert receiver.broker.gaps == 5
        await member.aclose()


async def test_publishes_queue_within_their_bound_while_redis_is_away(
    own_redis_server: RedisServer,
) -> None:
    redis = own_redis_server
    async with nodes(redis.url, 1, max_queued=3) as (node,):
        await node.broker.wait_connected()
        member = await _member(node, "q")
        await node.hub.publish("q", "before")
        assert (await member.read_frame()).payload == b"before"
        redis.stop()
        await node.events.until("disconnected")
        for i in range(3):
            await node.hub.publish("q", f"queued {i}")  # returns at once
        with pytest.raises(BrokerUnavailable, match="3 messages wait"):
            await node.hub.publish("q", "one too many")
        redis.start()
        await node.broker.wait_connected()
        await node.hub.publish("q", "after")
        received: list[bytes] = []
        with anyio.fail_after(5):
            while not received or received[-1] != b"after":
                received.append((await member.read_frame()).payload)
        # Each queued message arrived, in order, or the subscriber was not back yet when it
        # went out, and saw it missing.
        queued = [payload.decode() for payload in received[:-1]]
        assert queued == sorted(queued)
        assert all(message.startswith("queued ") for message in queued)
        assert len(queued) + node.broker.gaps == 3
        await member.aclose()


async def test_a_cancelled_publish_goes_out_whole_or_not_at_all_and_leaves_no_gap(
    redis_server: RedisServer,
) -> None:
    async with nodes(redis_server.url, 1) as (node,):
        await node.broker.wait_connected()
        member = await _member(node, "c")
        for i in range(20):
            with anyio.move_on_after(0):
                await node.hub.publish("c", f"maybe {i}")
        await node.hub.publish("c", "surely")
        received: list[bytes] = []
        with anyio.fail_after(5):
            while not received or received[-1] != b"surely":
                received.append((await member.read_frame()).payload)
        maybe = [int(m.split()[1]) for m in (p.decode() for p in received[:-1])]
        assert maybe == sorted(maybe)
        assert node.broker.gaps == 0
        await member.aclose()


async def test_a_broker_that_is_not_running_refuses_publishes() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0")
    hub = Hub(broker)
    with pytest.raises(BrokerUnavailable, match="not running"):
        await hub.publish("t", "x")
    with pytest.raises(ValueError, match="backoff"):
        RedisBroker(backoff=(0, 1))


async def test_a_process_without_a_server_publishes_through_a_hub_of_its_own(
    redis_server: RedisServer,
) -> None:
    async with nodes(redis_server.url, 1) as (node,):
        await node.broker.wait_connected()
        member = await _member(node, "jobs")
        publisher = RedisBroker(redis_server.url)
        async with Hub(publisher) as hub:
            await publisher.wait_connected()
            await hub.publish("jobs", b"\x00done")
            with pytest.raises(RuntimeError, match="already running"):
                await hub.run()
        received = await member.read_frame()
        assert (received.opcode, received.payload) == (0x2, b"\x00done")
        await member.aclose()


async def test_foreign_messages_on_a_topic_channel_are_dropped_without_a_reconnect(
    redis_server: RedisServer,
) -> None:
    async with nodes(redis_server.url, 1) as (node,):
        await node.broker.wait_connected()
        member = await _member(node, "open")
        envelope = struct.Struct(">2sB8sQ")
        foreign = [
            b"",
            b"not ours",
            envelope.pack(b"w1", 0, b"intruder", 1) + b"\xff\xfe not UTF-8",
            envelope.pack(b"w1", 7, b"intruder", 2) + b"no such kind",
        ]
        async with coredis.Redis.from_url(redis_server.url) as other:
            for data in foreign:
                await other.publish(b"wsrs:open", data)
        await node.hub.publish("open", "ours")
        with anyio.fail_after(5):
            assert (await member.read_frame()).payload == b"ours"
        assert node.events.count("disconnected") == 0
        await member.aclose()


async def test_a_publish_in_flight_when_the_broker_stops_fails_instead_of_hanging(
    own_redis_server: RedisServer,
) -> None:
    broker = RedisBroker(own_redis_server.url, backoff=(0.05, 0.2))
    outcome: list[BaseException | None] = []

    async def publish(hub: Hub) -> None:
        try:
            await hub.publish("stuck", "never answered")
        except BrokerUnavailable as error:
            outcome.append(error)
        else:
            outcome.append(None)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tg, Hub(broker) as hub:
            await broker.wait_connected()
            async with coredis.Redis.from_url(own_redis_server.url) as admin:
                await admin.client_pause(3000)  # Redis answers no command for 3 s
            tg.start_soon(publish, hub)
            await anyio.wait_all_tasks_blocked()
            assert not broker._queue  # the publisher took it; Redis has not answered
            assert not outcome
    assert len(outcome) == 1
    assert isinstance(outcome[0], BrokerUnavailable)


async def test_a_topic_name_that_is_not_utf8_is_refused_and_leaves_the_subscriber_up(
    redis_server: RedisServer,
) -> None:
    events = Events()
    broker = RedisBroker(redis_server.url, on_event=events, backoff=(0.05, 0.2))
    async with Hub(broker) as hub:
        await broker.wait_connected()
        with pytest.raises(ValueError, match="topic"):
            await hub.listen("lone \ud800 surrogate", print)
        with pytest.raises(ValueError, match="topic"):
            await hub.publish("lone \ud800 surrogate", "x")
        heard: list[str | bytes] = []
        got = anyio.Event()

        def hear(message: str | bytes) -> None:
            heard.append(message)
            got.set()

        await hub.listen("odd *?[] topic", hear)
        await hub.publish("odd *?[] topic", "still here")
        with anyio.fail_after(5):
            await got.wait()
        assert heard == ["still here"]
        assert events.count("disconnected") == 0


async def test_waiting_for_a_connection_ends_when_the_broker_stops() -> None:
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0", backoff=(0.05, 0.2))
    outcome: list[BaseException] = []
    waiting = anyio.Event()

    async def wait() -> None:
        waiting.set()
        try:
            await broker.wait_connected()
        except BrokerUnavailable as error:
            outcome.append(error)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg, Hub(broker):
            tg.start_soon(wait)
            await waiting.wait()  # it parks as it sets the event
    assert len(outcome) == 1
    with pytest.raises(BrokerUnavailable, match="not running"):
        await broker.wait_connected()


async def test_sequence_tables_stay_bounded_and_a_forgotten_topic_starts_afresh(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_module, "_TRACKED_TOPICS", 2)
    with anyio.fail_after(10):
        await _forgotten_topic_starts_afresh(redis_server)


async def _forgotten_topic_starts_afresh(redis_server: RedisServer) -> None:
    async with nodes(redis_server.url, 2) as (receiver, publisher):
        for node in (receiver, publisher):
            await node.broker.wait_connected()
        member = await _member(receiver, "kept")
        await publisher.hub.publish("kept", "one")
        assert (await member.read_frame()).payload == b"one"
        for i in range(5):  # other topics push "kept" out of the publisher's table
            await publisher.hub.publish(f"elsewhere {i}", "unheard")
        assert len(publisher.broker._sequences) == 2
        await publisher.hub.publish("kept", "two")  # sequence 1 again: not taken as a duplicate
        assert (await member.read_frame()).payload == b"two"
        await publisher.hub.publish("kept", "three")
        assert (await member.read_frame()).payload == b"three"
        assert receiver.broker.gaps == 0
        await member.aclose()
