"""The inbox on asyncio's loops: receivers resumed inside the read callback, under
`asyncio.wait_for`, in asyncio's pure-Python tasks and in debug mode, and interrupts raised
there."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import pytest

from tests.conftest import UVLOOP
from tests.helpers import serving, websocket_app
from tests.ws.session.test_inbox_review import receive_every_message
from wsrs import DefaultWebSocketSession, connect

pytestmark = pytest.mark.anyio

ASYNCIO_LOOPS = pytest.mark.parametrize(
    "anyio_backend", [pytest.param("asyncio", id="asyncio"), UVLOOP], indirect=True
)


async def wait_for_a_moment(ws: DefaultWebSocketSession) -> str | bytes | None:
    """`receive()` under `asyncio.wait_for`, None when it timed out."""
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(ws.receive(), 0.0002)
    return None


@ASYNCIO_LOOPS
async def test_receives_under_asyncio_wait_for_lose_no_message() -> None:
    assert await receive_every_message(200, wait_for_a_moment) == [str(n) for n in range(200)]


@ASYNCIO_LOOPS
async def test_receivers_in_python_tasks_are_resumed_and_cancelled_as_in_c_tasks() -> None:
    # asyncio's pure-Python Task (what runs where the C accelerator is missing) drives the
    # inbox's waiter through the same protocol: the timeouts, cancellations and resumes above.
    loop = asyncio.get_running_loop()
    python_task = asyncio.tasks._PyTask  # type: ignore[attr-defined]
    kinds: set[type] = set()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = python_task(coro, loop=loop, **options)
        kinds.add(type(task))
        return task

    loop.set_task_factory(factory)
    try:
        received = await receive_every_message(200, wait_for_a_moment)
    finally:
        loop.set_task_factory(None)
    assert kinds == {python_task}
    assert received == [str(n) for n in range(200)]


def new_uvloop() -> asyncio.AbstractEventLoop:
    uvloop = pytest.importorskip("uvloop")
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


async def interrupting_receiver(ws: DefaultWebSocketSession) -> None:
    """Echoes until "KeyboardInterrupt" or "SystemExit" comes, then raises that."""
    async for message in ws:
        if message in ("KeyboardInterrupt", "SystemExit"):
            raise {"KeyboardInterrupt": KeyboardInterrupt, "SystemExit": SystemExit}[message]
        await ws.send(message)


async def interrupting_handler(ws: DefaultWebSocketSession) -> None:
    """As `interrupting_receiver`, from a message handler."""

    def handler(message: str | bytes) -> None:
        if message in ("KeyboardInterrupt", "SystemExit"):
            raise {"KeyboardInterrupt": KeyboardInterrupt, "SystemExit": SystemExit}[message]
        ws.send_nowait(message)

    ws.set_message_handler(handler)
    await ws.wait_closed()


@pytest.mark.parametrize(
    "new_loop",
    [pytest.param(asyncio.new_event_loop, id="asyncio"), pytest.param(new_uvloop, id="uvloop")],
)
@pytest.mark.parametrize("app", [interrupting_receiver, interrupting_handler])
@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_out_of_a_read_callback_stops_the_loop(
    new_loop: Callable[[], asyncio.AbstractEventLoop],
    app: Callable[[DefaultWebSocketSession], Awaitable[None]],
    interrupt: type[BaseException],
) -> None:
    # A receiver resumed by a read, and a message handler, run inside the socket's read
    # callback; what they raise must still leave `run_until_complete` as it would from a task
    # (uvloop logs and drops a transport callback's exceptions, these two included).
    loop = new_loop()

    async def interrupt_the_server() -> None:
        async with (
            serving(websocket_app(app)) as server,
            connect(f"ws://127.0.0.1:{server.port}/ws") as client,
        ):
            await client.send("echo")
            assert await client.receive() == "echo"
            await client.send(interrupt.__name__)
            await asyncio.sleep(5)  # the interrupt leaves the loop first

    run_until_interrupted(loop, interrupt_the_server(), interrupt)


def run_until_interrupted(
    loop: asyncio.AbstractEventLoop,
    main: Coroutine[Any, Any, None],
    interrupt: type[BaseException],
) -> None:
    """Run `main` on `loop` until `interrupt` leaves `run_until_complete`, then close the loop."""
    try:
        task = loop.create_task(main)
        with pytest.raises(interrupt):
            loop.run_until_complete(task)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
    finally:
        loop.close()


@pytest.mark.parametrize(
    "anyio_backend",
    [
        pytest.param(("asyncio", {"debug": True}), id="asyncio-debug"),
        pytest.param(("asyncio", {"debug": True, "use_uvloop": True}), id="uvloop-debug"),
    ],
    indirect=True,
)
async def test_receivers_resumed_and_timed_out_in_asyncio_debug_mode_log_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Debug mode checks each callback and task step (threads, coroutine callbacks, never
    # retrieved exceptions): the waiter must pass as a future there too.
    with caplog.at_level(logging.ERROR):
        received = await receive_every_message(100, wait_for_a_moment)
    assert received == [str(n) for n in range(100)]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
