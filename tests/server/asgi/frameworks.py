"""What the Starlette and FastAPI tests check, the same way for both: one app shape, one client.

Both apps serve: ``/json`` (JSON), ``/items/{id}?q=`` (path and query parameters), ``/stream``
(a streamed body), ``/file`` (a file, sent with pathsend), ``/background`` (a background task
after the response), ``/state`` (lifespan state), ``/echo`` (a POST body), ``/form`` (a
multipart form with a field and a file upload, parsed by the framework), and WebSockets:
``/ws`` (subprotocol, echo, close code on "bye"), ``/ws/denied`` (closed before accept) and
``/ws/refused`` (the denial-response extension, 401).
"""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import websockets
import websockets.asyncio.client
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.exceptions import ConnectionClosed as PeerClosed
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

STREAM_PIECES = [f"line {i}\n" for i in range(50)]
FILE_BYTES = bytes(range(256)) * 1200
"""The file served at ``/file``: 300 KiB, so it streams."""


def write_file(directory: Path) -> Path:
    path = directory / "data.bin"
    path.write_bytes(FILE_BYTES)
    return path


async def check_http(port: int, background_done: anyio.Event) -> None:
    """Every HTTP route answers as the framework means it to."""
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"hello": "world", "n": 1}

        item = await client.get("/items/42", params={"q": "a b"})
        assert item.json() == {"id": 42, "q": "a b"}
        assert (await client.get("/items/nope")).status_code in (404, 422)

        async with client.stream("GET", "/stream") as streamed:
            assert streamed.headers["transfer-encoding"] == "chunked"
            text = "".join([piece async for piece in streamed.aiter_text()])
        assert text == "".join(STREAM_PIECES)

        file = await client.get("/file")
        assert file.content == FILE_BYTES
        assert file.headers["content-length"] == str(len(FILE_BYTES))
        partial = await client.get("/file", headers={"Range": "bytes=10-19"})
        assert (partial.status_code, partial.content) == (206, FILE_BYTES[10:20])

        background = await client.get("/background")
        assert background.text == "queued"
        with anyio.fail_after(10):
            await background_done.wait()

        assert (await client.get("/state")).json() == {"started": True}

        echoed = await client.post("/echo", content=b"x" * 200_000)
        assert echoed.content == b"x" * 200_000

        upload = FILE_BYTES * 4
        form = await client.post(
            "/form", data={"name": "Zoë"}, files={"upload": ("data.bin", upload, "x/y")}
        )
        assert form.json() == {"name": "Zoë", "filename": "data.bin", "size": len(upload)}

        assert (await client.get("/missing")).status_code == 404


async def check_websockets(port: int) -> None:
    """The WebSocket routes, driven by the websockets client (run on an asyncio thread)."""
    base = f"ws://127.0.0.1:{port}"
    offered = [Subprotocol("v1.chat"), Subprotocol("v2.chat")]
    async with websockets.asyncio.client.connect(f"{base}/ws", subprotocols=offered) as ws:
        assert ws.subprotocol == "v2.chat"
        await ws.send("hello")
        assert await ws.recv() == "echo: hello"
        await ws.send(b"\x01\x02")
        assert await ws.recv() == b"\x01\x02"
        await ws.send("bye")
        assert await peer_close(ws) == (4000, "goodbye")

    assert await _refusal(f"{base}/ws/denied") == (403, b"Forbidden\n")
    assert await _refusal(f"{base}/ws/refused") == (401, b"no entry")


async def peer_close(ws: websockets.asyncio.client.ClientConnection) -> tuple[int, str] | None:
    """The code and reason of the Close the server sent, once it comes."""
    try:
        await ws.recv()
    except PeerClosed as closed:
        if closed.rcvd is not None:
            return closed.rcvd.code, closed.rcvd.reason
    return None


async def echo_websocket(websocket: WebSocket) -> None:
    """``/ws``: accepts "v2.chat", echoes (text with a prefix), closes 4000 on "bye"."""
    await websocket.accept(subprotocol="v2.chat")
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "bye":
                await websocket.close(4000, "goodbye")
                return
            if message.get("text") is not None:
                await websocket.send_text("echo: " + message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect:
        return


async def denied_websocket(websocket: WebSocket) -> None:
    """``/ws/denied``: closed before accepting."""
    await websocket.close(1008)


async def refused_websocket(websocket: WebSocket) -> None:
    """``/ws/refused``: a denial response."""
    await websocket.send_denial_response(PlainTextResponse("no entry", status_code=401))


async def _refusal(uri: str) -> tuple[int, bytes]:
    """The status and body that refused a WebSocket handshake."""
    try:
        async with websockets.asyncio.client.connect(uri):
            pass
    except InvalidStatus as refused:
        return refused.response.status_code, bytes(refused.response.body)
    raise AssertionError(f"{uri} was accepted")
