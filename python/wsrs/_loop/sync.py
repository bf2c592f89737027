"""Event-loop plumbing for the hot paths, cheaper than anyio's general-purpose tools.

`Parking` is where tasks wait until a synchronous callback (a socket read, a write buffer draining)
wakes them all; waiters re-check their condition after waking. `Deferred` is a value set once and
awaited by anyone. A parking is created in async context, which picks the asyncio or trio flavour
once (a `Deferred` makes its parking when first awaited); `wake()` and `set()` may then be called
from plain callbacks, as asyncio protocols do. `spawner`
starts per-request tasks without anyio's task-group bookkeeping, `clock` is the loop's clock, and
`task_group` lets a lone exception out of a public context manager as itself.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from contextlib import asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar

import anyio
import anyio.abc

from wsrs.exceptions import UnsupportedEventLoop

T = TypeVar("T")

logger = logging.getLogger("wsrs")


def running_trio() -> bool:
    """True when called from a trio task, False under asyncio."""
    # Absent, or still being imported by another thread (no `lowlevel` yet): no trio task can
    # be running then, and the half-made module has nothing to ask.
    lowlevel = getattr(sys.modules.get("trio"), "lowlevel", None)
    if lowlevel is None:
        return False
    try:
        lowlevel.current_task()
    except RuntimeError:
        return False
    return True


def require_supported_loop(api: str) -> None:
    """Raise `UnsupportedEventLoop` unless called from a trio task or a running asyncio loop.

    The transport is asyncio's own (any asyncio loop: the default, uvloop, Windows' proactor) or
    trio's sockets; anything else (curio, a hand-rolled coroutine runner, a thread without a loop)
    would otherwise fail later with an error about asyncio internals.
    """
    if running_trio():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise UnsupportedEventLoop(
            f"{api} runs on asyncio (with or without uvloop) or trio, and neither is running"
            " here: start it with asyncio.run, trio.run or anyio.run"
        ) from None


@asynccontextmanager
async def task_group() -> AsyncIterator[anyio.abc.TaskGroup]:
    """An anyio task group that lets a lone exception out as itself, not in an exception group.

    Public context managers (`connect`, `serve`) run the caller's block inside a task group; the
    caller should see its own `ValueError` or `HandshakeError`, not a group holding it.
    """
    try:
        async with anyio.create_task_group() as group:
            yield group
    except BaseExceptionGroup as errors:
        # Nested groups of one (a trio nursery's inside ours) unwrap too: a KeyboardInterrupt
        # that lands in a spawned task comes out as a KeyboardInterrupt.
        lone: BaseException = errors
        while isinstance(lone, BaseExceptionGroup) and len(lone.exceptions) == 1:
            lone = lone.exceptions[0]
        if lone is not errors:
            raise lone from None
        raise


class Spawn(Protocol):
    """Starts a task, as `TaskGroup.start_soon` does."""

    def __call__(self, func: Callable[..., Coroutine[Any, Any, Any]], /, *args: Any) -> object: ...


@asynccontextmanager
async def spawner() -> AsyncIterator[Spawn]:
    """Start many short tasks cheaply; the ones still running when the block ends are cancelled.

    Per-request handler tasks skip anyio's task-group bookkeeping, which costs more than the rest
    of a small request: on trio they go to a plain nursery, on asyncio to `loop.create_task`.
    Their exceptions are theirs to handle: anything that escapes is logged, not propagated.
    """
    if running_trio():
        trio: Any = sys.modules["trio"]
        async with trio.open_nursery() as nursery:

            def spawn_in_nursery(
                func: Callable[..., Coroutine[Any, Any, Any]], /, *args: Any
            ) -> None:
                nursery.start_soon(_logged, func, *args)

            try:
                yield spawn_in_nursery
            finally:
                nursery.cancel_scope.cancel()
        return
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[Any]] = set()

    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("task %r failed", task, exc_info=task.exception())

    def spawn(func: Callable[..., Coroutine[Any, Any, Any]], /, *args: Any) -> None:
        task = loop.create_task(func(*args))
        tasks.add(task)
        task.add_done_callback(done)

    try:
        yield spawn
    finally:
        for task in list(tasks):
            task.cancel()
        with anyio.CancelScope(shield=True):
            while tasks:
                await asyncio.wait(list(tasks))


async def _logged(func: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
    """Run a spawned task; an exception escaping it is logged instead of ending its siblings."""
    try:
        await func(*args)
    except Exception:
        logger.exception("task %r failed", func)


def clock() -> Callable[[], float]:
    """The running event loop's clock (what anyio.current_time reads, without the lookup)."""
    if running_trio():
        return sys.modules["trio"].current_time  # type: ignore[no-any-return]
    return asyncio.get_running_loop().time


class Parking(Protocol):
    """Tasks park here with `await park()` until `wake()`; cancellation unparks cleanly."""

    def park(self) -> Awaitable[None]:
        """Wait until the next `wake()` (await the result)."""

    def wake(self) -> None:
        """Wake every parked task; callable from synchronous callbacks."""


def new_parking() -> Parking:
    """A `Parking` for the running event loop (must be called in async context)."""
    if running_trio():
        return _TrioParking()
    return _AsyncioParking(asyncio.get_running_loop())


class _AsyncioParking:
    """Parked tasks await a bare future of the loop the parking was made in.

    `park` hands out the future itself, so a wake-up resumes the waiter with no coroutine of ours
    in between, and the loop is looked up once, not per wait (on Python 3.11 every
    `asyncio.get_running_loop()` is a `getpid()` system call). A cancelled waiter's future is
    done, so `wake` skips it, and the next `park` drops it. The list of waiters is made on the
    first `park`: a parking nobody waits at (most sessions' writers) costs no list.
    """

    __slots__ = ("_futures", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._futures: list[asyncio.Future[None]] | None = None

    def park(self) -> asyncio.Future[None]:
        futures = self._futures
        future = self._loop.create_future()
        if futures is None:
            self._futures = [future]
            return future
        if futures:
            futures[:] = [waiter for waiter in futures if not waiter.done()]
        futures.append(future)
        return future

    def wake(self) -> None:
        futures = self._futures
        if futures:
            for future in futures:
                if not future.done():
                    future.set_result(None)
            futures.clear()


class _TrioParking:
    __slots__ = ("_lowlevel", "_tasks")

    def __init__(self) -> None:
        self._lowlevel: Any = sys.modules["trio"].lowlevel
        self._tasks: list[Any] | None = None  # made on the first `park`, as for asyncio

    async def park(self) -> None:
        lowlevel = self._lowlevel
        task = lowlevel.current_task()
        tasks = self._tasks
        if tasks is None:
            tasks = self._tasks = []
        tasks.append(task)

        def abort(_: Any) -> Any:
            tasks.remove(task)
            return lowlevel.Abort.SUCCEEDED

        await lowlevel.wait_task_rescheduled(abort)

    def wake(self) -> None:
        tasks = self._tasks
        if tasks:
            reschedule = self._lowlevel.reschedule
            for task in tasks:
                reschedule(task)
            tasks.clear()


class Deferred(Generic[T]):
    """A value that is set exactly once and can be awaited any number of times.

    The counterpart of Ktor's `Deferred`: `await deferred` waits for the value; `done()` and
    `result()` read it without waiting.
    """

    __slots__ = ("_done", "_parking", "_value")

    def __init__(self) -> None:
        # Made by the first waiter: most are set before anyone waits, or never awaited at all
        # (every session holds two), and then cost no parking.
        self._parking: Parking | None = None
        self._done = False
        self._value: T | None = None

    def set(self, value: T) -> bool:
        """Set the value unless it was set before; True when this call set it."""
        if self._done:
            return False
        self._value = value
        self._done = True
        if self._parking is not None:
            self._parking.wake()
        return True

    def done(self) -> bool:
        """True once the value is set."""
        return self._done

    def result(self) -> T:
        """The value; `RuntimeError` while it is not set."""
        if not self._done:
            raise RuntimeError("the value is not set yet")
        return self._value  # type: ignore[return-value]

    async def wait(self) -> T:
        """Wait for the value and return it."""
        while not self._done:
            if self._parking is None:
                self._parking = new_parking()
            await self._parking.park()
        return self._value  # type: ignore[return-value]

    def __await__(self) -> Generator[Any, None, T]:
        return self.wait().__await__()

    def __repr__(self) -> str:
        state = f"value={self._value!r}" if self._done else "pending"
        return f"<Deferred {state}>"
