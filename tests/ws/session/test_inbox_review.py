"""The inbox under stress: cancelled and concurrent receivers, handlers switched mid-read, a
violation behind queued messages, the end of a session while tasks wait, and what is collected."""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, close_payload, frame
from wsrs import ConnectionClosedError, DefaultWebSocketSession

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


def broken_handler(message: str | bytes) -> None:
    raise ValueError(f"cannot take {message!r}")


def handler_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records of message handlers failing."""
    return [r for r in caplog.records if r.getMessage() == "WebSocket message handler failed"]


def handled_by(
    handler: Callable[[str | bytes], object], after: anyio.Event | None = None
) -> Callable[[DefaultWebSocketSession], Awaitable[None]]:
    """A WebSocket app that sets `handler` (once `after` is set, if given) until the close."""

    async def app(ws: DefaultWebSocketSession) -> None:
        if after is not None:
            await after.wait()
        ws.set_message_handler(handler)
        await ws.wait_closed()

    return app


async def test_a_failing_handler_is_logged_once_with_its_own_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="wsrs"):
        async with (
            serving(websocket_app(handled_by(broken_handler))) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            await client.send(texts("x", "y"))
            await client.expect_close(1011)
    failures = handler_failures(caplog)
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    error = failures[0].exc_info[1]
    assert isinstance(error, ValueError)
    assert "broken_handler" in caplog.text
    assert error.__traceback__ is not None


async def test_a_handler_failing_after_a_ping_in_the_same_read_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="wsrs"):
        async with (
            serving(websocket_app(handled_by(broken_handler))) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            # The Ping first: the messages after it reach the handler through `_deliver`.
            await client.send(frame(PING, b"p") + texts("x", "y", "z"))
            with anyio.fail_after(10):
                assert (await client.read_frame()).opcode == PONG
                await client.expect_close(1011)
    assert len(handler_failures(caplog)) == 1


async def test_a_handler_failing_on_the_queue_it_drains_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queued = anyio.Event()
    seen: list[str | bytes] = []

    def record_then_fail(message: str | bytes) -> None:
        seen.append(message)
        broken_handler(message)

    with caplog.at_level(logging.ERROR, logger="wsrs"):
        async with (
            serving(websocket_app(handled_by(record_then_fail, queued))) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            await client.send(texts("x", "y", "z") + frame(PING, b"sync"))
            with anyio.fail_after(10):
                assert (await client.read_frame()).opcode == PONG
                queued.set()
                await client.expect_close(1011)
    assert len(handler_failures(caplog)) == 1
    assert seen == ["x"]


Receive = Callable[[DefaultWebSocketSession], Awaitable["str | bytes | None"]]
"""One timed receive of a session's: the message, or None when the wait timed out."""


async def receive_every_message(count: int, receive: Receive) -> list[str | bytes]:
    """What a server takes with `receive` while a client sends `count` messages, in writes of
    four; most waits time out, some while a read is arriving. The server's answer tells the
    client it has them all."""
    received: list[str | bytes] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        while len(received) < count:
            message = await receive(ws)
            if message is not None:
                received.append(message)
        await ws.send("done")

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        for start in range(0, count, 4):
            await client.send(texts(*(str(n) for n in range(start, start + 4))))
            await anyio.lowlevel.checkpoint()
        with anyio.fail_after(20):
            assert (await client.read_frame()).payload == b"done"
    return received


async def test_receives_under_short_timeouts_lose_no_message_and_keep_the_order() -> None:
    async def within_a_moment(ws: DefaultWebSocketSession) -> str | bytes | None:
        with anyio.move_on_after(0.0002):
            return await ws.receive()
        return None

    received = await receive_every_message(400, within_a_moment)
    assert received == [str(n) for n in range(400)]


async def test_a_receiver_cancelled_after_a_read_woke_it_leaves_the_message_queued() -> None:
    taken: list[str | bytes] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        second_scope = anyio.CancelScope()

        async def first() -> None:
            taken.append(await ws.receive())
            # The second receiver was woken by the same read: cancelled now, before it ran.
            second_scope.cancel()

        async def second() -> None:
            with second_scope:
                taken.append(await ws.receive())

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            await anyio.wait_all_tasks_blocked()
            group.start_soon(second)
            await anyio.wait_all_tasks_blocked()
            await ws.send("both waiting")
        while len(taken) < 2:
            with anyio.fail_after(10):
                taken.append(await ws.receive())
        await ws.send("done")

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        with anyio.fail_after(10):
            assert (await client.read_frame()).payload == b"both waiting"
            await client.send(texts("1", "2"))
            assert (await client.read_frame()).payload == b"done"
    assert sorted(map(str, taken)) == ["1", "2"]


async def test_several_receivers_share_every_message_once_and_all_end_on_close() -> None:
    count = 300
    got: list[list[str | bytes]] = [[] for _ in range(4)]
    ended: list[bool] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        async def receiver(mine: list[str | bytes]) -> None:
            async for message in ws:
                mine.append(message)  # noqa: PERF401 (what each receiver got, as it came)
            ended.append(True)

        async with anyio.create_task_group() as group:
            for mine in got:
                group.start_soon(receiver, mine)
            await anyio.wait_all_tasks_blocked()
            await ws.send("all waiting")

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        with anyio.fail_after(20):
            assert (await client.read_frame()).payload == b"all waiting"
            for start in range(0, count, 3):
                await client.send(texts(*(str(n) for n in range(start, start + 3))))
            await client.send(frame(CLOSE, close_payload(1000)))
            await client.expect_close(1000)
    assert ended == [True] * 4
    everything = [message for mine in got for message in mine]
    assert sorted(everything, key=int) == [str(n) for n in range(count)]
    for mine in got:
        assert mine == sorted(mine, key=int)


@pytest.mark.parametrize("receivers", [1, 3])
async def test_receivers_get_the_messages_before_a_violation_then_all_fail(receivers: int) -> None:
    messages: list[str | bytes] = []
    codes: list[int | None] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        async def receiver() -> None:
            try:
                while True:
                    messages.append(await ws.receive())
            except ConnectionClosedError as error:
                codes.append(error.sent.code if error.sent else None)

        async with anyio.create_task_group() as group:
            for _ in range(receivers):
                group.start_soon(receiver)
            await anyio.wait_all_tasks_blocked()
            await ws.send("waiting")

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        with anyio.fail_after(10):
            assert (await client.read_frame()).payload == b"waiting"
            # Opcode 0x3 is reserved: 1002, after the two messages before it.
            await client.send(texts("a", "b") + frame(0x3, b"bad"))
            await client.expect_close(1002)
    assert messages == ["a", "b"]
    assert codes == [1002] * receivers


async def test_a_receiver_waiting_when_the_peer_drops_tcp_gets_connection_closed_error() -> None:
    outcome: list[BaseException] = []
    done = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        try:
            await ws.receive()
        except BaseException as error:
            outcome.append(error)
            raise
        finally:
            done.set()

    async with serving(websocket_app(app)) as server:
        client = await RawClient.connect(server.port, "/ws")
        await anyio.wait_all_tasks_blocked()
        await client.aclose()
        with anyio.fail_after(10):
            await done.wait()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionClosedError)


async def test_a_receiver_waiting_at_a_normal_close_ends_its_iteration() -> None:
    ended = anyio.Event()
    received: list[str | bytes] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        received.extend([message async for message in ws])
        ended.set()

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(texts("only"))
        await anyio.wait_all_tasks_blocked()
        await client.send(frame(CLOSE, close_payload(1000)))
        with anyio.fail_after(10):
            await client.expect_close(1000)
            await ended.wait()
    assert received == ["only"]


async def test_a_handler_set_and_unset_while_a_receiver_waits() -> None:
    handled: list[str | bytes] = []
    received: list[str | bytes] = []

    async def app(ws: DefaultWebSocketSession) -> None:
        async def receiver() -> None:
            received.append(await ws.receive())

        def handler(message: str | bytes) -> None:
            handled.append(message)
            ws.set_message_handler(None)

        async with anyio.create_task_group() as group:
            group.start_soon(receiver)
            await anyio.wait_all_tasks_blocked()
            ws.set_message_handler(handler)
            await ws.send("handler set")
        await ws.send("done")

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        with anyio.fail_after(10):
            assert (await client.read_frame()).payload == b"handler set"
            await client.send(texts("to handler"))
            await client.send(texts("to receiver"))
            assert (await client.read_frame()).payload == b"done"
    assert handled == ["to handler"]
    assert received == ["to receiver"]


async def test_a_full_inbox_pauses_reading_and_receiving_resumes_it_losing_nothing() -> None:
    count = 200
    payload = b"\x5a" * 16384
    received: list[str | bytes] = []
    sessions: list[DefaultWebSocketSession] = []
    paused = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        sessions.append(ws)
        # Nothing received until the inbox is full and reading stopped, seen by the test.
        await paused.wait()
        while len(received) < count:
            received.append(await ws.receive())
        await ws.send("done")

    async with (
        serving(websocket_app(app), incoming_capacity=4) as server,
        await RawClient.connect(server.port, "/ws") as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(client.send, b"".join(frame(0x2, payload) for _ in range(count)))
        with anyio.fail_after(20):
            while not (sessions and sessions[0]._inbox.paused):
                await anyio.wait_all_tasks_blocked()
                await anyio.lowlevel.checkpoint()
            # Reading stopped with the inbox at its capacity plus at most one read.
            assert len(sessions[0]._inbox) < count
            paused.set()
            assert (await client.read_frame()).payload == b"done"
    assert received == [payload] * count
    assert not sessions[0]._inbox.paused


def sessions_tracked() -> int:
    """How many sessions the garbage collector tracks (alive, or garbage not yet collected)."""
    return sum(isinstance(thing, DefaultWebSocketSession) for thing in gc.get_objects())


def sessions_alive() -> int:
    """How many sessions are still alive, after a full collection."""
    gc.collect()
    return sessions_tracked()


async def test_a_session_whose_receivers_waited_and_were_cancelled_is_collected() -> None:
    before = sessions_alive()

    async def app(ws: DefaultWebSocketSession) -> None:
        with anyio.move_on_after(0.01):
            await ws.receive()

        async def waiter() -> None:
            await ws.receive()

        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            await ws.send("waiting")

    async with serving(websocket_app(app)) as server:
        for _ in range(3):
            async with await RawClient.connect(server.port, "/ws") as client:
                with anyio.fail_after(10):
                    assert (await client.read_frame()).payload == b"waiting"
                    await client.send(texts("x") + frame(CLOSE, close_payload(1000)))
                    await client.expect_close(1000)
        await anyio.wait_all_tasks_blocked()
    assert sessions_alive() == before


async def test_a_finished_session_is_freed_without_waiting_for_the_cycle_collector() -> None:
    # A session and its read buffers go as soon as the last reference does: memory of ended
    # connections does not wait for a full collection (long-lived sessions sit in its oldest
    # generation, which Python collects rarely).
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    async with serving(websocket_app(echo)) as server:
        before = sessions_alive()
        gc.disable()
        try:
            for _ in range(3):
                async with await RawClient.connect(server.port, "/ws") as client:
                    with anyio.fail_after(10):
                        await client.send(texts("x"))
                        assert (await client.read_frame()).payload == b"x"
                        await client.send(frame(CLOSE, close_payload(1000)))
                        await client.expect_close(1000)
            await anyio.wait_all_tasks_blocked()
            alive = sessions_tracked()
        finally:
            gc.enable()
    assert alive <= before


async def test_a_receiver_closing_the_session_as_a_read_resumes_it_still_gets_the_rest() -> None:
    received: list[str | bytes] = []
    ended = anyio.Event()

    async def app(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            received.append(message)
            if message == "bye":
                await ws.close()
        ended.set()

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(texts("a", "bye", "c"))
        with anyio.fail_after(10):
            assert (await client.read_frame()).opcode == CLOSE
            await client.send(frame(CLOSE, close_payload(1000)))
            assert await client.read_until_closed() == b""
            await ended.wait()
    assert received == ["a", "bye", "c"]


async def test_a_receiver_answering_as_a_read_resumes_it_waits_for_a_full_buffer() -> None:
    count = 40
    payload = b"\x33" * 65536

    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    async with (
        serving(websocket_app(echo), write_limit=1024) as server,
        await RawClient.connect(server.port, "/ws") as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(client.send, b"".join(frame(0x2, payload) for _ in range(count)))
        with anyio.fail_after(20):
            answers = [await client.read_frame() for _ in range(count)]
    assert [answer.payload for answer in answers] == [payload] * count
