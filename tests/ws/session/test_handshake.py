"""The opening handshake: what the server accepts, refuses and answers; what the client checks."""

from __future__ import annotations

import base64
from contextlib import suppress

import anyio
import pytest

from tests.helpers import serving
from tests.wire import RawClient
from wsrs import (
    App,
    DefaultWebSocketSession,
    Deflate,
    HandshakeError,
    Request,
    Response,
    connect,
)
from wsrs.ws.handshake import accept_key

pytestmark = pytest.mark.anyio

KEY = base64.b64encode(b"0123456789abcdef").decode()


def chat_app() -> App:
    app = App()

    async def refuse_guests(request: Request) -> Response | None:
        if request.headers.get("Authorization") == "guest":
            return Response.text("members only", 401, [("WWW-Authenticate", "Basic")])
        return None

    @app.websocket(
        "/chat",
        subprotocols=["chat.v2", "chat.v1"],
        origins=["https://good.example"],
        headers=[("X-Served-By", "wsrs")],
        accept=refuse_guests,
    )
    async def chat(ws: DefaultWebSocketSession) -> None:
        assert ws.request is not None
        await ws.send(f"{ws.subprotocol} {ws.request.path}")

    return app


def upgrade(extra: str = "", *, key: str = KEY, version: str = "13", path: str = "/chat") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n"
        f"Origin: https://good.example\r\n{extra}\r\n"
    ).encode()


async def answer(port: int, request: bytes) -> RawClient:
    client = await RawClient.connect(port, handshake=False)
    await client.send(request)
    await client.read_head()
    return client


async def test_accepted_handshake_picks_our_preferred_offered_subprotocol() -> None:
    async with serving(chat_app()) as server:
        client = await answer(server.port, upgrade("Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n"))
        async with client:
            assert client.status == 101
            assert client.headers["sec-websocket-accept"] == accept_key(KEY)
            assert client.headers["sec-websocket-protocol"] == "chat.v2"
            assert client.headers["x-served-by"] == "wsrs"
            assert "sec-websocket-extensions" not in client.headers
            assert (await client.read_frame()).payload == b"chat.v2 /chat"


async def test_a_permessage_deflate_offer_is_answered_with_the_server_windows() -> None:
    async with serving(chat_app()) as server:
        offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        async with await answer(server.port, upgrade(offer)) as client:
            assert client.status == 101
            assert client.headers["sec-websocket-extensions"] == (
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
            )


@pytest.mark.parametrize(
    ("offer", "options"),
    [
        pytest.param("permessage-deflate; server_max_window_bits=8", {}, id="window-8"),
        pytest.param("permessage-deflate; unknown_parameter", {}, id="unknown-parameter"),
        pytest.param('permessage-deflate; x="unterminated', {}, id="bad-syntax"),
        pytest.param("x-webkit-deflate-frame", {}, id="other-extension"),
        pytest.param("permessage-deflate", {"compression": None}, id="compression-off"),
    ],
)
async def test_offers_that_cannot_be_met_are_declined_not_refused(
    offer: str, options: dict[str, object]
) -> None:
    async with serving(chat_app(), **options) as server:
        request = upgrade(f"Sec-WebSocket-Extensions: {offer}\r\n")
        async with await answer(server.port, request) as client:
            assert client.status == 101
            assert "sec-websocket-extensions" not in client.headers
            assert (await client.read_frame()).payload == b"None /chat"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(b"GET /chat HTTP/1.1\r\nHost: t\r\n\r\n", 426, id="plain-get"),
        pytest.param(upgrade(key="short"), 400, id="bad-key"),
        pytest.param(upgrade(version="8"), 426, id="old-version"),
        pytest.param(upgrade().replace(b"good", b"evil"), 403, id="foreign-origin"),
        pytest.param(upgrade("Authorization: guest\r\n"), 401, id="refused-by-hook"),
        pytest.param(upgrade(path="/nowhere"), 404, id="unknown-path"),
    ],
)
async def test_refused_handshakes_get_a_status_and_a_reason(
    request_bytes: bytes, status: int
) -> None:
    async with serving(chat_app()) as server, await answer(server.port, request_bytes) as client:
        assert client.status == status
        if status == 426:
            assert client.headers.get("sec-websocket-version") == "13"


async def test_client_gets_subprotocol_and_response_headers() -> None:
    async with serving(chat_app()) as server:
        url = f"ws://127.0.0.1:{server.port}/chat"
        async with connect(url, subprotocols=["chat.v1"], origin="https://good.example") as ws:
            assert ws.subprotocol == "chat.v1"
            assert ws.response is not None
            assert ws.response.get("X-Served-By") == "wsrs"
            assert await ws.receive() == "chat.v1 /chat"


async def test_client_refusal_carries_status_headers_and_body() -> None:
    async with serving(chat_app()) as server:
        url = f"ws://127.0.0.1:{server.port}/chat"
        with pytest.raises(HandshakeError) as raised:
            async with connect(
                url, origin="https://good.example", headers=[("Authorization", "guest")]
            ):
                pass
    assert raised.value.status == 401
    assert ("WWW-Authenticate", "Basic") in raised.value.headers
    assert raised.value.body.startswith(b"members only")


async def test_client_rejects_a_wrong_accept_key() -> None:
    async def liar(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
            await stream.send(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n"
            )

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, liar)
        with pytest.raises(HandshakeError, match="Sec-WebSocket-Accept"):
            async with connect(f"ws://127.0.0.1:{port}/"):
                pass
        tg.cancel_scope.cancel()


async def test_client_times_out_when_the_server_never_answers() -> None:
    async def mute(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await anyio.sleep_forever()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, mute)
        with pytest.raises(HandshakeError, match="no handshake response"):
            async with connect(f"ws://127.0.0.1:{port}/", open_timeout=0.2):
                pass
        tg.cancel_scope.cancel()


async def handshake_answered_with(extensions: str, compression: Deflate | None) -> object:
    """What `connect` agrees (its compression, or the `HandshakeError`) when a server answers
    the handshake with `extensions` as its ``Sec-WebSocket-Extensions`` field."""

    async def answer(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
            key = next(
                line.split(":", 1)[1].strip()
                for line in data.decode().split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            await stream.send(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade"
                b"\r\nSec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n"
                b"Sec-WebSocket-Extensions: " + extensions.encode() + b"\r\n\r\n"
            )
            with suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                await stream.receive()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, answer)
        try:
            async with connect(f"ws://127.0.0.1:{port}/", compression=compression) as ws:
                agreed: object = ws.compression
                ws.terminate()
        except HandshakeError as error:
            agreed = error
        tg.cancel_scope.cancel()
    return agreed


@pytest.mark.parametrize(
    "answer",
    [
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=08",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; foo",
        "permessage-deflate; server_max_window_bits=9; server_max_window_bits=9",
        "permessage-deflate, permessage-deflate",
        "permessage-deflate;",
        "x-webkit-deflate-frame",
        "PERMESSAGE-DEFLATE",
    ],
)
async def test_client_fails_the_handshake_on_an_answer_it_cannot_accept(answer: str) -> None:
    agreed = await handshake_answered_with(answer, Deflate())
    assert isinstance(agreed, HandshakeError), agreed
    assert agreed.status == 101


@pytest.mark.parametrize("compression", [Deflate(), None], ids=["offered", "not-offered"])
async def test_an_empty_extensions_field_accepts_no_extension(compression: Deflate | None) -> None:
    assert await handshake_answered_with(" , ", compression) is None
