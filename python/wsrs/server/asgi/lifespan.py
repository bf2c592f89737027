"""The ASGI lifespan protocol: the app's startup before the server listens, its shutdown after.

The app's lifespan call runs in a task beside the server for the server's whole life. Its
``state`` dict is the one every request scope gets a shallow copy of. Modes, as uvicorn's:
``"auto"`` runs the protocol and carries on without it when the app does not speak it (raises or
returns before answering startup, as Django does), ``"on"`` treats that as a failed startup, and
``"off"`` never calls the app for it. A failed startup (``lifespan.startup.failed``, or an error in
``"on"`` mode) raises `LifespanError` with the app's message, so `serve` fails before listening.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio

from wsrs._loop.sync import Deferred, task_group
from wsrs.exceptions import LifespanError
from wsrs.server.asgi.types import ASGI_VERSION, AsgiCallable, Message

__all__ = ["LifespanMode", "lifespan"]

logger = logging.getLogger("wsrs")

LifespanMode = Literal["auto", "on", "off"]

_COMPLETE = "complete"


class _Lifespan:
    """One run of the protocol: the app's call, and what it answered."""

    def __init__(self, app: AsgiCallable, state: dict[str, Any]) -> None:
        self._app = app
        self._state = state
        self._asked = False
        self.startup = Deferred[str | BaseException | None]()
        """Resolves to `_COMPLETE`, the failure message, the error the app raised, or None
        when it returned without answering."""
        self._shutdown = Deferred[None]()
        self.finished = Deferred[None]()
        """Resolves when the app answered shutdown or its call ended."""

    async def run(self) -> None:
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self._state}
        try:
            await self._app(scope, self._receive, self._send)
        except Exception as error:
            if not self.startup.set(error) and self.startup.result() == _COMPLETE:
                logger.exception("the ASGI app's lifespan failed")
            else:  # the startup failure it raises is what serve() reports
                logger.debug("the ASGI app's lifespan startup raised %r", error)
        finally:
            self.startup.set(None)
            self.finished.set(None)

    async def _receive(self) -> Message:
        if not self._asked:
            self._asked = True
            return {"type": "lifespan.startup"}
        await self._shutdown
        return {"type": "lifespan.shutdown"}

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self.startup.set(_COMPLETE)
        elif kind == "lifespan.startup.failed":
            self.startup.set(str(message.get("message") or "lifespan startup failed"))
        elif kind == "lifespan.shutdown.complete":
            self.finished.set(None)
        elif kind == "lifespan.shutdown.failed":
            logger.error("the ASGI app's shutdown failed: %s", message.get("message", ""))
            self.finished.set(None)
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} in the lifespan protocol")

    async def stop(self) -> None:
        """Ask the app to shut down and wait for its answer."""
        self._shutdown.set(None)
        await self.finished


@asynccontextmanager
async def lifespan(
    app: AsgiCallable, state: dict[str, Any], mode: LifespanMode = "auto"
) -> AsyncIterator[None]:
    """Run `app`'s lifespan around the block: startup on entry, shutdown on exit."""
    if mode == "off":
        yield
        return
    run = _Lifespan(app, state)
    async with task_group() as tg:
        tg.start_soon(run.run)
        outcome = await run.startup
        if outcome == _COMPLETE:
            try:
                yield
            finally:
                with anyio.CancelScope(shield=True):
                    await run.stop()
                tg.cancel_scope.cancel()
            return
        tg.cancel_scope.cancel()
    if isinstance(outcome, str):
        raise LifespanError(outcome)
    if mode == "on":
        detail = f": {outcome!r}" if outcome is not None else ""
        raise LifespanError(f"the ASGI app does not support the lifespan protocol{detail}")
    logger.info("the ASGI app does not support the lifespan protocol; going on without it")
    yield
