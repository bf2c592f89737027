"""The demo's chat: ``/chat/{room}``, one topic per room, shared by every process of the broker.

Every text message a session sends reaches every session of the room, the sender included, in
every process that shares the hub's broker (``--broker redis://…``). Binary frames from the
server are room events, as JSON: ``{"members": N}``, the room's member count across processes.

The count is kept with the broker too: each process publishes its own count of a room on topic
``presence:{room}`` when it changes (asking the others for theirs when it gains the room's first
local member) and every `PRESENCE_PERIOD` seconds, and adds up what the others said recently. So
a count lost in an outage heals within a period, and a process that dies without a word drops
out of the others' sums after `PRESENCE_EXPIRY`.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable

import anyio

from wsrs._loop.sync import new_parking, task_group
from wsrs.exceptions import BrokerUnavailable
from wsrs.server.app import App
from wsrs.ws.broadcast import broadcast
from wsrs.ws.session import DefaultWebSocketSession
from wsrs.ws.topics import Topics

__all__ = ["add_chat"]

PRESENCE_PERIOD = 5.0
"""Seconds between a process's announcements of its count of a room."""
PRESENCE_EXPIRY = 3 * PRESENCE_PERIOD
"""Seconds after which a process's count no longer counts, unless it said it again."""


class _Room:
    """One room as this process sees it: its local sessions and every process's count."""

    def __init__(self, name: str, topics: Topics, node: str) -> None:
        self.name = name
        self.topics = topics
        self.node = node
        self.sessions: dict[DefaultWebSocketSession, None] = {}
        self.others: dict[str, tuple[int, float]] = {}
        """Each other process's count of the room, and when it said so."""
        self.shown = 0
        self.asked = new_parking()
        """Woken when another process asks for our count (its first member of the room)."""
        self.listening = False
        """True from the moment a member starts listening to the room's presence topic."""
        self.stop_listening: Callable[[], None] = _nothing

    async def listen(self) -> None:
        """Hear the other processes' counts, unless a member already started to; a member whose
        start fails leaves it to the next one (or to the oldest member's next period)."""
        if self.listening:
            return
        self.listening = True
        try:
            self.stop_listening = await self.topics.listen(f"presence:{self.name}", self.heard)
        except BaseException:
            self.listening = False
            raise

    @property
    def total(self) -> int:
        fresh = anyio.current_time() - PRESENCE_EXPIRY
        return len(self.sessions) + sum(n for n, said in self.others.values() if said > fresh)

    async def announce(self, ask: bool = False) -> None:
        """Tell the other processes how many members this one has."""
        news = json.dumps({"node": self.node, "count": len(self.sessions), "ask": ask})
        with contextlib.suppress(BrokerUnavailable):  # the others hear on the next change
            await self.topics.publish(f"presence:{self.name}", news)

    def heard(self, message: str | bytes) -> None:
        """Another process's count (ours come back too, and are ignored)."""
        news = json.loads(message)
        if news["node"] != self.node:
            if news["count"]:
                self.others[news["node"]] = (news["count"], anyio.current_time())
            else:
                self.others.pop(news["node"], None)
            if news["ask"]:
                self.asked.wake()
        self.show()

    async def answer(self, ws: DefaultWebSocketSession) -> None:
        """Answer the other processes' asks, and announce every period anyway; the room's
        oldest local session does it."""
        while True:
            with anyio.move_on_after(PRESENCE_PERIOD):
                await self.asked.park()
            if next(iter(self.sessions), None) is ws:
                await self.listen()
                self.show()
                await self.announce()

    def show(self, joined: DefaultWebSocketSession | None = None) -> None:
        """Send the count to this process's members when it changed, and to a member that
        just `joined` in any case (its arrival need not change it: another may have left)."""
        total = self.total
        if total != self.shown:
            self.shown = total
            broadcast(self.sessions, json.dumps({"members": total}).encode())
        elif joined is not None:
            broadcast([joined], json.dumps({"members": total}).encode())


def _nothing() -> None:
    """What stops a listener that was never started."""


def add_chat(app: App) -> None:
    """Add the ``/chat/{room}`` WebSocket route to `app`."""
    node = os.urandom(6).hex()
    rooms: dict[str, _Room] = {}

    @app.websocket("/chat/{room}")
    async def chat(ws: DefaultWebSocketSession) -> None:
        assert ws.request is not None
        assert ws.topics is not None
        name = ws.request.path_params["room"]
        room = rooms.get(name)
        first = room is None
        if room is None:
            room = rooms[name] = _Room(name, ws.topics, node)
        # A member from before the first wait: a room is only ever dropped when it is empty,
        # so no one joins a room that another member's leaving is taking down.
        room.sessions[ws] = None
        try:
            await room.listen()
            await ws.subscribe(f"chat:{name}")
            room.show(joined=ws)
            await room.announce(ask=first)
            async with task_group() as tg:
                tg.start_soon(room.answer, ws)
                async for message in ws:
                    if isinstance(message, str):
                        try:
                            await ws.publish(f"chat:{name}", message)
                        except BrokerUnavailable as error:
                            await ws.send(json.dumps({"error": str(error)}).encode())
                tg.cancel_scope.cancel()
        finally:
            room.sessions.pop(ws, None)
            room.show()
            if not room.sessions:
                room.stop_listening()
                if rooms.get(name) is room:
                    del rooms[name]
            await room.announce()
