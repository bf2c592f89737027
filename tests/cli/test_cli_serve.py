"""`wsrs serve MODULE:ATTR` and its flags, as processes driven by real clients."""

from __future__ import annotations

import socket
import ssl
import sys
from pathlib import Path

import anyio
import httpx
import pytest
import trustme

from tests.cli.process import SAMPLE, wsrs_serve
from tests.helpers import read_until_closed
from tests.wire import RawClient
from wsrs import ConnectionClosed, connect

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("backend", ["asyncio", "uvloop", "trio"])
async def test_an_app_is_served_on_each_backend(backend: str) -> None:
    async with wsrs_serve("--port", "0", "--backend", backend, SAMPLE) as served:
        assert served.banner.startswith(f"wsrs: serving {SAMPLE} on http://127.0.0.1:")
        assert f"({backend})" in served.banner
        async with httpx.AsyncClient() as http:
            hello = await http.get(f"{served.url}/hello")
        async with connect(f"ws://127.0.0.1:{served.port}/ws") as ws:
            await ws.send("round trip")
            assert await ws.receive() == "round trip"
        assert await served.stop() == 0
    assert hello.text == "Hello, World!"


async def test_a_factory_is_called() -> None:
    async with (
        wsrs_serve("--port", "0", "--factory", "tests.cli.sample_app:create_app") as served,
        httpx.AsyncClient() as http,
    ):
        assert (await http.get(f"{served.url}/hello")).text == "Hello, World!"


async def test_env_file_is_loaded_before_the_app(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# settings\nexport WSRS_TEST_VALUE='from the file'\nWSRS_GREETING=hi\n")
    args = ("--port", "0", "--env-file", str(env_file), SAMPLE)
    async with (
        wsrs_serve(*args, env={"WSRS_GREETING": "kept"}) as served,
        httpx.AsyncClient() as http,
    ):
        value = (await http.get(f"{served.url}/env")).text
        greeting = (await http.get(f"{served.url}/hello")).text
    assert value == "from the file"
    assert greeting == "kept"  # the environment wins over the file


async def test_uds_serves_on_a_unix_socket_and_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "wsrs.sock"
    async with wsrs_serve("--uds", str(path), SAMPLE) as served:
        assert f"on unix:{path}" in served.banner
        transport = httpx.AsyncHTTPTransport(uds=str(path))
        async with httpx.AsyncClient(transport=transport) as http:
            hello = await http.get("http://localhost/hello")
        assert await served.stop() == 0
    assert hello.text == "Hello, World!"
    assert not path.exists()


async def test_fd_serves_on_an_inherited_socket() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        fd = str(listener.fileno())
        async with wsrs_serve("--fd", fd, SAMPLE, pass_fds=[listener.fileno()]) as served:
            assert f"on fd {fd}" in served.banner
            async with httpx.AsyncClient() as http:
                hello = await http.get(f"http://127.0.0.1:{port}/hello")
    assert hello.text == "Hello, World!"


@pytest.mark.parametrize(
    ("flags", "headers", "address", "scheme"),
    [
        ([], {"X-Forwarded-For": "203.0.113.7"}, "127.0.0.1", "http"),
        (["--proxy-headers"], {"X-Forwarded-For": "203.0.113.7"}, "203.0.113.7", "http"),
        (
            ["--proxy-headers"],
            {"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"},
            "203.0.113.7",
            "https",
        ),
        (
            ["--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8"],
            {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
            "127.0.0.1",
            "http",
        ),
        (
            ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1,203.0.113.0/24"],
            {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"},
            "198.51.100.1",
            "http",
        ),
    ],
)
async def test_proxy_headers_are_trusted_only_from_allowed_peers(
    flags: list[str], headers: dict[str, str], address: str, scheme: str
) -> None:
    async with wsrs_serve("--port", "0", *flags, SAMPLE) as served, httpx.AsyncClient() as http:
        seen = (await http.get(f"{served.url}/client", headers=headers)).json()
    assert seen["address"][0] == address
    assert seen["scheme"] == scheme


async def test_limit_concurrency_answers_503_past_the_limit() -> None:
    async with wsrs_serve("--port", "0", "--limit-concurrency", "1", SAMPLE) as served:
        async with httpx.AsyncClient() as http:
            alone = await http.get(f"{served.url}/hello")
        async with connect(f"ws://127.0.0.1:{served.port}/ws") as ws:
            await ws.send("hold")
            assert await ws.receive() == "hold"
            async with httpx.AsyncClient() as http:
                crowded = await http.get(f"{served.url}/hello")
    assert alone.status_code == 200
    assert crowded.status_code == 503


@pytest.mark.parametrize("flag", ["--access-log", "--no-access-log"])
async def test_access_log_writes_one_line_per_response(flag: str) -> None:
    async with wsrs_serve("--port", "0", flag, SAMPLE) as served:
        async with httpx.AsyncClient() as http:
            await http.get(f"{served.url}/hello?x=1")
            await http.get(f"{served.url}/missing")
        assert await served.stop() == 0
    lines = [line for line in served.stderr.splitlines() if "wsrs.access" in line]
    if flag == "--access-log":
        assert len(lines) == 2
        assert lines[0].startswith("INFO wsrs.access: 127.0.0.1:")
        assert lines[0].endswith('"GET /hello?x=1 HTTP/1.1" 200')
        assert lines[1].endswith('"GET /missing HTTP/1.1" 404')
    else:
        assert lines == []


async def test_log_level_warning_hides_info_lines() -> None:
    async with wsrs_serve("--port", "0", "--log-level", "warning", SAMPLE) as served:
        assert await served.stop() == 0
    assert "shutting down" not in served.stderr
    async with wsrs_serve("--port", "0", "--log-level", "info", SAMPLE) as served:
        assert await served.stop() == 0
    assert "INFO wsrs: SIGTERM: shutting down" in served.stderr


async def test_timeout_keep_alive_closes_an_idle_connection() -> None:
    async with (
        wsrs_serve("--port", "0", "--timeout-keep-alive", "0.5", SAMPLE) as served,
        await anyio.connect_tcp("127.0.0.1", served.port) as stream,
    ):
        await stream.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        with anyio.fail_after(10):
            received = await read_until_closed(stream)
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert received.endswith(b"Hello, World!")


async def test_timeout_request_head_answers_408_to_a_slow_head() -> None:
    args = ("--port", "0", "--timeout-request-head", "0.5", "--timeout-keep-alive", "60", SAMPLE)
    async with (
        wsrs_serve(*args) as served,
        await anyio.connect_tcp("127.0.0.1", served.port) as stream,
    ):
        await stream.send(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        with anyio.fail_after(10):
            received = await read_until_closed(stream)
    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


async def test_ws_max_size_closes_with_1009() -> None:
    async with (
        wsrs_serve("--port", "0", "--ws-max-size", "1000", SAMPLE) as served,
        connect(f"ws://127.0.0.1:{served.port}/ws", max_frame_size=10_000) as ws,
    ):
        await ws.send("x" * 1000)
        assert await ws.receive() == "x" * 1000
        await ws.send("x" * 1001)
        with pytest.raises(ConnectionClosed):
            await ws.receive()
        assert (await ws.close_reason).code == 1009


async def test_ws_ping_interval_pings_the_client() -> None:
    args = ("--port", "0", "--ws-ping-interval", "0.2", "--ws-ping-timeout", "5", SAMPLE)
    async with wsrs_serve(*args) as served, await RawClient.connect(served.port, "/ws") as client:
        with anyio.fail_after(10):
            ping = await client.read_frame()
    assert ping.opcode == 0x9


async def test_ssl_serves_https(tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    key, chain = tmp_path / "key.pem", tmp_path / "chain.pem"
    certificate.private_key_pem.write_to_path(key)
    certificate.cert_chain_pems[0].write_to_path(chain)
    args = ("--port", "0", "--ssl-keyfile", str(key), "--ssl-certfile", str(chain), SAMPLE)
    async with wsrs_serve(*args) as served:
        assert served.banner.split(" on ", 1)[1].startswith("https://127.0.0.1:")
        context = ssl.create_default_context()
        authority.configure_trust(context)
        async with httpx.AsyncClient(verify=context) as http:
            seen = (await http.get(f"https://127.0.0.1:{served.port}/client")).json()
    assert seen["scheme"] == "https"


async def test_help_lists_every_flag_on_one_line_with_its_default() -> None:
    result = await anyio.run_process([sys.executable, "-m", "wsrs", "serve", "--help"])
    text = result.stdout.decode()
    flags = [line.split()[0] for line in text.splitlines() if line.startswith("  --")]
    for flag in FLAGS:
        assert flag in flags, flag
    assert "--timeout-graceful-shutdown SECONDS  time to finish on stop (default: 5.0)" in text
    top = (await anyio.run_process([sys.executable, "-m", "wsrs", "--help"])).stdout.decode()
    assert "serve" in top
    assert "client" in top


FLAGS = [
    "--host",
    "--port",
    "--uds",
    "--fd",
    "--backend",
    "--workers",
    "--reload",
    "--root-path",
    "--proxy-headers",
    "--forwarded-allow-ips",
    "--limit-concurrency",
    "--timeout-keep-alive",
    "--timeout-graceful-shutdown",
    "--ws-max-size",
    "--ws-ping-interval",
    "--ws-ping-timeout",
    "--log-level",
    "--access-log,",
    "--ssl-keyfile",
    "--ssl-certfile",
    "--env-file",
    "--factory",
    "--interface",
    "--timeout-request-head",
]
