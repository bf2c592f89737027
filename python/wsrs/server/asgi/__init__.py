"""ASGI mode: `AsgiApp` serves any ASGI 3 application (spec 2.5) with `wsrs.serve`.

Rooms: `app` (the adapter and `is_asgi_app`), `scope` (connection scopes and the ``tls``
extension), `http` (a request's receive and send), `response` (response events, shared with
WebSocket denials), `websocket` (the WebSocket cycle on `DefaultWebSocketSession`), `lifespan`,
and `types`.
"""

from wsrs.server.asgi.app import AsgiApp, is_asgi_app

__all__ = ["AsgiApp", "is_asgi_app"]
