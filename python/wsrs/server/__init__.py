"""The server: `Server` and `serve` (`server`), listening on asyncio or trio, running the HTTP
engine on every connection and WebSocket sessions on upgrades, `App` routing (`app`), and ASGI
mode (`asgi`: `AsgiApp` serves any ASGI 3 application)."""

from wsrs.server.app import App
from wsrs.server.asgi import AsgiApp, is_asgi_app
from wsrs.server.server import Server, serve

__all__ = ["App", "AsgiApp", "Server", "is_asgi_app", "serve"]
