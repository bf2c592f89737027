"""What happens around a message compressed off the loop: what is held behind it, what goes ahead
of it, and what `close`, `flush` and `broadcast` do meanwhile. Every message accepted before a
call returns goes out whole and in order, and no sender is left waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress

import anyio
import anyio.abc
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, close_payload, frame
from tests.ws.session.test_close_handshake import CLOSE, TEXT
from tests.ws.session.test_compression import prose, wait_until
from wsrs import ConnectionClosed, DefaultWebSocketSession, Deflate, Frame, broadcast, connect

pytestmark = pytest.mark.anyio

OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
SLOW = Deflate(level=9)
"""Level 9 on megabytes of prose: compressing takes long enough to act while it runs."""


async def received_until_closed(port: int) -> list[str | bytes]:
    """Everything the server sends after a "go", until it closes."""
    async with connect(f"ws://127.0.0.1:{port}/ws") as ws:
        await ws.send("go")
        return [message async for message in ws]


async def received_from(
    handler: Callable[[DefaultWebSocketSession], Awaitable[None]], compression: Deflate = SLOW
) -> list[str | bytes]:
    """What a client receives from `handler`'s session after its "go", until it closes."""
    with anyio.fail_after(30):
        async with serving(websocket_app(handler), compression=compression) as server:
            return await received_until_closed(server.port)


async def start_compressing(
    ws: DefaultWebSocketSession, tasks: anyio.abc.TaskGroup, big: str
) -> None:
    """Send `big` from a task of `tasks`; return once it is being compressed off the loop."""
    tasks.start_soon(ws.send, big)
    await wait_until(lambda: ws._compressing)


async def test_close_while_compressing_sends_what_came_before_it_first() -> None:
    big = prose(2 << 20)
    send_returned = anyio.Event()

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()

        async def send_big() -> None:
            await ws.send(big)
            send_returned.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send_big)
            await wait_until(lambda: ws._compressing)
            ws.send_nowait("accepted before close")
            await ws.close()

    received = await received_from(handler)
    assert received == [big, "accepted before close"]
    assert send_returned.is_set()


async def test_flush_waits_for_messages_held_behind_a_compression() -> None:
    big = prose(2 << 20)
    flushed: list[tuple[bool, int]] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        async with anyio.create_task_group() as tasks:
            await start_compressing(ws, tasks, big)
            ws.send_nowait("held")
            await ws.flush()
            flushed.append((ws._compressing, len(ws._held)))

    received = await received_from(handler)
    assert flushed == [(False, 0)]
    assert received == [big, "held"]


async def test_a_held_message_refused_later_costs_neither_the_sender_nor_the_others() -> None:
    big = prose(2 << 20)

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        async with anyio.create_task_group() as tasks:
            await start_compressing(ws, tasks, big)
            ws.send_nowait(Frame.text("frag", fin=False))
            # Binary inside a fragmented Text message: refused when its turn comes, and logged.
            ws.send_nowait(b"interleaved")
            ws.send_nowait(Frame.text("mented"))
            tasks.start_soon(ws.send, "waited")

    received = await received_from(handler)
    assert received == [big, "fragmented", "waited"]


async def test_a_broadcast_behind_a_held_fragment_is_reported_not_sent() -> None:
    big = prose(2 << 20)
    skipped: list[bool] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        async with anyio.create_task_group() as tasks:
            await start_compressing(ws, tasks, big)
            ws.send_nowait(Frame.text("frag", fin=False))
            skipped.append(broadcast([ws], "news while a fragment is open") == [ws])
            ws.send_nowait(Frame.text("mented"))
            skipped.append(broadcast([ws], "news after it") == [ws])

    received = await received_from(handler)
    assert skipped == [True, False]
    assert received == [big, "fragmented", "news after it"]


async def test_a_long_message_sent_inside_a_fragmented_one_ends_it_as_without_compression() -> None:
    # A whole message of the open message's type is its final fragment, however long; it is
    # compressed on the loop then, as the fragments before it were.
    long = prose(300_000)

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        await ws.send(Frame.text("start: ", fin=False))
        await ws.send(long)
        await ws.send("next")

    received = await received_from(handler, Deflate())
    assert received == ["start: " + long, "next"]


async def test_a_close_held_behind_a_compression_still_answers_the_peers_close() -> None:
    big = prose(8 << 20)
    held = anyio.Event()

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()

        async def send_big() -> None:
            with suppress(ConnectionClosed):
                await ws.send(big)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send_big)
            await wait_until(lambda: ws._compressing)
            tasks.start_soon(ws.close)
            await wait_until(lambda: ws._held_close is not None)
            held.set()

    with anyio.fail_after(30):
        async with (
            serving(websocket_app(handler), compression=SLOW) as server,
            await RawClient.connect(server.port, "/ws", OFFER) as client,
        ):
            await client.send(frame(TEXT, b"go"))
            await held.wait()
            # The peer closes first, while our Close waits behind the compression.
            await client.send(frame(CLOSE, close_payload(1000)))
            answer = await client.expect_close(1000)
    assert answer.rsv == 0


async def test_an_object_of_another_type_sent_while_compressing_is_refused_at_once() -> None:
    big = prose(2 << 20)
    refused: list[str] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        async with anyio.create_task_group() as tasks:
            await start_compressing(ws, tasks, big)
            try:
                ws.send_nowait(12)  # type: ignore[arg-type]
            except TypeError as error:
                refused.append(str(error))
            ws.send_nowait("held after it")
            tasks.start_soon(ws.send, "waited")

    received = await received_from(handler)
    assert refused == ["a message is str, bytes or a Frame, not int"]
    assert received == [big, "held after it", "waited"]
