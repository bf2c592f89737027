"""The server: `Server` and `serve` (`server`), listening on asyncio or trio, running the HTTP
engine on every connection and WebSocket sessions on upgrades, and `App` routing (`app`)."""

from wsrs.server.app import App
from wsrs.server.server import Server, serve

__all__ = ["App", "Server", "serve"]
