"""`InlineRunner`: run a coroutine inside an asyncio callback until it first waits.

A connection's read callback starts each ASGI request; a task per request costs more than a
small request's own work. The runner instead steps the coroutine right there, as if it ran in
the runner's task (one per connection, parked while idle): `asyncio.current_task()` is that task
during the inline step and every later one, so cancel scopes, ``asyncio.timeout`` and sniffio see
one task from start to end. When the coroutine first really waits, the runner's task wakes and
resumes the *same* coroutine, handing the awaited future on unchanged; a cancellation of the task
reaches the coroutine as it would in a task of its own. Each coroutine runs in its own copy of
the callback's context, as a new task would.

Only one coroutine at a time: while one is still running (or from inside a task, where another
task is current) `ready()` is False and the caller starts a task as usual. asyncio only: trio's
tasks are its scheduler's own, and a coroutine cannot be stepped outside them.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from asyncio.tasks import _enter_task, _leave_task
from collections.abc import Coroutine, Generator
from typing import Any

from wsrs._loop.sync import Spawn

__all__ = ["InlineRunner"]


class InlineRunner:
    """Steps coroutines inline as its task; its task resumes the one that waits (module doc)."""

    __slots__ = (
        "_closing",
        "_job",
        "_loop",
        "_spawn",
        "_spawned",
        "_stepping",
        "_task",
        "_wakeup",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, spawn: Spawn) -> None:
        self._loop = loop
        self._spawn = spawn
        self._spawned = False
        self._closing = False
        self._stepping = False
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._job: tuple[Coroutine[Any, Any, None], contextvars.Context, Any] | None = None

    def ready(self) -> bool:
        """True when `run` may step a coroutine now; the first call starts the runner's task."""
        if self._wakeup is None or self._job is not None:
            if not self._spawned and not self._closing:
                self._spawned = True
                self._spawn(self._serve)
            return False
        return asyncio.current_task(self._loop) is None

    def run(self, coro: Coroutine[Any, Any, None]) -> None:
        """Step `coro` until it finishes or waits (then the runner's task goes on with it)."""
        task = self._task
        assert task is not None
        assert self._wakeup is not None
        context = contextvars.copy_context()
        _enter_task(self._loop, task)
        self._stepping = True
        try:
            yielded = context.run(coro.send, None)
        except (StopIteration, asyncio.CancelledError):
            if self._closing:  # the connection closed during the step: the runner can go
                task.cancel()
            return  # done (or cancelled itself, as a task would end quietly)
        finally:
            self._stepping = False
            _leave_task(self._loop, task)
        self._job = (coro, context, yielded)
        if not self._wakeup.done():  # done: the inline step cancelled the task, which wakes it
            self._wakeup.set_result(None)

    def close(self) -> None:
        """The connection is gone: the task ends once idle (a running coroutine finishes)."""
        self._closing = True
        if self._task is not None and self._job is None and not self._stepping:
            self._task.cancel()  # idle; a coroutine being stepped (an upgrade) goes on in it

    async def _serve(self) -> None:
        self._task = asyncio.current_task()
        try:
            while not self._closing:
                self._wakeup = self._loop.create_future()
                error: BaseException | None = None
                try:
                    await self._wakeup
                except asyncio.CancelledError as cancelled:
                    if self._job is None:
                        raise  # the runner itself: the connection or the server is closing
                    error = cancelled  # meant for the coroutine the inline step started
                self._wakeup = None
                job = self._job
                assert job is not None
                try:
                    await _resume(*job, error)
                finally:
                    self._job = None
        finally:
            self._task = None
            self._wakeup = None


@types.coroutine
def _resume(
    coro: Coroutine[Any, Any, None],
    context: contextvars.Context,
    yielded: Any,
    error: BaseException | None,
) -> Generator[Any, Any, None]:
    """Go on with `coro` in this task: first hand on what its inline step yielded (a future, or
    None for a bare yield), then step it in `context` with what the task sends or throws."""
    run = context.run
    while True:
        sent = None
        if error is None:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation thrown into the task
                error = exc
        try:
            if error is not None:
                pending, error = error, None
                yielded = run(coro.throw, pending)
            else:
                yielded = run(coro.send, sent)
        except StopIteration:
            return
