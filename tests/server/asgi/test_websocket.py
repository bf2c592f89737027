"""Raw ASGI over WebSocket: scope, accept, messages, close codes, refusals, the session's limits."""

from __future__ import annotations

import anyio
import pytest
import websockets
import websockets.asyncio.client
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from tests.helpers import AsyncioThread, read_until, read_until_closed
from tests.server.asgi.asgi_helpers import Recorder, errors, exchange, http_only, serving_asgi
from tests.server.asgi.frameworks import peer_close
from wsrs import ClientDisconnected, CloseReason, ConnectionClosed, HandshakeError, connect
from wsrs.server.asgi.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


def echo_app(seen: Recorder) -> object:
    """Accepts (with "chat.v2" when offered, and a header), echoes, records what it received."""

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.add(scope)
        assert await receive() == {"type": "websocket.connect"}
        headers = [(b"x-served-by", b"wsrs")]
        subprotocol = "chat.v2" if "chat.v2" in scope["subprotocols"] else None
        await send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})
        while True:
            message = await receive()
            seen.add(message)
            if message["type"] == "websocket.disconnect":
                return
            await send({**message, "type": "websocket.send"})

    return app


async def websockets_echo(port: int) -> tuple[str | None, str | None, list[str | bytes]]:
    uri = f"ws://127.0.0.1:{port}/chat?room=1"
    offered = [Subprotocol("chat.v1"), Subprotocol("chat.v2")]
    async with websockets.asyncio.client.connect(uri, subprotocols=offered, compression=None) as ws:
        echoed = []
        messages: list[str | bytes] = ["hé", b"\x00\x01", "x" * 70_000]
        for message in messages:
            await ws.send(message)
            echoed.append(await ws.recv())
        await ws.close(4002, "later")
        served_by = ws.response.headers.get("x-served-by") if ws.response else None
        return ws.subprotocol, served_by, echoed


async def test_accept_echo_and_the_peers_close_code_with_websockets(peer: AsyncioThread) -> None:
    seen = Recorder()
    async with serving_asgi(echo_app(seen)) as server:  # type: ignore[arg-type]
        subprotocol, served_by, echoed = await peer.call(websockets_echo(server.port))
        items = await seen.wait_for(5)
    assert (subprotocol, served_by) == ("chat.v2", "wsrs")
    assert echoed == ["hé", b"\x00\x01", "x" * 70_000]
    scope = items[0]
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert (scope["path"], scope["query_string"]) == ("/chat", b"room=1")
    assert scope["subprotocols"] == ["chat.v1", "chat.v2"]
    assert scope["http_version"] == "1.1"
    assert type(scope["client"][1]) is int
    assert (b"sec-websocket-protocol", b"chat.v1, chat.v2") in scope["headers"]
    assert set(scope["extensions"]) == {"websocket.http.response"}
    assert items[1] == {"type": "websocket.receive", "text": "hé"}
    assert items[2] == {"type": "websocket.receive", "bytes": b"\x00\x01"}
    assert items[4] == {"type": "websocket.disconnect", "code": 4002, "reason": "later"}


HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def test_an_empty_close_is_1005_and_a_drop_is_1006() -> None:
    seen = Recorder()
    async with serving_asgi(echo_app(seen)) as server:  # type: ignore[arg-type]
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(HANDSHAKE)
            await read_until(stream, b"\r\n\r\n")
            await stream.send(b"\x88\x80\x00\x00\x00\x00")  # a masked Close with no payload
            assert await read_until_closed(stream) == b"\x88\x00"
        async with connect(f"ws://127.0.0.1:{server.port}/") as ws:
            ws.terminate()
        items = await seen.wait_for(4)
    disconnects = [i for i in items if i.get("type") == "websocket.disconnect"]
    assert [(d["code"], d["reason"]) for d in disconnects] == [(1005, ""), (1006, "")]


async def test_the_app_closes_with_its_code_and_reason() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "bye soon"})
        await send({"type": "websocket.close", "code": 4001, "reason": "done here"})

    async with (
        serving_asgi(app) as server,
        connect(f"ws://127.0.0.1:{server.port}/") as ws,
    ):
        assert await ws.receive() == "bye soon"
        with pytest.raises(ConnectionClosed):
            await ws.receive()
        assert await ws.close_reason == CloseReason(4001, "done here")


async def test_returning_after_accept_closes_with_1000() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    async with serving_asgi(app) as server, connect(f"ws://127.0.0.1:{server.port}/") as ws:
        with pytest.raises(ConnectionClosed):
            await ws.receive()
        assert (await ws.close_reason).code == 1000


async def test_an_app_error_after_accept_closes_with_1011(caplog: pytest.LogCaptureFixture) -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        raise RuntimeError("boom")

    async with serving_asgi(app) as server, connect(f"ws://127.0.0.1:{server.port}/") as ws:
        with pytest.raises(ConnectionClosed):
            await ws.receive()
        assert (await ws.close_reason).code == 1011
    assert len(errors(caplog)) == 1


async def test_close_before_accept_is_a_403(peer: AsyncioThread) -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close"})

    async def attempt(port: int) -> int:
        try:
            async with websockets.asyncio.client.connect(f"ws://127.0.0.1:{port}/"):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    async with serving_asgi(app) as server:
        assert await peer.call(attempt(server.port)) == 403


async def test_the_denial_response_extension_sends_the_apps_response() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        headers = [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]
        start = {"type": "websocket.http.response.start", "status": 401, "headers": headers}
        await send(start)
        await send({"type": "websocket.http.response.body", "body": b"who ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"are you?"})

    async with serving_asgi(app) as server:
        with pytest.raises(HandshakeError) as refused:
            async with connect(f"ws://127.0.0.1:{server.port}/"):
                pass
        raw = await exchange(server.port, HANDSHAKE)
    assert refused.value.status == 401
    assert ("www-authenticate", "Bearer") in refused.value.headers
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    assert body == b"4\r\nwho \r\n8\r\nare you?\r\n0\r\n\r\n"


async def test_a_malformed_handshake_is_refused_without_calling_the_app() -> None:
    called: list[Scope] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope)

    async with serving_asgi(app) as server:
        raw = await exchange(
            server.port,
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
            until=b"\r\n\r\n",
        )
    assert raw.startswith(b"HTTP/1.1 426")
    assert called == []


async def test_the_sessions_limits_apply_an_oversize_message_is_1009() -> None:
    seen = Recorder()
    async with serving_asgi(echo_app(seen), max_frame_size=1024) as server:  # type: ignore[arg-type]
        async with connect(f"ws://127.0.0.1:{server.port}/") as ws:
            await ws.send(b"x" * 2000)
            with pytest.raises(ConnectionClosed):
                await ws.receive()
            assert (await ws.close_reason).code == 1009
        items = await seen.wait_for(2)
    assert items[-1]["type"] == "websocket.disconnect"
    assert items[-1]["code"] == 1009


async def test_send_after_the_peer_left_raises_an_oserror(caplog: pytest.LogCaptureFixture) -> None:
    raised = Recorder()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        message = await receive()
        assert message["type"] == "websocket.disconnect"
        try:
            await send({"type": "websocket.send", "text": "anyone?"})
        except OSError as error:
            raised.add(error)
            raise

    async with serving_asgi(app) as server:
        async with connect(f"ws://127.0.0.1:{server.port}/") as ws:
            await ws.close()
        [error] = await raised.wait_for(1)
    assert isinstance(error, ClientDisconnected)
    assert errors(caplog) == []


async def test_shutting_down_closes_open_sessions_with_1001() -> None:
    seen = Recorder()
    async with (
        serving_asgi(echo_app(seen)) as server,  # type: ignore[arg-type]
        connect(f"ws://127.0.0.1:{server.port}/") as ws,
    ):
        await ws.send("hi")
        assert await ws.receive() == "hi"
        with anyio.fail_after(10):
            await server.shutdown()
        assert (await ws.close_reason).code == 1001
    disconnect: Message = seen.items[-1]
    assert disconnect["type"] == "websocket.disconnect"
    assert disconnect["code"] == 1001


async def test_websockets_client_sees_the_close_code_of_the_app(peer: AsyncioThread) -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4400, "reason": "bad input"})

    async def closed_with(port: int) -> tuple[int, str] | None:
        async with websockets.asyncio.client.connect(f"ws://127.0.0.1:{port}/") as ws:
            return await peer_close(ws)

    async with serving_asgi(app) as server:
        assert await peer.call(closed_with(server.port)) == (4400, "bad input")
