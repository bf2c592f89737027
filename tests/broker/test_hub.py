"""Topics and the hub with the in-memory broker: membership, leaving on close, ordering, HTTP
publishers. Real servers and hand-written clients on 127.0.0.1."""

from __future__ import annotations

import anyio
import pytest

from tests.broker.chat import Joined, chat_app
from tests.broker.gated import GatedBroker
from tests.helpers import read_until_closed, serving
from tests.wire import RawClient, frame
from wsrs import (
    App,
    BrokerUnavailable,
    DefaultWebSocketSession,
    Frame,
    Hub,
    MemoryBroker,
    Topics,
    connect,
)

pytestmark = pytest.mark.anyio


async def test_a_publish_reaches_every_member_of_the_topic_sender_included_and_no_one_else() -> (
    None
):
    hub = Hub()
    joined = Joined()
    async with serving(chat_app(hub, joined), hub=hub) as server:
        a1 = await RawClient.connect(server.port, "/room/a")
        a2 = await RawClient.connect(server.port, "/room/a")
        b1 = await RawClient.connect(server.port, "/room/b")
        await joined.until(3)
        assert (hub.members("a"), hub.members("b"), hub.members("c")) == (2, 1, 0)
        for i in range(20):
            await a1.send(frame(0x1, f"from a1 {i}".encode()))
        await b1.send(frame(0x1, b"from b1"))
        for client in (a1, a2):
            assert [(await client.read_frame()).payload for _ in range(20)] == [
                f"from a1 {i}".encode() for i in range(20)
            ]
        assert (await b1.read_frame()).payload == b"from b1"
        for client in (a1, a2, b1):
            await client.aclose()


async def test_an_http_handler_publishes_to_websocket_members() -> None:
    hub = Hub()
    joined = Joined()
    async with serving(chat_app(hub, joined), hub=hub) as server:
        member = await RawClient.connect(server.port, "/room/news")
        await joined.until(1)
        async with await anyio.connect_tcp("127.0.0.1", server.port) as http:
            await http.send(
                b"POST /say/news HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                b"Connection: close\r\n\r\nhello"
            )
            assert (await read_until_closed(http)).startswith(b"HTTP/1.1 200")
        received = await member.read_frame()
        assert (received.opcode, received.payload) == (0x1, b"hello")
        await member.aclose()


async def test_sessions_leave_their_topics_when_their_connection_ends() -> None:
    hub = Hub()
    joined = Joined()
    async with serving(chat_app(hub, joined), hub=hub) as server:
        clients = [await RawClient.connect(server.port, "/room/x") for _ in range(3)]
        await joined.until(3)
        assert hub.members("x") == 3
        await clients[0].aclose()
        await joined[0].wait_closed()
        assert hub.members("x") == 2
        assert joined[0].subscriptions == frozenset()
        assert joined[1].subscriptions == frozenset({"x"})
        joined[1].unsubscribe("x")
        assert joined[1].subscriptions == frozenset()
        assert hub.members("x") == 1
        await hub.publish("x", "only the last")
        assert (await clients[2].read_frame()).payload == b"only the last"
        for client, session in zip(clients[1:], joined[1:], strict=True):
            await client.aclose()
            await session.wait_closed()
        assert hub.topics.topics() == frozenset()


async def test_a_member_leaving_during_a_delivery_gets_that_message_and_no_later_one() -> None:
    hub = Hub()
    joined = Joined()
    async with serving(chat_app(hub, joined), hub=hub) as server:
        leaving = await RawClient.connect(server.port, "/room/t")
        staying = await RawClient.connect(server.port, "/room/t")
        await joined.until(2)
        await hub.listen("t", lambda message: joined[0].unsubscribe("t"))
        await hub.publish("t", "first")
        await hub.publish("t", "second")
        assert (await leaving.read_frame()).payload == b"first"
        assert [(await staying.read_frame()).payload for _ in range(2)] == [b"first", b"second"]
        joined[0].send_nowait(Frame.close())
        assert (await leaving.read_frame()).opcode == 0x8  # "second" never came
        await leaving.aclose()
        await staying.aclose()


async def test_a_session_without_a_hub_cannot_subscribe() -> None:
    async def idle(ws: DefaultWebSocketSession) -> None:
        await ws.wait_closed()

    app = App()
    app.websocket("/ws")(idle)
    async with serving(app) as server, connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
        with pytest.raises(RuntimeError, match="no hub"):
            await ws.subscribe("anything")


async def test_a_memory_broker_serves_one_hub_and_needs_it_to_publish() -> None:
    broker = MemoryBroker()
    with pytest.raises(BrokerUnavailable):
        await broker.publish("t", "x")
    Hub(broker)
    with pytest.raises(RuntimeError, match="already serves"):
        Hub(broker)
    with pytest.raises(TypeError, match="str or bytes"):
        await Hub().publish("t", 3)  # type: ignore[arg-type]


class _Recorder:
    """The calls a registry makes to its link, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def subscribe(self, topic: str) -> None:
        self.calls.append(("subscribe", topic))

    def unsubscribe(self, topic: str) -> None:
        self.calls.append(("unsubscribe", topic))

    async def subscribed(self, topic: str) -> None:
        self.calls.append(("subscribed", topic))

    async def publish(self, topic: str, message: str | bytes) -> None:
        self.calls.append(("publish", topic))


async def test_the_link_hears_of_a_topics_first_member_and_of_its_last() -> None:
    link = _Recorder()
    topics = Topics(link)
    received: list[str | bytes] = []
    stop_one = await topics.listen("t", received.append)
    stop_two = await topics.listen("t", received.append)
    assert topics.deliver("t", "m") == []
    stop_one()
    stop_one()
    stop_two()
    assert received == ["m", "m"]
    assert link.calls == [
        ("subscribe", "t"),
        ("subscribed", "t"),
        ("subscribed", "t"),
        ("unsubscribe", "t"),
    ]


async def test_a_listener_cancelled_while_its_topic_subscribes_is_not_left_behind() -> None:
    broker = GatedBroker()
    broker.gate = anyio.Event()
    hub = Hub(broker)
    heard: list[str | bytes] = []
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(hub.listen, "news", heard.append)
        await broker.until(lambda: broker.waiting == 1)
        tasks.cancel_scope.cancel()
    broker.gate.set()
    await hub.topics.publish("news", "after the cancelled listen")
    assert heard == []
