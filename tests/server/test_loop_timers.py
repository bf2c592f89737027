"""What a server leaves in asyncio's timer heap: every turn of that loop pays for a live timer."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

from tests.helpers import serving, websocket_app
from wsrs import DefaultWebSocketSession, connect

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("anyio_backend", ["asyncio"], indirect=True)
async def test_a_server_with_a_pinging_session_keeps_no_timer_in_asyncios_heap() -> None:
    opened = anyio.Event()

    async def session(ws: DefaultWebSocketSession) -> None:
        opened.set()
        await ws.wait_closed()

    loop: Any = asyncio.get_running_loop()
    async with (
        serving(websocket_app(session), ping_interval=20) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws", ping_interval=None) as client,
    ):
        await opened.wait()
        await client.send("hello")
        await anyio.wait_all_tasks_blocked()
        assert [handle for handle in loop._scheduled if not handle.cancelled()] == []
