"""What a server does when the process runs out of file descriptors (or socket memory).

Accepting fails with ``EMFILE``, ``ENFILE``, ``ENOBUFS`` or ``ENOMEM`` while every descriptor is
in use. That is a load condition, not a crash: the accept loop pauses for `ACCEPT_PAUSE` seconds
and goes on, and the condition is logged once per `LOG_INTERVAL` with how often it happened,
instead of once per failed ``accept`` (asyncio's own loop logs a traceback for each, thousands a
second).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "ACCEPT_PAUSE",
    "LOG_INTERVAL",
    "OutOfDescriptorsLog",
    "filter_asyncio_accept_errors",
    "out_of_descriptors",
]

logger = logging.getLogger("wsrs")

ACCEPT_PAUSE = 0.1
"""Seconds the trio accept loop waits before accepting again after running out of descriptors."""
LOG_INTERVAL = 10.0
"""At most one warning about running out of descriptors per this many seconds."""
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_ASYNCIO_MESSAGE = "socket.accept() out of system resource"


def out_of_descriptors(error: BaseException) -> bool:
    """True when `error` (or the `OSError` it was raised from) says descriptors ran out."""
    cause = error if isinstance(error, OSError) else error.__cause__
    return isinstance(cause, OSError) and cause.errno in RESOURCE_ERRNOS


class OutOfDescriptorsLog:
    """Logs running out of descriptors at most once per `interval` seconds, with a count."""

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        self._interval = interval
        self._next = 0.0
        self._missed = 0
        self.seen = False
        """True once descriptors ran out."""

    def __call__(self, error: BaseException) -> None:
        self.seen = True
        now = time.monotonic()
        if now < self._next:
            self._missed += 1
            return
        more = f" ({self._missed} more times since the last warning)" if self._missed else ""
        logger.warning(
            "cannot accept connections: %s; pausing accepts briefly%s",
            error.__cause__ or error,
            more,
        )
        self._next = now + self._interval
        self._missed = 0


def filter_asyncio_accept_errors(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Route asyncio's per-``accept`` "out of system resource" reports through one rate-limited
    log; everything else goes to the loop's previous handler. Returns what restores it.

    asyncio schedules a retry of accepting for every failed ``accept`` (up to the backlog, a
    second later); those that fire after the server closed its socket fail on the closed socket
    and are dropped too. So once descriptors have run out, `restore` leaves the filter in place:
    such retries may still be due.
    """
    previous = loop.get_exception_handler()
    log = OutOfDescriptorsLog()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exception = context.get("exception")
        if context.get("message") == _ASYNCIO_MESSAGE and isinstance(exception, OSError):
            log(exception)
        elif log.seen and _retry_on_closed_socket(context):
            pass
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)

    def restore() -> None:
        if loop.get_exception_handler() is handler and not log.seen:
            loop.set_exception_handler(previous)

    return restore


def _retry_on_closed_socket(context: dict[str, Any]) -> bool:
    """A context for asyncio's accept retry (`_start_serving`) on a socket that is closed."""
    handle = context.get("handle")
    callback = getattr(handle, "_callback", None)
    if getattr(callback, "__name__", None) != "_start_serving":
        return False
    arguments: tuple[Any, ...] = getattr(handle, "_args", None) or ()
    return len(arguments) > 1 and getattr(arguments[1], "fileno", lambda: 0)() == -1
