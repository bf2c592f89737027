"""`async for` over a session (on asyncio the Rust inbox iterates itself): left and entered again,
mixed with `receive()`, and after either kind of close."""

from __future__ import annotations

import anyio
import pytest

from tests.helpers import serving, websocket_app
from wsrs import CloseReason, ConnectionClosedError, DefaultWebSocketSession, connect

pytestmark = pytest.mark.anyio


async def test_async_for_left_and_entered_again_loses_and_repeats_no_message() -> None:
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    got: list[str | bytes] = []
    async with (
        serving(websocket_app(echo)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws", ping_interval=None) as ws,
    ):
        for n in range(6):
            await ws.send(str(n))
        async for message in ws:
            got.append(message)
            if message == "1":
                break
        got.append(await ws.receive())
        async for message in ws.incoming:
            got.append(message)
            if message == "3":
                break
        async for message in ws:
            got.append(message)
            if message == "5":
                break
        with anyio.move_on_after(0):  # cancelled while it waits: the next message is kept
            got.extend([message async for message in ws])
        await ws.send("after")
        async for message in ws:
            got.append(message)
            break
    assert got == ["0", "1", "2", "3", "4", "5", "after"]


@pytest.mark.parametrize("code", [1000, 1011])
async def test_async_for_entered_again_after_the_close_ends_as_the_first_did(code: int) -> None:
    async def send_then_close(ws: DefaultWebSocketSession) -> None:
        await ws.send("last")
        await ws.close(CloseReason(code, ""))

    async def messages(ws: DefaultWebSocketSession) -> list[str | bytes]:
        got: list[str | bytes] = []
        try:
            async for message in ws:
                got.append(message)  # noqa: PERF401 (what came before the error, too)
        except ConnectionClosedError:
            got.append("ConnectionClosedError")
        return got

    async with (
        serving(websocket_app(send_then_close)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws", ping_interval=None) as ws,
    ):
        first = await messages(ws)
        again = await messages(ws)
    if code == 1000:
        assert (first, again) == (["last"], [])
    else:
        assert (first, again) == (["last", "ConnectionClosedError"], ["ConnectionClosedError"])
