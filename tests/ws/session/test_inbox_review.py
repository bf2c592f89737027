"""The inbox under stress: cancelled and concurrent receivers, handlers switched mid-read, a
violation behind queued messages, the end of a session while tasks wait, and what is collected."""

from __future__ import annotations

import logging

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, close_payload, frame
from wsrs import DefaultWebSocketSession

pytestmark = pytest.mark.anyio

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def texts(*words: str) -> bytes:
    """Text frames of `words`, as one write (one read on the server, as a rule)."""
    return b"".join(frame(TEXT, word.encode()) for word in words)


async def test_a_handler_that_switches_itself_off_leaves_the_rest_of_the_read_to_receive() -> None:
    handled: list[str | bytes] = []
    received: list[str | bytes] = []
    done = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        def until_stop(message: str | bytes) -> None:
            handled.append(message)
            if message == "stop":
                ws.set_message_handler(None)

        ws.set_message_handler(until_stop)
        with anyio.fail_after(10):
            received.append(await ws.receive())
            received.append(await ws.receive())
        done.set()
        await ws.wait_closed()

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(texts("a", "stop", "b", "c"))
        with anyio.fail_after(10):
            await done.wait()
        await client.send(frame(CLOSE, close_payload(1000)))
        await client.expect_close(1000)
    assert handled == ["a", "stop"]
    assert received == ["b", "c"]


async def test_a_handler_that_hands_over_to_another_leaves_it_the_rest_of_the_read() -> None:
    first: list[str | bytes] = []
    second: list[str | bytes] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        def handler(message: str | bytes) -> None:
            first.append(message)
            if message == "switch":
                ws.set_message_handler(second.append)

        ws.set_message_handler(handler)
        await ws.wait_closed()

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(texts("a", "switch", "b", "c") + frame(CLOSE, close_payload(1000)))
        with anyio.fail_after(10):
            await client.expect_close(1000)
    assert first == ["a", "switch"]
    assert second == ["b", "c"]


async def test_a_handler_set_off_while_draining_the_queue_leaves_the_rest_queued() -> None:
    handled: list[str | bytes] = []
    received: list[str | bytes] = []
    queued = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        def until_stop(message: str | bytes) -> None:
            handled.append(message)
            if message == "stop":
                ws.set_message_handler(None)

        await queued.wait()
        ws.set_message_handler(until_stop)
        with anyio.fail_after(10):
            received.append(await ws.receive())
        await ws.wait_closed()

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        # The Pong proves the messages before its Ping were read (and queued: no handler yet).
        await client.send(texts("a", "stop", "b") + frame(PING, b"sync"))
        with anyio.fail_after(10):
            assert (await client.read_frame()).opcode == PONG
        queued.set()
        await client.send(frame(CLOSE, close_payload(1000)))
        with anyio.fail_after(10):
            await client.expect_close(1000)
    assert handled == ["a", "stop"]
    assert received == ["b"]


async def test_a_failing_handler_is_logged_once_with_its_own_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_handler(message: str | bytes) -> None:
        raise ValueError(f"cannot take {message!r}")

    async def app(ws: DefaultWebSocketSession) -> None:
        ws.set_message_handler(broken_handler)
        await ws.wait_closed()

    with caplog.at_level(logging.ERROR, logger="wsrs"):
        async with (
            serving(websocket_app(app)) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            await client.send(texts("x", "y"))
            await client.expect_close(1011)
    failures = [r for r in caplog.records if r.getMessage() == "WebSocket message handler failed"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    error = failures[0].exc_info[1]
    assert isinstance(error, ValueError)
    assert "broken_handler" in caplog.text
    assert error.__traceback__ is not None
