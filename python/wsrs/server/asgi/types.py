"""The ASGI 3 callable and its messages, as types (asgi.readthedocs.io, spec version 2.5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["ASGI_VERSION", "AsgiCallable", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
"""The connection scope: what the request or WebSocket is (type, path, headers …)."""
Message = MutableMapping[str, Any]
"""One event, keyed by ``type``."""
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiCallable = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application: ``async def app(scope, receive, send)``."""

ASGI_VERSION = {"version": "3.0", "spec_version": "2.5"}
"""The ``asgi`` key of every scope."""
