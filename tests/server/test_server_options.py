"""Server options the command line relies on: Unix sockets, given sockets, proxy headers,
limit_concurrency and the access log, on asyncio, uvloop and trio."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import anyio
import httpx
import pytest

from tests.conftest import UVLOOP
from tests.helpers import read_until, serving, websocket_app
from wsrs import App, DefaultWebSocketSession, Request, Response, connect, serve
from wsrs._wsrs import RequestHead, RequestParser
from wsrs.http.messages import EMPTY_BODY
from wsrs.server.listeners import bind_tcp, bind_unix
from wsrs.server.proxy import ProxyHeaders

pytestmark = pytest.mark.anyio
ALL = pytest.mark.parametrize("anyio_backend", ["asyncio", UVLOOP, "trio"], indirect=True)


def client_app() -> App:
    app = App()

    @app.route("/client")
    def client(request: Request) -> Response:
        return Response.json({"address": request.remote_address, "scheme": request.scheme})

    return app


@ALL
async def test_a_unix_socket_is_served_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "server.sock"
    async with serve(client_app(), uds=str(path)) as server:
        assert server.port == 0
        transport = httpx.AsyncHTTPTransport(uds=str(path))
        async with httpx.AsyncClient(transport=transport) as http:
            seen = (await http.get("http://localhost/client")).json()
    assert seen["scheme"] == "http"
    assert not path.exists()


def test_a_unix_socket_someone_listens_on_is_not_taken(tmp_path: Path) -> None:
    path = str(tmp_path / "taken.sock")
    with bind_unix(path), pytest.raises(OSError, match="already listens"):
        bind_unix(path)


def test_a_stale_unix_socket_file_is_replaced(tmp_path: Path) -> None:
    path = str(tmp_path / "stale.sock")
    bind_unix(path).close()  # the file stays, nobody listens
    with bind_unix(path) as again:
        assert again.getsockname() == path


@ALL
async def test_a_given_socket_is_served() -> None:
    sock = bind_tcp("127.0.0.1", 0)
    port = sock.getsockname()[1]
    async with serve(client_app(), sock=sock) as server:
        assert server.port == port
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/client")
    assert response.status_code == 200


def test_reuse_port_listeners_share_a_port_held_by_a_bound_socket() -> None:
    holder = bind_tcp("127.0.0.1", 0, reuse_port=True, listen=False)
    port = holder.getsockname()[1]
    with holder, bind_tcp("127.0.0.1", port, reuse_port=True) as one:
        with bind_tcp("127.0.0.1", port, reuse_port=True) as two:
            assert one.getsockname() == two.getsockname()
        with pytest.raises(OSError, match="in use"), socket.socket() as other:
            other.bind(("127.0.0.1", port))


@ALL
async def test_proxy_headers_rewrite_the_client_and_scheme_from_trusted_peers() -> None:
    headers = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"}
    async with serving(client_app(), proxy_headers=True) as server, httpx.AsyncClient() as http:
        seen = await http.get(f"http://127.0.0.1:{server.port}/client", headers=headers)
    assert seen.json() == {"address": ["203.0.113.9", 0], "scheme": "https"}


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ("127.0.0.1", "127.0.0.1", "1.2.3.4", "1.2.3.4"),
        ("127.0.0.1", "10.0.0.1", "1.2.3.4", "10.0.0.1"),
        ("10.0.0.0/8", "10.1.2.3", "1.2.3.4, 10.9.9.9", "1.2.3.4"),
        ("*", "8.8.8.8", "1.2.3.4, 5.6.7.8", "1.2.3.4"),
        ("127.0.0.1, ::1", "::1", "2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_the_client_is_the_nearest_untrusted_hop(
    trusted: str, peer: str, forwarded: str, client: str
) -> None:
    head = RequestParser().feed(
        f"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {forwarded}\r\n\r\n".encode()
    )[0]
    assert isinstance(head, RequestHead)
    request = Request(head, EMPTY_BODY, (peer, 4321))
    ProxyHeaders(trusted).apply(request)
    assert request.remote_address[0] == client


def test_unix_socket_peers_are_trusted_only_with_a_star() -> None:
    assert not ProxyHeaders("127.0.0.1").trusts(None)
    assert ProxyHeaders("*").trusts(None)


@ALL
async def test_limit_concurrency_answers_503_and_closes() -> None:
    held = anyio.Event()

    async def hold(ws: DefaultWebSocketSession) -> None:
        held.set()
        async for message in ws:
            await ws.send(message)

    async with (
        serving(websocket_app(hold), limit_concurrency=1) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws"),
    ):
        await held.wait()
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = await read_until(stream, b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable")
    assert b"Connection: close" in answer


@ALL
async def test_the_access_log_has_one_line_per_response(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wsrs.access")
    async with (
        serving(client_app(), access_log=True) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(b"GET /client HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.0\r\n\r\n")
        await read_until(stream, b"Not Found")
        await stream.send(b"BAD\r\n\r\n")
    lines = [r.getMessage() for r in caplog.records if r.name == "wsrs.access"]
    assert len(lines) == 2
    assert lines[0].startswith("127.0.0.1:")
    assert lines[0].endswith('"GET /client HTTP/1.1" 200')
    assert lines[1].endswith('"GET /nope HTTP/1.0" 404')


@ALL
async def test_connections_share_their_local_address_and_peer_host_objects() -> None:
    # Each request (and each WebSocket session, through its handshake request) keeps both for
    # its whole life: equal addresses are one object, not a copy per connection.
    seen: list[Request] = []
    app = App()

    @app.route("/keep")
    def keep(request: Request) -> Response:
        seen.append(request)
        return Response.text("kept")

    async with serve(app) as server:
        for _ in range(3):
            async with httpx.AsyncClient() as http:
                reply = await http.get(f"http://127.0.0.1:{server.port}/keep")
                assert reply.text == "kept"
    first, *others = seen
    assert len({request.remote_address[1] for request in seen}) == 3  # three connections
    for other in others:
        assert other.local_address == first.local_address
        assert other.local_address is first.local_address
        assert other.remote_address[0] is first.remote_address[0]
