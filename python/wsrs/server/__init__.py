"""The server: `Server` and `serve` (`server`), listening on asyncio or trio, running the HTTP
engine on every connection and WebSocket sessions on upgrades, with `App` routing."""

from wsrs.server.server import App, Server, serve

__all__ = ["App", "Server", "serve"]
