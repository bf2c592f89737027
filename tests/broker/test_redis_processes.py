"""Two demo servers in their own processes (``wsrs serve --broker redis://…``, one on asyncio,
one on trio) and a real Redis: one chat room across both.

Sessions split between the servers (raw sockets in another process, `tests.fanout_client`) see
every publisher's messages exactly once, in its order; then Redis restarts, the servers say so
on their log and subscribe again, and delivery resumes. `make soak` runs the issue's sizes
(``WSRS_CLUSTER_SESSIONS=1000``, ``WSRS_CLUSTER_MESSAGES=10000``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import anyio.abc
import coredis
import pytest

from tests.fanout_client import take_frames
from tests.redis_server import RedisServer
from tests.wire import RawClient, frame

pytestmark = pytest.mark.anyio

SESSIONS = int(os.environ.get("WSRS_CLUSTER_SESSIONS", "100"))
MESSAGES = int(os.environ.get("WSRS_CLUSTER_MESSAGES", "400"))
PUBLISHERS = 4
ROUND = 50
"""Messages each publisher sends before the publishers read back what came of them."""
DEADLINE = 60 + SESSIONS * MESSAGES / 20_000
"""Seconds the fan-out may take: generous, for a machine shared with other work."""


@pytest.fixture
def anyio_backend() -> str:
    """The servers pick their own event loops; the test's side runs on asyncio."""
    return "asyncio"


class ChatServer:
    """`python -m wsrs serve --broker URL` as a process; its port and its log."""

    def __init__(self, process: anyio.abc.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.log = b""

    async def read_log(self) -> None:
        assert self.process.stderr is not None
        async for chunk in self.process.stderr:
            self.log += chunk


@asynccontextmanager
async def chat_servers(url: str, backends: list[str]) -> AsyncIterator[list[ChatServer]]:
    async with AsyncExitStack() as stack, anyio.create_task_group() as logs:
        servers = []
        for backend in backends:
            command = [sys.executable, "-m", "wsrs", "serve", "--port", "0"]
            command += ["--backend", backend, "--broker", url]
            process = await stack.enter_async_context(await anyio.open_process(command))
            assert process.stdout is not None
            banner = b""
            with anyio.fail_after(30):
                while b"\n" not in banner:
                    banner += await process.stdout.receive()
            port = int(banner.split(b"http://", 1)[1].split(b"/", 1)[0].rsplit(b":", 1)[1])
            server = ChatServer(process, port)
            logs.start_soon(server.read_log)
            servers.append(server)
        try:
            yield servers
        finally:
            for server in servers:
                server.process.terminate()
            logs.cancel_scope.cancel()


async def _subscribers(url: str, channel: str) -> int:
    async with coredis.Redis.from_url(url) as admin:
        counts = await admin.pubsub_numsub(channel)
        return int(next(iter(counts.values()), 0))


async def _until_both_subscribed(url: str) -> None:
    """Wait until both servers carry the room (their subscriptions are not events we see)."""
    with anyio.fail_after(20):
        while await _subscribers(url, "wsrs:chat:room") < 2:  # noqa: ASYNC110 (no event)
            await anyio.sleep(0.05)


async def _publish(publishers: list[RawClient], numbers: range) -> None:
    for number in numbers:
        for index, publisher in enumerate(publishers):
            await publisher.send(frame(0x1, f"p{index}:{number}".encode()))


async def _until_members(client: RawClient, total: int) -> None:
    """Read `client`'s room events until the room counts `total` members in both servers."""
    while True:
        received = await client.read_frame()
        if received.opcode == 0x2 and json.loads(received.payload) == {"members": total}:
            return


async def _heard_back(publisher: RawClient, text: str, heard: list[str]) -> bool:
    """Send `text`; read until it comes back (True) or the server says it could not be
    published (False), keeping the texts heard meanwhile."""
    await publisher.send(frame(0x1, text.encode()))
    while True:
        received = await publisher.read_frame()
        if received.opcode == 0x1:
            heard.append(received.payload.decode())
            if heard[-1] == text:
                return True
        elif received.opcode == 0x2 and "error" in json.loads(received.payload):
            return False
        elif received.opcode == 0x9:
            await publisher.send(frame(0xA, received.payload))


async def _texts(client: RawClient, count: int) -> list[str]:
    """The next `count` text messages `client` receives (room events skipped, pings answered),
    parsed a whole read at a time so that a long run stays linear."""
    texts: list[str] = []
    while len(texts) < count:
        if not client.buffer:
            client.buffer += await client.stream.receive()
        for opcode, payload in take_frames(client.buffer):
            if opcode == 0x1:
                texts.append(payload.decode())
            elif opcode == 0x9:
                await client.send(frame(0xA, payload))
        if len(texts) < count:
            client.buffer += await client.stream.receive()
    return texts


@pytest.mark.timeout(int(DEADLINE) + 120)
async def test_two_servers_share_a_room_exactly_once_in_order_and_survive_a_restart(
    own_redis_server: RedisServer,
) -> None:
    redis = own_redis_server
    per_publisher = MESSAGES // PUBLISHERS
    async with chat_servers(redis.url, ["asyncio", "trio"]) as (left, right):
        ports = [left.port, right.port]
        publishers = [
            await RawClient.connect(ports[i % 2], "/chat/room") for i in range(PUBLISHERS)
        ]
        await _until_both_subscribed(redis.url)
        command = [sys.executable, "-m", "tests.fanout_client", "--path", "/chat/room"]
        command += ["--port", str(left.port), "--port", str(right.port), "--format", "chat"]
        command += ["--sessions", str(SESSIONS), "--messages", str(per_publisher * PUBLISHERS)]
        command += ["--timeout", str(DEADLINE)]
        async with await anyio.open_process(command) as members:
            assert members.stdout is not None
            output = b""
            with anyio.fail_after(DEADLINE):
                while b"\n" not in output:
                    output += await members.stdout.receive()
                # A member joins the room just after its handshake: wait until all have.
                for publisher in publishers:
                    await _until_members(publisher, SESSIONS + PUBLISHERS)
                heard: list[list[str]] = [[] for _ in publishers]
                for first in range(0, per_publisher, ROUND):
                    # In rounds, each read back by the publishers (members too, sender
                    # included): no reader falls so far behind that its pongs come late.
                    count = min(ROUND, per_publisher - first)
                    await _publish(publishers, range(first, first + count))
                    for index, publisher in enumerate(publishers):
                        heard[index] += await _texts(publisher, count * PUBLISHERS)
                while output.count(b"\n") < 2:
                    output += await members.stdout.receive()
        ready, result = (json.loads(line) for line in output.splitlines()[:2])
        assert ready == {"ready": SESSIONS}
        assert result["errors"] == []
        assert result["complete"] == SESSIONS
        for texts in heard:
            for index in range(PUBLISHERS):
                mine = [t for t in texts if t.startswith(f"p{index}:")]
                assert mine == [f"p{index}:{n}" for n in range(per_publisher)]

        redis.stop()
        redis.start()
        await _until_both_subscribed(redis.url)
        heard = [[] for _ in publishers]
        with anyio.fail_after(30):
            for index, publisher in enumerate(publishers):
                # A server whose publisher connection is not back yet says so (an error
                # event) and sends nothing: send again until the room hears it.
                while not await _heard_back(publisher, f"p{index}:after", heard[index]):  # noqa: ASYNC110
                    await anyio.sleep(0.1)
            for index, publisher in enumerate(publishers[:-1]):
                heard[index] += await _texts(publisher, PUBLISHERS - 1 - index)
        for texts in heard:
            assert sorted(texts) == [f"p{index}:after" for index in range(PUBLISHERS)]
        for publisher in publishers:
            await publisher.aclose()
    for server in (left, right):
        assert b"Redis broker lost" in server.log
