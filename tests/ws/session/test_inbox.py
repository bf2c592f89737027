"""Receivers waiting at a session's inbox: cancelled waits lose nothing, several receivers share
the messages, and on asyncio's loops a read resumes its receiver before it returns."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable

import anyio
import pytest

from tests.conftest import UVLOOP
from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from tests.ws.codec.test_ws_inbox import Session, read_into
from tests.ws.session.test_close_handshake import TEXT
from wsrs import DefaultWebSocketSession
from wsrs._wsrs import FrameDecoder, Inbox, InboxWaiter

pytestmark = pytest.mark.anyio

ASYNCIO_LOOPS = pytest.mark.parametrize(
    "anyio_backend", [pytest.param("asyncio", id="asyncio"), UVLOOP], indirect=True
)


async def test_a_receive_cancelled_while_waiting_loses_no_message() -> None:
    async def app(ws: DefaultWebSocketSession) -> None:
        with anyio.move_on_after(0) as scope:
            await ws.receive()  # nothing sent yet: it waits, and is cancelled there
        assert scope.cancelled_caught
        await ws.send("ready")
        await ws.send(await ws.receive())

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        assert (await client.read_frame()).payload == b"ready"
        await client.send(frame(TEXT, b"kept"))
        assert (await client.read_frame()).payload == b"kept"


async def test_receivers_waiting_together_each_take_one_message_of_a_read() -> None:
    async def app(ws: DefaultWebSocketSession) -> None:
        got: list[str | bytes] = []

        async def receive_one() -> None:
            got.append(await ws.receive())

        async with anyio.create_task_group() as group:
            group.start_soon(receive_one)
            group.start_soon(receive_one)
            await anyio.wait_all_tasks_blocked()
            await ws.send("both waiting")
        await ws.send(",".join(sorted(map(str, got))))

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        assert (await client.read_frame()).payload == b"both waiting"
        await client.send(frame(TEXT, b"a") + frame(TEXT, b"b"))
        assert (await client.read_frame()).payload == b"a,b"


async def test_a_receiver_resumed_by_a_read_answers_and_waits_again_for_the_next() -> None:
    async def app(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            assert isinstance(message, str)
            await ws.send(message + "!")
            if message == "last":
                await ws.close()

    async with (
        serving(websocket_app(app)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        for word in (b"one", b"two", b"last"):
            await client.send(frame(TEXT, word))
            assert (await client.read_frame()).payload == word + b"!"
        assert (await client.read_frame()).opcode == 0x8


def asyncio_inbox(session: Session, *, resume: bool) -> tuple[Inbox[str], FrameDecoder]:
    decoder = FrameDecoder()
    inbox: Inbox[str] = Inbox(
        session,
        decoder,
        capacity=16,
        resume_below=4,
        event_loop=asyncio.get_running_loop(),
        resume=resume,
    )
    return inbox, decoder


async def from_a_callback(function: Callable[[], None]) -> None:
    """Run `function` in a loop callback (no task running) and wait until it has returned."""
    done = asyncio.Event()

    def callback() -> None:
        function()
        done.set()

    asyncio.get_running_loop().call_soon(callback)
    await done.wait()


RECEIVED_FIRST = ["received one", "read returned"]
READ_RETURNED_FIRST = ["read returned", "received one"]


@ASYNCIO_LOOPS
@pytest.mark.parametrize(
    ("resume", "in_a_task", "order"),
    [
        (True, False, RECEIVED_FIRST),
        (False, False, READ_RETURNED_FIRST),
        # Inside a task the receiver cannot run before the read returns: it is scheduled.
        (True, True, READ_RETURNED_FIRST),
    ],
)
async def test_a_read_from_a_callback_resumes_the_waiting_receiver_before_it_returns(
    resume: bool, in_a_task: bool, order: list[str]
) -> None:
    inbox, decoder = asyncio_inbox(Session(), resume=resume)
    events: list[str] = []

    async def receiver() -> None:
        events.append(f"received {await inbox}")

    task = asyncio.get_running_loop().create_task(receiver())
    await anyio.wait_all_tasks_blocked()

    def read() -> None:
        read_into(inbox, decoder, frame(TEXT, b"one"))
        events.append("read returned")

    if in_a_task:
        read()
    else:
        await from_a_callback(read)
    await task
    assert events == order


def test_an_interrupt_out_of_a_resumed_receiver_still_wakes_the_other_receivers() -> None:
    # A KeyboardInterrupt a task raises while a read resumes it leaves the loop through the
    # read's callback; the receivers waiting after it must still be woken.
    loop = asyncio.new_event_loop()
    received: list[str] = []

    async def interrupted(inbox: Inbox[str]) -> None:
        await inbox
        raise KeyboardInterrupt

    async def other(inbox: Inbox[str]) -> None:
        received.append(await inbox)

    async def wait_at_one_inbox() -> tuple[Inbox[str], FrameDecoder, list[asyncio.Task[None]]]:
        inbox, decoder = asyncio_inbox(Session(), resume=True)
        tasks = [loop.create_task(interrupted(inbox)), loop.create_task(other(inbox))]
        await asyncio.sleep(0)  # both ran up to their wait, in order
        return inbox, decoder, tasks

    try:
        inbox, decoder, (first, second) = loop.run_until_complete(wait_at_one_inbox())
        loop.call_soon(read_into, inbox, decoder, frame(TEXT, b"a") + frame(TEXT, b"b"))
        with pytest.raises(KeyboardInterrupt):
            loop.run_forever()
        assert isinstance(first.exception(), KeyboardInterrupt)
        loop.run_until_complete(asyncio.wait_for(second, 5))
        assert received == ["b"]
    finally:
        loop.close()


@ASYNCIO_LOOPS
async def test_a_waiter_is_a_future_to_asyncio_until_it_is_woken_or_cancelled() -> None:
    inbox, decoder = asyncio_inbox(Session(), resume=False)
    waiter = next(inbox)
    is_future = asyncio.isfuture(waiter)  # what asyncio's Task checks first
    assert is_future
    assert waiter.get_loop() is asyncio.get_running_loop()
    assert not waiter.done()
    with pytest.raises(asyncio.InvalidStateError):
        waiter.result()
    seen: list[bool] = []
    waiter.add_done_callback(lambda done: seen.append(done.cancelled()))
    waiter.add_done_callback(print)
    assert waiter.remove_done_callback(print) == 1
    assert waiter.cancel("stop")
    assert not waiter.cancel()
    assert waiter.cancelled()
    assert waiter.done()
    with pytest.raises(asyncio.CancelledError, match="stop"):
        waiter.result()
    assert seen == []  # callbacks run on the loop's next turn, as a future's
    await asyncio.sleep(0)
    assert seen == [True]
    # A read after the cancellation queues for the next receiver and wakes no one.
    read_into(inbox, decoder, frame(TEXT, b"kept"))
    assert inbox.popleft() == "kept"


@ASYNCIO_LOOPS
async def test_a_woken_waiter_runs_callbacks_added_later_on_the_next_turn() -> None:
    inbox, decoder = asyncio_inbox(Session(), resume=False)
    waiter = next(inbox)
    read_into(inbox, decoder, frame(TEXT, b"x"))
    assert waiter.done()
    assert not waiter.cancelled()
    waiter.result()  # no exception: woken, not cancelled
    seen: list[InboxWaiter] = []
    waiter.add_done_callback(seen.append)
    assert seen == []
    await asyncio.sleep(0)
    assert seen == [waiter]


def test_an_inbox_in_a_cycle_with_its_session_and_handler_is_collected() -> None:
    session = Session()
    inbox: Inbox[str] = Inbox(session, FrameDecoder(), capacity=4, resume_below=1)
    session.inbox = inbox  # type: ignore[attr-defined]
    inbox.handler = session._deliver  # type: ignore[assignment]
    inbox.append("queued")
    gone = weakref.ref(session)
    del session, inbox
    gc.collect()
    assert gone() is None
