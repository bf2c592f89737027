"""The demo's chat rooms over real sockets, with a broker whose subscriptions wait for the test
(as a Redis subscription waits for its round trip, or for the end of an outage)."""

from __future__ import annotations

import json

import anyio
import pytest

from tests.broker.gated import GatedBroker
from tests.helpers import serving
from wsrs import DefaultWebSocketSession, connect
from wsrs.demo import demo_app

pytestmark = pytest.mark.anyio


async def members(ws: DefaultWebSocketSession) -> int:
    """The next member count the room sends (binary JSON)."""
    while True:
        message = await ws.receive()
        if isinstance(message, bytes):
            count = json.loads(message)["members"]
            assert isinstance(count, int)
            return count


async def test_a_member_still_joining_keeps_the_room_when_the_last_one_leaves() -> None:
    broker = GatedBroker()
    async with serving(demo_app(), broker=broker) as server:
        url = f"ws://127.0.0.1:{server.port}/chat/lobby"
        with anyio.fail_after(30):
            async with connect(url) as first:
                assert await members(first) == 1
                broker.gate = anyio.Event()
                async with connect(url) as joining:
                    await broker.until(lambda: broker.waiting == 1)
                    await first.close()
                    # The leaver's announcement counts the member that is still joining.
                    await broker.until(lambda: len(broker.presence) == 2)
                    assert broker.presence[-1]["count"] == 1
                    broker.gate.set()
                    assert await members(joining) == 1
                    async with connect(url) as third:
                        assert await members(third) == 2
                        assert await members(joining) == 2
