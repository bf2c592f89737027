"""Thousands of sessions in one server process, each receiving every broadcast, in order.

The clients are raw sockets in another process (`tests.fanout_client`), so that the server's
process holds only the server's side. `make test` runs 1 000 sessions; `make soak` sets
``WSRS_FANOUT_SESSIONS=10000``.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
import time

import anyio
import pytest

from tests.helpers import serving, websocket_app
from wsrs import DefaultWebSocketSession, Hub

pytestmark = pytest.mark.anyio

SESSIONS = int(os.environ.get("WSRS_FANOUT_SESSIONS", "1000"))
MESSAGES = int(os.environ.get("WSRS_FANOUT_MESSAGES", "50"))


def _raise_file_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < SESSIONS + 100:
        pytest.skip(f"RLIMIT_NOFILE {hard} is too low for {SESSIONS} sessions")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def test_every_one_of_thousands_of_sessions_gets_every_publish_in_order() -> None:
    _raise_file_limit()
    hub = Hub()
    joined = anyio.Event()

    async def member(ws: DefaultWebSocketSession) -> None:
        await ws.subscribe("all")
        if hub.members("all") == SESSIONS:
            joined.set()
        await ws.wait_closed()

    app = websocket_app(member)
    async with serving(app, hub=hub, ping_interval=None, backlog=4096) as server:
        command = [sys.executable, "-m", "tests.fanout_client", "--port", str(server.port)]
        command += ["--sessions", str(SESSIONS), "--messages", str(MESSAGES)]
        async with await anyio.open_process(command) as clients:
            assert clients.stdout is not None
            lines = clients.stdout
            with anyio.fail_after(120):
                await joined.wait()
                for sequence in range(MESSAGES):
                    stamp = struct.pack(">QQ", sequence, time.monotonic_ns())
                    await hub.publish("all", stamp + bytes(48))
                output = b""
                while output.count(b"\n") < 2:
                    output += await lines.receive()
                await clients.wait()
    ready, result = (json.loads(line) for line in output.splitlines()[:2])
    assert ready == {"ready": SESSIONS}
    assert result["errors"] == []
    assert result["complete"] == SESSIONS
    assert result["messages"] == SESSIONS * MESSAGES
