"""HTTP pipeline edge cases: failures after the handler, ordering around streams and upgrades,
bounded memory against a client that does not read, and requests after a closing one."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import anyio
import pytest

from tests.helpers import read_until, read_until_closed, serving
from tests.http.test_pipeline import H11Client, request
from wsrs import App, DefaultWebSocketSession, Request, Response

pytestmark = pytest.mark.anyio


async def one_piece(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_a_response_queued_behind_a_stream_is_sent() -> None:
    app = App()

    @app.route("/stream")
    async def stream(request: Request) -> Response:
        return Response(one_piece(b"streamed"))

    @app.route("/fixed")
    def fixed(request: Request) -> Response:
        return Response(b"fixed")

    async with serving(app) as server:
        client = await H11Client.connect(server.port)
        async with client.stream:
            await client.stream.send(request("/stream") + request("/fixed"))
            with anyio.fail_after(5):
                assert await client.responses(2) == [(200, b"streamed"), (200, b"fixed")]


async def test_a_stream_that_fails_midway_drops_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.route("/boom")
    async def boom(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield b"partial"
            raise RuntimeError("the source broke")

        return Response(body())

    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(request("/boom") + request("/boom"))
            with anyio.fail_after(5):
                data = await read_until_closed(stream)
    assert b"7\r\npartial\r\n" in data
    assert not data.endswith(b"0\r\n\r\n")
    assert data.count(b"HTTP/1.1 200") == 1
    assert "the source broke" in caplog.text


@pytest.mark.parametrize("sync", [True, False], ids=["def", "async-def"])
async def test_an_unencodable_response_becomes_a_500_and_the_connection_goes_on(
    sync: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = App()
    bad = Response(b"x", headers=[("X-Bad", "line\r\nbreak")])

    def bad_sync(request: Request) -> Response:
        return bad

    async def bad_async(request: Request) -> Response:
        return bad

    app.route("/bad")(bad_sync if sync else bad_async)

    @app.route("/good")
    def good(request: Request) -> Response:
        return Response(b"good")

    async with serving(app) as server:
        client = await H11Client.connect(server.port)
        async with client.stream:
            await client.stream.send(request("/bad") + request("/good"))
            with anyio.fail_after(5):
                responses = await client.responses(2)
    assert [status for status, _ in responses] == [500, 200]
    assert responses[1][1] == b"good"
    assert caplog.records


async def test_an_upgrade_pipelined_behind_a_plain_request_still_switches() -> None:
    app = App()

    @app.route("/plain")
    def plain(request: Request) -> Response:
        return Response(b"plain")

    @app.websocket("/ws")
    async def hello(ws: DefaultWebSocketSession) -> None:
        await ws.send("hi")

    upgrade = (
        b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(request("/plain") + upgrade)
            with anyio.fail_after(5):
                data = await read_until(stream, b"\x81\x02hi")
    assert data.index(b"plain") < data.index(b"101 Switching Protocols")


async def test_nothing_after_a_closing_request_is_handled() -> None:
    app = App()
    ran: list[str] = []

    @app.route("/last")
    async def last(request: Request) -> Response:
        ran.append("last")
        return Response(b"A")

    @app.route("/after", methods=["POST"])
    async def after(request: Request) -> Response:
        ran.append("after")
        return Response(b"B")

    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(
                b"GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                b"POST /after HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
            )
            with anyio.fail_after(5):
                data = await read_until_closed(stream)
    assert ran == ["last"]
    assert data.count(b"HTTP/1.1 ") == 1
    assert data.endswith(b"\r\n\r\nA")


async def test_expect_continue_never_lands_inside_a_streamed_response() -> None:
    app = App()

    @app.route("/echo", methods=["POST"])
    def echo(request: Request) -> Response:
        return Response(request.stream())

    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(
                b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            head = await read_until(stream, b"\r\n\r\n")
            await stream.send(b"hello")
            with anyio.fail_after(5):
                data = head + await read_until_closed(stream)
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"100 Continue" not in data
    assert b"5\r\nhello\r\n0\r\n\r\n" in data


async def test_a_client_that_never_reads_cannot_fill_the_servers_memory() -> None:
    app = App()

    @app.route("/")
    def hello(request: Request) -> Response:
        return Response(b"x" * 200)

    async with serving(app) as server:
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(("127.0.0.1", server.port))
        client.setblocking(False)
        requests = request("/") * 1000
        largest = 0
        try:
            for _ in range(200):
                try:
                    client.send(requests)
                except BlockingIOError:
                    await anyio.wait_all_tasks_blocked()
                for connection in server._connections:
                    largest = max(largest, connection._transport.get_write_buffer_size())
                await anyio.lowlevel.checkpoint()
        finally:
            client.close()
    # Reading stops once the write buffer is full; what one read held may still be answered.
    assert largest < 2 * 1024 * 1024


async def test_shutdown_drops_connections_that_outlive_the_grace_period() -> None:
    app = App()
    started = anyio.Event()

    @app.route("/forever")
    async def forever(request: Request) -> Response:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async with serving(app, shutdown_timeout=0.1) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        await stream.send(request("/forever"))
        await started.wait()
        await server.shutdown()
        with anyio.fail_after(5):
            assert await read_until_closed(stream) == b""
        await stream.aclose()


async def test_an_applications_framing_headers_never_reach_the_wire_twice() -> None:
    app = App()

    @app.route("/sized-stream")
    async def sized_stream(request: Request) -> Response:
        return Response(one_piece(b"abc"), headers={"Content-Length": "3"})

    @app.route("/lying-fixed")
    def lying_fixed(request: Request) -> Response:
        return Response(b"four", headers=[("Content-Length", "99"), ("Transfer-Encoding", "x")])

    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(request("/sized-stream") + request("/lying-fixed"))
            with anyio.fail_after(5):
                data = await read_until(stream, b"four")
    first, _, second = data.partition(b"abcHTTP/1.1")
    for head in (first, second):
        assert head.lower().count(b"content-length") == 1
        assert b"transfer-encoding" not in head.lower()
    assert b"Content-Length: 3\r\n" in first
    assert b"Content-Length: 4\r\n" in second


async def test_a_stream_shorter_than_its_declared_length_drops_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = App()

    @app.route("/short")
    async def short(request: Request) -> Response:
        return Response(one_piece(b"ab"), headers={"Content-Length": "10"})

    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(request("/short"))
            with anyio.fail_after(5):
                data = await read_until_closed(stream)
    assert data.endswith(b"\r\n\r\nab")
    assert "Content-Length 10" in caplog.text
