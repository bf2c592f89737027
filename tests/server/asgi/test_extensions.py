"""The ASGI extensions wsrs serves: pathsend, trailers, early hints and tls."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from tests.server.asgi.asgi_helpers import exchange, http_only, reply, serving_asgi
from wsrs.server.asgi.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio


def file_app(path: Path) -> Any:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert "http.response.pathsend" in scope["extensions"]
        headers = [(b"content-type", b"application/octet-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.pathsend", "path": str(path)})

    return app


@pytest.mark.parametrize("size", [0, 1000, 64 * 1024, 300_000])
async def test_pathsend_sends_the_whole_file(tmp_path: Path, size: int) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    async with serving_asgi(file_app(path)) as server, httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/")
        head = await client.head(f"http://127.0.0.1:{server.port}/")
    assert response.content == path.read_bytes()
    assert response.headers["content-length"] == str(size)
    assert head.headers["content-length"] == str(size)
    assert head.content == b""


async def trailers_app(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"trailer", b"x-checksum")]
    await send({"type": "http.response.start", "status": 200, "headers": headers, "trailers": True})
    await send({"type": "http.response.body", "body": b"data", "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})


async def test_trailers_follow_the_last_chunk_when_the_client_asked() -> None:
    async with serving_asgi(http_only(trailers_app)) as server:
        raw = await exchange(
            server.port,
            b"GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: close\r\n\r\n",
        )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"4\r\ndata\r\n0\r\nx-checksum: abc\r\n\r\n"


async def test_trailers_are_dropped_when_the_client_did_not_ask() -> None:
    async with serving_asgi(http_only(trailers_app)) as server:
        raw = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.partition(b"\r\n\r\n")[2] == b"4\r\ndata\r\n0\r\n\r\n"


async def early_hint_app(scope: Scope, receive: Receive, send: Send) -> None:
    links = [b"</style.css>; rel=preload; as=style", b"</app.js>; rel=preload; as=script"]
    await send({"type": "http.response.early_hint", "links": links})
    await reply(send, b"page")


async def test_an_early_hint_is_a_103_before_the_response() -> None:
    async with serving_asgi(http_only(early_hint_app)) as server:
        raw = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    hint, _, rest = raw.partition(b"\r\n\r\n")
    assert hint.split(b"\r\n") == [
        b"HTTP/1.1 103 Early Hints",
        b"Link: </style.css>; rel=preload; as=style",
        b"Link: </app.js>; rel=preload; as=script",
    ]
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n")
    assert rest.endswith(b"page")


async def test_an_http10_client_gets_no_early_hint() -> None:
    async with serving_asgi(http_only(early_hint_app)) as server:
        raw = await exchange(server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"103" not in raw.partition(b"\r\n")[0]


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


async def test_the_tls_extension_describes_the_connection(authority: trustme.CA) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    authority.configure_trust(server_context)
    server_context.verify_mode = ssl.CERT_OPTIONAL
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    authority.issue_cert("client@example.com").configure_cert(client_context)
    seen: list[Scope] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await reply(send)

    async with (
        serving_asgi(app, ssl=server_context) as server,
        httpx.AsyncClient(verify=client_context) as client,
    ):
        await client.get(f"https://127.0.0.1:{server.port}/")
    scope = seen[0]
    assert scope["scheme"] == "https"
    tls = scope["extensions"]["tls"]
    assert tls["tls_version"] in (0x0303, 0x0304)
    assert type(tls["cipher_suite"]) is int
    assert 0 < tls["cipher_suite"] <= 0xFFFF
    assert tls["server_cert"] is None
    [pem] = tls["client_cert_chain"]
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert isinstance(tls["client_cert_name"], str)
    assert tls["client_cert_name"]
    assert tls["client_cert_error"] is None


async def test_plain_connections_have_no_tls_extension() -> None:
    seen: list[Scope] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await reply(send)

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        await client.get(f"http://127.0.0.1:{server.port}/")
    assert "tls" not in seen[0]["extensions"]
