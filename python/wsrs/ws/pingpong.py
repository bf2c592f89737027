"""Keep-alive as reusable pieces: `pinger` sends pings and checks their pongs, `ponger` answers.

Both follow Ktor (ktor-behaviour.md §5). The pinger waits a period (pongs arriving meanwhile are
stale and dropped), sends a Ping whose payload is ``[ping <64 hex digits> ping]``, and waits for a
Pong carrying exactly that payload; the timeout counts from before the send, so a send stuck
behind a full queue counts against the peer. On expiry it calls `on_timeout` with
(1011, "Ping timeout") once and stops. The ponger answers every ping with a pong of the same
payload. Each returns the stream its frames are to be delivered to; closing that stream stops it.
"""

from __future__ import annotations

import inspect
import math
import secrets
from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from wsrs._wsrs import CloseReason, Frame
from wsrs.exceptions import ConnectionClosed

__all__ = ["FrameSender", "pinger", "ponger"]

PING_TIMEOUT_REASON = CloseReason(1011, "Ping timeout")
PONGER_CAPACITY = 5
"""Pings waiting for their pong before the frame reader waits too (Ktor's ponger inbox)."""

_CLOSED = (ConnectionClosed, anyio.ClosedResourceError, anyio.BrokenResourceError)


class FrameSender(Protocol):
    """Anything frames can be sent to: a session, its `outgoing`, or an anyio object stream."""

    async def send(self, item: Frame, /) -> None: ...


def pinger(
    task_group: anyio.abc.TaskGroup,
    outgoing: FrameSender,
    period: float,
    timeout: float,
    on_timeout: Callable[[CloseReason], Awaitable[None] | None],
) -> MemoryObjectSendStream[Frame]:
    """Start a pinger in `task_group`; deliver the peer's Pong frames to the stream it returns."""
    pongs_in, pongs_out = anyio.create_memory_object_stream[Frame](math.inf)
    task_group.start_soon(_run_pinger, pongs_out, outgoing, period, timeout, on_timeout)
    return pongs_in


def ponger(task_group: anyio.abc.TaskGroup, outgoing: FrameSender) -> MemoryObjectSendStream[Frame]:
    """Start a ponger in `task_group`; deliver the peer's Ping frames to the stream it returns."""
    pings_in, pings_out = anyio.create_memory_object_stream[Frame](PONGER_CAPACITY)
    task_group.start_soon(_run_ponger, pings_out, outgoing)
    return pings_in


def ping_payload() -> bytes:
    """A fresh ping payload: ``[ping `` + 64 random hex digits + `` ping]`` (76 ASCII bytes)."""
    return f"[ping {secrets.token_hex(32)} ping]".encode("ascii")


async def _run_pinger(
    pongs: MemoryObjectReceiveStream[Frame],
    outgoing: FrameSender,
    period: float,
    timeout: float,
    on_timeout: Callable[[CloseReason], Awaitable[None] | None],
) -> None:
    with pongs:
        try:
            while True:
                await _discard_until(pongs, anyio.current_time() + period)
                payload = ping_payload()
                with anyio.move_on_after(timeout) as scope:
                    await outgoing.send(Frame.ping(payload))
                    while (await pongs.receive()).data != payload:
                        pass
                if scope.cancelled_caught:
                    result = on_timeout(PING_TIMEOUT_REASON)
                    if inspect.isawaitable(result):
                        await result
                    return
        except (anyio.EndOfStream, *_CLOSED):
            return


async def _discard_until(pongs: MemoryObjectReceiveStream[Frame], deadline: float) -> None:
    """Drop every pong received before `deadline`; raise EndOfStream if the stream closes."""
    with anyio.move_on_after(deadline - anyio.current_time()):
        while True:
            await pongs.receive()


async def _run_ponger(pings: MemoryObjectReceiveStream[Frame], outgoing: FrameSender) -> None:
    with pings:
        try:
            async for ping in pings:
                await outgoing.send(Frame.pong(ping.data))
        except _CLOSED:
            return
