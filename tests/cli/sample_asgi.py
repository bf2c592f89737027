"""The ASGI apps the command-line tests serve: a Starlette app whose lifespan sets state, a raw
ASGI callable, one whose startup fails, and a factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    yield {"started_in": os.getpid()}


async def _scope(request: Request) -> JSONResponse:
    scope = request.scope
    return JSONResponse(
        {
            "client": scope["client"],
            "scheme": scope["scheme"],
            "root_path": scope["root_path"],
            "path": scope["path"],
            "pid": os.getpid(),
            "state": request.state.started_in,
        }
    )


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive_text()
            await websocket.send_text(str(os.getpid()) if message == "pid" else message)
    except WebSocketDisconnect:
        pass


def create_app() -> Starlette:
    return Starlette(
        routes=[Route("/scope", _scope), WebSocketRoute("/ws", _echo)], lifespan=_lifespan
    )


app = create_app()


async def raw(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Plain ASGI: ``hello`` for every request."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


@asynccontextmanager
async def _failing(app: Starlette) -> AsyncIterator[None]:
    if not os.environ.get("WSRS_DATABASE"):
        raise RuntimeError("the database is down")
    yield


failing = Starlette(lifespan=_failing)
