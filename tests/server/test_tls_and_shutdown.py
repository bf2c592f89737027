"""wss:// end to end with a real certificate chain, and graceful server shutdown."""

from __future__ import annotations

import ssl

import anyio
import pytest
import trustme

from tests.helpers import serving, websocket_app
from tests.wire import RawClient
from tests.ws.session.test_close_handshake import Recorder
from wsrs import (
    CloseReason,
    ConnectionClosedOK,
    DefaultWebSocketSession,
    Request,
    Response,
    connect,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def contexts(authority: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return server, client


async def echo(ws: DefaultWebSocketSession) -> None:
    async for message in ws:
        await ws.send(message)


async def test_wss_round_trips_over_tls(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, client_context = contexts
    async with (
        serving(websocket_app(echo), ssl=server_context) as server,
        connect(f"wss://localhost:{server.port}/ws", ssl=client_context) as ws,
    ):
        messages: list[str | bytes] = ["over tls ✓", b"\x00" * 100_000]
        for message in messages:
            await ws.send(message)
            assert await ws.receive() == message


async def test_wss_client_refuses_an_untrusted_certificate(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, _ = contexts
    async with serving(websocket_app(echo), ssl=server_context) as server:
        with pytest.raises(ssl.SSLError):
            async with connect(f"wss://localhost:{server.port}/ws"):
                pass


async def test_shutdown_closes_sessions_with_1001_and_lets_handlers_finish() -> None:
    recorder = Recorder()
    entered = anyio.Event()
    app = websocket_app(recorder)

    @app.route("/slow")
    async def slow(request: Request) -> Response:
        entered.set()
        await anyio.sleep(0.1)
        return Response.text("finished")

    async with serving(app) as server, connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        await stream.send(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        await entered.wait()
        await server.shutdown()
        with pytest.raises(ConnectionClosedOK) as closed:
            await ws.receive()
        answer = b""
        while b"finished" not in answer:
            answer += await stream.receive()
        await stream.aclose()
    assert closed.value.code == 1001
    assert await ws.close_reason == CloseReason(1001, "Server is going down")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close" in answer


async def test_a_server_cancelled_mid_session_leaves_no_websocket_connection_open() -> None:
    # Cancelled, the session's task writes its Close without waiting, and the timer that would
    # drop the connection after `close_timeout` dies with the server: the connection must
    # still end, not stay open for as long as the peer keeps it.
    with anyio.CancelScope() as scope:
        async with serving(websocket_app(echo)) as server:
            client = await RawClient.connect(server.port, "/ws")
            scope.cancel()
    async with client:
        with anyio.fail_after(5):
            assert (await client.read_frame()).close_code == 1001
            assert await client.read_until_closed() == b""
