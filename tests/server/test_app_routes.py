"""`App` routes: exact paths and ``{name}`` patterns, for HTTP handlers and WebSockets alike."""

from __future__ import annotations

import anyio
import pytest

from tests.helpers import read_until_closed, serving
from tests.wire import RawClient
from wsrs import App, DefaultWebSocketSession, Request, Response

pytestmark = pytest.mark.anyio


def _app() -> App:
    app = App()

    @app.route("/items/{item}/parts/{part}")
    def part(request: Request) -> Response:
        return Response.json(request.path_params)

    @app.route("/items/special/parts/all")
    def special(request: Request) -> Response:
        return Response.text("exact")

    @app.websocket("/chat/{room}")
    async def chat(ws: DefaultWebSocketSession) -> None:
        assert ws.request is not None
        await ws.send(ws.request.path_params["room"])

    return app


async def _get(port: int, target: str) -> bytes:
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return await read_until_closed(stream)


async def test_a_pattern_gives_each_named_segment_percent_decoded() -> None:
    async with serving(_app()) as server:
        answer = await _get(server.port, "/items/a%20b/parts/7?x=1")
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(b'{"item": "a b", "part": "7"}')


async def test_an_exact_path_wins_over_a_pattern_that_matches_it() -> None:
    async with serving(_app()) as server:
        answer = await _get(server.port, "/items/special/parts/all")
    assert answer.endswith(b"exact")


@pytest.mark.parametrize("target", ["/items//parts/7", "/items/a/b/parts/7", "/items/a/parts"])
async def test_a_segment_matches_one_non_empty_segment_only(target: str) -> None:
    async with serving(_app()) as server:
        answer = await _get(server.port, target)
    assert answer.startswith(b"HTTP/1.1 404")


async def test_a_websocket_pattern_hands_the_session_its_parameters() -> None:
    async with serving(_app()) as server, await RawClient.connect(server.port, "/chat/lobby") as ws:
        assert ws.status == 101
        assert (await ws.read_frame()).payload == b"lobby"


@pytest.mark.parametrize("path", ["/a/{b", "/a/{1x}", "/a/{b}/{b}"])
def test_malformed_patterns_are_refused_when_registered(path: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        App().route(path)(lambda request: Response.text(""))
