"""The HTTP/1.1 pipeline through `wsrs.serve`, driven by raw sockets and h11 as the client."""

from __future__ import annotations

import anyio
import h11
import httpx
import pytest

from tests.helpers import read_until, read_until_closed, serving
from wsrs import App, Request, Response

pytestmark = pytest.mark.anyio


class H11Client:
    """Pipelined requests written in one go over a real socket, responses parsed by h11.

    h11 answers one request at a time, so each response is parsed by a fresh client-side
    connection whose request was "sent" for the state machine only; the bytes it has not consumed
    carry over to the next one.
    """

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.pending = b""

    @classmethod
    async def connect(cls, port: int) -> H11Client:
        return cls(await anyio.connect_tcp("127.0.0.1", port))

    async def responses(self, count: int) -> list[tuple[int, bytes]]:
        """Read `count` responses: (status, body) each."""
        return [await self.response() for _ in range(count)]

    async def response(self) -> tuple[int, bytes]:
        connection = h11.Connection(h11.CLIENT)
        connection.send(h11.Request(method="GET", target="/", headers=[("Host", "t")]))
        connection.send(h11.EndOfMessage())
        if self.pending:
            connection.receive_data(self.pending)
        status, body = 0, b""
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await self.stream.receive())
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                self.pending = connection.trailing_data[0]
                return status, body


def request(path: str, *, method: str = "GET", headers: str = "", body: bytes = b"") -> bytes:
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    return f"{method} {path} HTTP/1.1\r\nHost: t\r\n{length}{headers}\r\n".encode() + body


def numbered_app() -> App:
    app = App()

    @app.route("/n")
    async def number(request: Request) -> Response:
        return Response.text(request.query)

    return app


async def test_hundred_pipelined_requests_in_one_write_are_answered_in_order() -> None:
    async with serving(numbered_app()) as server:
        client = await H11Client.connect(server.port)
        async with client.stream:
            await client.stream.send(b"".join(request(f"/n?{i}") for i in range(100)))
            responses = await client.responses(100)
    assert responses == [(200, str(i).encode()) for i in range(100)]


async def test_a_slow_handler_does_not_reorder_responses() -> None:
    app = App()
    release = anyio.Event()
    started: list[str] = []

    @app.route("/slow")
    async def slow(request: Request) -> Response:
        started.append("slow")
        await release.wait()
        return Response.text("slow")

    @app.route("/fast")
    async def fast(request: Request) -> Response:
        started.append("fast")
        release.set()
        return Response.text("fast")

    async with serving(app) as server:
        client = await H11Client.connect(server.port)
        async with client.stream:
            await client.stream.send(request("/slow") + request("/fast"))
            responses = await client.responses(2)
    assert sorted(started) == ["fast", "slow"]
    assert responses == [(200, b"slow"), (200, b"fast")]


async def test_no_more_than_max_pipelined_requests_wait_for_an_answer() -> None:
    app = App()
    release = anyio.Event()
    bound_reached = anyio.Event()
    started = 0

    @app.route("/wait")
    async def wait(request: Request) -> Response:
        nonlocal started
        started += 1
        if started == 3:
            bound_reached.set()
        await release.wait()
        return Response.text("ok")

    async with serving(app, max_pipelined=3) as server:
        client = await H11Client.connect(server.port)
        async with client.stream:
            await client.stream.send(b"".join(request("/wait") for _ in range(10)))
            await bound_reached.wait()
            await anyio.wait_all_tasks_blocked()
            assert started == 3
            release.set()
            assert await client.responses(10) == [(200, b"ok")] * 10
    assert started == 10


async def test_idle_connection_is_closed_but_a_long_handler_is_not_cancelled() -> None:
    app = App()
    finished = anyio.Event()

    @app.route("/long")
    async def long(request: Request) -> Response:
        await anyio.sleep(0.5)
        finished.set()
        return Response.text("done")

    async with serving(app, idle_timeout=0.2) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(request("/long"))
            data = await read_until(stream, b"done")
            assert data.startswith(b"HTTP/1.1 200 ")
            assert finished.is_set()
            with anyio.fail_after(5):
                rest = await read_until_closed(stream)
            assert rest == b""


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            400,
            id="cl-and-te",
        ),
        pytest.param(b"GET / HTTP/1.1\r\n\r\n", 400, id="no-host"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, id="two-hosts"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400, id="obs-fold"),
        pytest.param(b"GET / HTTP/1.1\nHost: t\n\n", 400, id="bare-lf"),
        pytest.param(b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, id="http-2"),
        pytest.param(b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414, id="long"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: t\r\nCookie: secret\x00\r\n\r\n", 400, id="nul"),
    ],
)
async def test_malformed_requests_get_their_status_and_a_clean_close(
    raw: bytes, status: int
) -> None:
    async with serving(numbered_app()) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(raw)
            with anyio.fail_after(5):
                response = await read_until_closed(stream)
    assert response.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Connection: close" in response
    assert b"secret" not in response


async def test_earlier_responses_come_before_the_error() -> None:
    async with serving(numbered_app()) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(request("/n?1") + b"BAD\r\n\r\n")
            with anyio.fail_after(5):
                response = await read_until_closed(stream)
    first, _, second = response.partition(b"HTTP/1.1 400 ")
    assert first.startswith(b"HTTP/1.1 200 ")
    assert second


async def test_expect_continue_is_answered_when_the_body_is_read() -> None:
    app = App()

    @app.route("/upload", methods=["POST"])
    async def upload(request: Request) -> Response:
        return Response(await request.read())

    async with serving(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(
                b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                b"Expect: 100-continue\r\n\r\n"
            )
            interim = await read_until(stream, b"\r\n\r\n")
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            await stream.send(b"hello")
            response = await read_until(stream, b"hello")
    assert response.startswith(b"HTTP/1.1 200 ")


async def test_http_1_0_closes_after_the_response_unless_kept_alive() -> None:
    async with serving(numbered_app()) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(b"GET /n?a HTTP/1.0\r\n\r\n")
            with anyio.fail_after(5):
                response = await read_until_closed(stream)
    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b"\r\n\r\na")


async def test_echo_body_with_httpx_chunked_and_sized() -> None:
    app = App()

    @app.route("/echo-body", methods=["POST"])
    async def echo_body(request: Request) -> Response:
        return Response(request.stream())

    async def pieces() -> object:
        for number in range(100):
            yield b"%d," % number

    async with serving(app) as server:
        url = f"http://127.0.0.1:{server.port}/echo-body"
        async with httpx.AsyncClient() as client:
            sized = await client.post(url, content=b"x" * 300_000)
            chunked = await client.post(url, content=pieces())  # type: ignore[arg-type]
    assert sized.status_code == 200
    assert sized.content == b"x" * 300_000
    assert chunked.content == b"".join(b"%d," % n for n in range(100))
    assert chunked.headers["transfer-encoding"] == "chunked"
