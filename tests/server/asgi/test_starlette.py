"""A real Starlette app served by wsrs, driven by httpx and the websockets client.

Starlette runs on anyio, so the server runs on asyncio, uvloop and trio. Forms are parsed by
Starlette itself (python-multipart), over wsrs's streamed request body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route, WebSocketRoute

from tests.helpers import AsyncioThread
from tests.server.asgi.asgi_helpers import errors, serving_asgi
from tests.server.asgi.frameworks import (
    STREAM_PIECES,
    check_http,
    check_websockets,
    denied_websocket,
    echo_websocket,
    refused_websocket,
    write_file,
)

pytestmark = pytest.mark.anyio


def starlette_app(file: Path, background_done: anyio.Event) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"started": True}

    async def json(request: Request) -> Response:
        return JSONResponse({"hello": "world", "n": 1})

    async def item(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["id"], "q": request.query_params["q"]})

    async def stream(request: Request) -> Response:
        async def lines() -> AsyncIterator[str]:
            for line in STREAM_PIECES:
                yield line

        return StreamingResponse(lines(), media_type="text/plain")

    async def send_file(request: Request) -> Response:
        return FileResponse(file)

    async def finish() -> None:
        background_done.set()  # on the event loop: a plain function would run in a thread

    async def background(request: Request) -> Response:
        return PlainTextResponse("queued", background=BackgroundTask(finish))

    async def state(request: Request) -> Response:
        return JSONResponse({"started": request.state.started})

    async def echo(request: Request) -> Response:
        return Response(await request.body())

    async def form(request: Request) -> Response:
        async with request.form() as fields:
            upload = fields["upload"]
            assert not isinstance(upload, str)
            size = len(await upload.read())
            return JSONResponse({"name": fields["name"], "filename": upload.filename, "size": size})

    return Starlette(
        routes=[
            Route("/json", json),
            Route("/items/{id:int}", item),
            Route("/stream", stream),
            Route("/file", send_file),
            Route("/background", background),
            Route("/state", state),
            Route("/echo", echo, methods=["POST"]),
            Route("/form", form, methods=["POST"]),
            WebSocketRoute("/ws", echo_websocket),
            WebSocketRoute("/ws/denied", denied_websocket),
            WebSocketRoute("/ws/refused", refused_websocket),
        ],
        lifespan=lifespan,
    )


async def test_a_starlette_app_serves_every_kind_of_route(
    tmp_path: Path, peer: AsyncioThread, caplog: pytest.LogCaptureFixture
) -> None:
    background_done = anyio.Event()
    app = starlette_app(write_file(tmp_path), background_done)
    async with serving_asgi(app) as server:
        await check_http(server.port, background_done)
        await peer.call(check_websockets(server.port))
    assert errors(caplog) == []
