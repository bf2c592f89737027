"""Handlers that write their own response through a `ResponseWriter` (`Responder`)."""

from __future__ import annotations

import anyio
import httpx
import pytest

from tests.helpers import read_until_closed, serving
from wsrs import App, ClientDisconnected, LocalProtocolError, Request, Responder, Response
from wsrs.http import ResponseWriter

pytestmark = pytest.mark.anyio


def app_with(run: object, path: str = "/", methods: tuple[str, ...] = ("GET", "HEAD")) -> App:
    app = App()
    responder = Responder(run)  # type: ignore[arg-type]

    @app.route(path, methods=methods)
    def route(request: Request) -> Responder:
        return responder

    return app


async def raw(port: int, request: bytes) -> bytes:
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(request)
        return await read_until_closed(stream)


async def test_an_interim_response_then_a_streamed_one_with_trailers() -> None:
    async def run(writer: ResponseWriter) -> None:
        await writer.interim(103, [("Link", "</a.css>; rel=preload")])
        await writer.start(Response(b"", 200, [("Trailer", "X-Sum")]))
        await writer.write(b"abc")
        await writer.end([("X-Sum", "6")])

    async with serving(app_with(run)) as server:
        data = await raw(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    hint, _, rest = data.partition(b"\r\n\r\n")
    assert hint == b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload"
    assert rest.endswith(b"\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 6\r\n\r\n")


async def test_a_whole_response_needs_no_wait_and_a_second_one_is_refused() -> None:
    refused: list[Exception] = []

    async def run(writer: ResponseWriter) -> None:
        writer.respond(Response.text("whole"))
        try:
            await writer.start(Response(b""))
        except LocalProtocolError as error:
            refused.append(error)

    async with serving(app_with(run)) as server, httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/")
    assert response.text == "whole"
    assert len(refused) == 1


async def test_a_responder_that_gives_nothing_gets_a_500() -> None:
    async def run(writer: ResponseWriter) -> None:
        return

    async with serving(app_with(run)) as server, httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/")).status_code == 500


async def test_writing_after_the_client_left_raises_client_disconnected() -> None:
    raised: list[BaseException] = []
    done = anyio.Event()

    async def run(writer: ResponseWriter) -> None:
        await writer.start(Response(b""))
        try:
            while True:
                await writer.write(b"x" * 65536)
        except ClientDisconnected as error:
            raised.append(error)
        done.set()

    async with serving(app_with(run)) as server:
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await stream.receive()
        with anyio.fail_after(10):
            await done.wait()
    assert isinstance(raised[0], OSError)


async def test_head_keeps_a_declared_content_length_for_plain_handlers() -> None:
    app = App()

    @app.route("/")
    def page(request: Request) -> Response:
        body = b"" if request.method == "HEAD" else b"x" * 10
        return Response(body, headers=[("Content-Length", "10")])

    async with serving(app) as server, httpx.AsyncClient() as client:
        head = await client.head(f"http://127.0.0.1:{server.port}/")
        get = await client.get(f"http://127.0.0.1:{server.port}/")
    assert head.headers["content-length"] == "10"
    assert get.content == b"x" * 10
