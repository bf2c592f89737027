"""Load the server must survive: running out of file descriptors (a server in a child process
with ``RLIMIT_NOFILE`` 200 and 400 clients), slow-header clients, malformed bodies."""

from __future__ import annotations

import logging
import signal
import sys

import anyio
import anyio.abc
import pytest

from tests.conftest import UVLOOP
from tests.helpers import read_until, read_until_closed, serving
from wsrs import App, Request, Response

pytestmark = pytest.mark.anyio

SERVER = """
import resource, signal, sys
import anyio
import wsrs

resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))
app = wsrs.App()

@app.route("/hello")
def hello(request):
    return wsrs.Response.text("Hello, World!")

async def main():
    with anyio.open_signal_receiver(signal.SIGTERM) as signals:
        async with wsrs.serve(app, "127.0.0.1", 0) as server:
            print(server.port, flush=True)
            async for _ in signals:
                return

backend = sys.argv[1]
anyio.run(main, backend="asyncio" if backend == "uvloop" else backend,
          backend_options={"use_uvloop": True} if backend == "uvloop" else {})
"""
GET = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def get(port: int) -> bytes:
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(GET)
        return await read_until(stream, b"Hello, World!")


@pytest.mark.parametrize("backend", ["asyncio", "uvloop", "trio"])
async def test_running_out_of_descriptors_pauses_accepting_and_logs_once(backend: str) -> None:
    command = [sys.executable, "-c", SERVER, backend]
    errors: list[bytes] = []
    async with await anyio.open_process(command) as process, anyio.create_task_group() as tg:
        assert process.stdout is not None
        assert process.stderr is not None
        tg.start_soon(_collect, process.stderr, errors)  # a full pipe must not block the server
        with anyio.fail_after(30):
            port = int((await process.stdout.receive()).decode())
        async with await anyio.connect_tcp("127.0.0.1", port) as early:
            clients: list[anyio.abc.SocketStream] = []
            try:
                while len(clients) < 400:
                    clients.append(await anyio.connect_tcp("127.0.0.1", port))
                await early.send(GET)  # a connection accepted before the flood is still served
                with anyio.fail_after(30):
                    assert (await read_until(early, b"Hello, World!")).startswith(b"HTTP/1.1 200")
            finally:
                for client in clients:
                    await client.aclose()
        with anyio.fail_after(60):
            answer = await get(port)  # accepting went on once descriptors were free again
        assert process.returncode is None
        process.send_signal(signal.SIGTERM)
        with anyio.fail_after(30):
            status = await process.wait()
    stderr = b"".join(errors).decode()
    assert status == 0, stderr
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) <= 3, stderr  # once per interval, not once per accept
    if backend != "uvloop":  # libuv sheds such connections itself, silently
        assert "cannot accept connections: [Errno 24] Too many open files" in stderr


async def _collect(stream: anyio.abc.ByteReceiveStream, into: list[bytes]) -> None:
    into.extend([chunk async for chunk in stream])


def hello_app() -> App:
    app = App()

    @app.route("/hello")
    def hello(request: Request) -> Response:
        return Response.text("Hello, World!")

    @app.route("/echo", methods=["POST"])
    async def echo(request: Request) -> Response:
        return Response(request.stream())

    @app.route("/read", methods=["POST"])
    async def read(request: Request) -> Response:
        return Response(await request.read())

    return app


@pytest.mark.parametrize("anyio_backend", ["asyncio", UVLOOP, "trio"], indirect=True)
async def test_a_slow_request_head_gets_408_before_the_keep_alive_timeout() -> None:
    async with (
        serving(hello_app(), head_timeout=0.3, idle_timeout=60) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        with anyio.fail_after(20):
            received = await read_until_closed(stream)
    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"Connection: close" in received


@pytest.mark.parametrize("anyio_backend", ["asyncio", UVLOOP, "trio"], indirect=True)
async def test_the_head_deadline_does_not_cut_an_idle_keep_alive_connection() -> None:
    async with (
        serving(hello_app(), head_timeout=0.2, idle_timeout=60) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(GET)
        first = await read_until(stream, b"Hello, World!")
        await anyio.sleep(0.6)  # idle, with no partial head: only the idle timeout applies
        await stream.send(GET)
        with anyio.fail_after(20):
            second = await read_until(stream, b"Hello, World!")
    assert first.startswith(b"HTTP/1.1 200 OK")
    assert second.startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize("anyio_backend", ["asyncio", UVLOOP, "trio"], indirect=True)
@pytest.mark.parametrize("path", ["/echo", "/read"])
async def test_a_malformed_chunked_body_is_not_logged_as_a_server_error(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wsrs")
    async with (
        serving(hello_app()) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"5\r\nhello\r\nzz\r\n"
        )
        with anyio.fail_after(20):
            received = await read_until_closed(stream)
    assert b"500" not in received.split(b"\r\n", 1)[0]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("malformed chunk-size" in r.getMessage() for r in caplog.records)
