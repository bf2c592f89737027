"""A real FastAPI app served by wsrs, driven by httpx and the websockets client.

FastAPI runs on Starlette and anyio, so the server runs on asyncio, uvloop and trio. Forms are
parsed by FastAPI itself (python-multipart), over wsrs's streamed request body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
import pytest
from fastapi import BackgroundTasks, FastAPI, Form, Request, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel

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


class Item(BaseModel):
    id: int
    q: str


def fastapi_app(file: Path, background_done: anyio.Event) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"started": True}

    app = FastAPI(lifespan=lifespan)

    @app.get("/json")
    async def json() -> dict[str, Any]:
        return {"hello": "world", "n": 1}

    @app.get("/items/{id}")
    async def item(id: int, q: str) -> Item:
        return Item(id=id, q=q)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def lines() -> AsyncIterator[str]:
            for line in STREAM_PIECES:
                yield line

        return StreamingResponse(lines(), media_type="text/plain")

    @app.get("/file")
    async def send_file() -> FileResponse:
        return FileResponse(file)

    @app.get("/background", response_class=PlainTextResponse)
    async def background(tasks: BackgroundTasks) -> str:
        async def done() -> None:  # a plain function would run in a worker thread
            background_done.set()

        tasks.add_task(done)
        return "queued"

    @app.get("/state")
    async def state(request: Request) -> dict[str, bool]:
        return {"started": request.state.started}

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        return Response(await request.body())

    @app.post("/form")
    async def form(name: Annotated[str, Form()], upload: UploadFile) -> dict[str, Any]:
        return {"name": name, "filename": upload.filename, "size": len(await upload.read())}

    app.add_api_websocket_route("/ws", echo_websocket)
    app.add_api_websocket_route("/ws/denied", denied_websocket)
    app.add_api_websocket_route("/ws/refused", refused_websocket)
    return app


async def test_a_fastapi_app_serves_every_kind_of_route(
    tmp_path: Path, peer: AsyncioThread, caplog: pytest.LogCaptureFixture
) -> None:
    background_done = anyio.Event()
    app = fastapi_app(write_file(tmp_path), background_done)
    async with serving_asgi(app) as server:
        await check_http(server.port, background_done)
        await peer.call(check_websockets(server.port))
    assert errors(caplog) == []


async def test_a_failing_fastapi_lifespan_makes_serve_raise_with_its_message() -> None:
    from wsrs import LifespanError

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.title:
            raise RuntimeError("no database at db:5432")
        yield

    with pytest.raises(LifespanError, match="no database at db:5432"):
        async with serving_asgi(FastAPI(lifespan=lifespan)):
            pytest.fail("the server must not start")
