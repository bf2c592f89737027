"""Raw ASGI over HTTP: the scope, every event, disconnects and failures, over real sockets."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from tests.server.asgi.asgi_helpers import (
    Recorder,
    errors,
    exchange,
    http_only,
    read_body,
    reply,
    serving_asgi,
)
from wsrs import ClientDisconnected
from wsrs.server.asgi.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


def scope_recorder(seen: list[Message]) -> Any:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await read_body(receive)
        await reply(send)

    return app


async def test_the_http_scope_has_every_key_with_the_spec_types() -> None:
    seen: list[Message] = []
    async with serving_asgi(scope_recorder(seen)) as server, httpx.AsyncClient() as client:
        response = await client.get(
            f"http://127.0.0.1:{server.port}/caf%C3%A9/a%20b?q=%20x&y",
            headers=[("X-Twice", "1"), ("x-twice", "2")],
        )
    assert response.status_code == 200
    scope = seen[0]
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.5"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/café/a b"
    assert scope["raw_path"] == b"/caf%C3%A9/a%20b"
    assert scope["query_string"] == b"q=%20x&y"
    assert scope["root_path"] == ""
    host, port = scope["client"]
    assert host == "127.0.0.1"
    assert type(port) is int
    assert port > 0
    assert scope["server"] == ("127.0.0.1", server.port)
    headers = scope["headers"]
    assert all(type(n) is bytes and type(v) is bytes and n == n.lower() for n, v in headers)
    assert [v for n, v in headers if n == b"x-twice"] == [b"1", b"2"]
    assert (b"host", f"127.0.0.1:{server.port}".encode()) in headers
    assert scope["state"] == {}
    assert set(scope["extensions"]) == {
        "http.response.pathsend",
        "http.response.trailers",
        "http.response.early_hint",
    }


async def test_root_path_is_in_front_of_path_and_raw_path() -> None:
    seen: list[Message] = []
    async with serving_asgi(scope_recorder(seen), root_path="/api") as server:
        await exchange(
            server.port, b"GET /items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    scope = seen[0]
    assert (scope["root_path"], scope["path"], scope["raw_path"]) == (
        "/api",
        "/api/items/1",
        b"/api/items/1",
    )


async def test_an_http10_request_says_so_and_gets_a_close_delimited_stream() -> None:
    seen: list[Message] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one ", "more_body": True})
        await send({"type": "http.response.body", "body": b"two"})

    async with serving_asgi(app) as server:
        raw = await exchange(server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert seen[0]["http_version"] == "1.0"
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"chunked" not in head.lower()
    assert body == b"one two"


async def test_an_absolute_form_target_gives_its_path() -> None:
    seen: list[Message] = []
    async with serving_asgi(scope_recorder(seen)) as server:
        await exchange(
            server.port, b"GET http://x/p/q?z=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    assert (seen[0]["path"], seen[0]["query_string"]) == ("/p/q", b"z=1")


async def test_the_request_body_arrives_in_pieces_with_more_body() -> None:
    events: list[Message] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            events.append(message)
            if not message.get("more_body"):
                break
        await reply(send, b"".join(e["body"] for e in events))

    async def upload() -> Any:
        for index in range(5):
            yield bytes([index]) * 100_000
            await anyio.lowlevel.checkpoint()

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        response = await client.post(f"http://127.0.0.1:{server.port}/", content=upload())
    assert response.content == b"".join(bytes([i]) * 100_000 for i in range(5))
    assert all(e["type"] == "http.request" for e in events)
    assert [e["more_body"] for e in events][-1] is False
    assert all(e["more_body"] for e in events[:-1])
    assert len(events) > 1


async def test_a_body_the_app_does_not_read_stops_the_upload() -> None:
    """Back-pressure: while the app does not read, the server stops reading the socket."""
    release = anyio.Event()
    received: list[int] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        received.append(len(await read_body(receive)))
        await reply(send)

    size = 64 * 1024 * 1024
    async with serving_asgi(app) as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        async with stream:
            await stream.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
            piece = b"x" * (1024 * 1024)
            sent = 0
            with anyio.move_on_after(2):
                while sent < size:
                    await stream.send(piece)
                    sent += len(piece)
            assert sent < size  # the kernel's buffers filled up: nobody read them
            release.set()
            while sent < size:
                await stream.send(piece)
                sent += len(piece)
            answer = await stream.receive()
    assert answer.startswith(b"HTTP/1.1 200")
    assert received == [size]


async def test_the_response_streams_piece_by_piece() -> None:
    first_seen = anyio.Event()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await first_seen.wait()
        await send({"type": "http.response.body", "body": b"second", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async with (
        serving_asgi(app) as server,
        httpx.AsyncClient() as client,
        client.stream("GET", f"http://127.0.0.1:{server.port}/") as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        pieces = response.aiter_raw()
        assert await pieces.__anext__() == b"first"
        first_seen.set()
        assert b"".join([p async for p in pieces]) == b"second"


async def test_receive_after_the_body_waits_for_the_client_to_go() -> None:
    seen = Recorder()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        seen.add(await receive())

    async with serving_asgi(app) as server:
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await anyio.sleep(0.05)
            assert seen.items == []  # still connected: nothing to report
        assert await seen.wait_for(1) == [{"type": "http.disconnect"}]


async def test_receive_after_the_response_reports_a_disconnect_at_once() -> None:
    seen = Recorder()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        await reply(send)
        seen.add(await receive())

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        await client.get(f"http://127.0.0.1:{server.port}/")
        assert await seen.wait_for(1) == [{"type": "http.disconnect"}]


async def test_send_after_the_client_left_raises_an_oserror_that_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raised = Recorder()

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
        except OSError as error:
            raised.add(error)
            raise

    async with serving_asgi(app) as server:
        async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
            await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await stream.receive()
        [error] = await raised.wait_for(1)
    assert isinstance(error, ClientDisconnected)
    assert isinstance(error, OSError)
    assert errors(caplog) == []


async def test_an_app_that_sends_no_response_gives_500(caplog: pytest.LogCaptureFixture) -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/")
    assert response.status_code == 500
    assert len(errors(caplog)) == 1


async def test_an_app_that_raises_before_the_response_gives_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/")
        again = await client.get(f"http://127.0.0.1:{server.port}/")
    assert (response.status_code, again.status_code) == (500, 500)
    assert "boom" in (errors(caplog)[0].exc_text or "")


async def test_an_app_that_raises_mid_stream_drops_the_connection() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("boom")

    async with serving_asgi(app) as server:
        raw = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"partial" in raw
    assert not raw.endswith(b"0\r\n\r\n")  # no last chunk: the client sees a truncated body


async def test_an_app_that_returns_mid_stream_drops_the_connection_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})

    async with serving_asgi(app) as server:
        raw = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"partial" in raw
    assert not raw.endswith(b"0\r\n\r\n")
    assert "without the end of its body" in errors(caplog)[0].getMessage()


async def test_messages_after_the_end_are_ignored_and_bad_ones_give_500() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/late":
            await reply(send, b"done")
            await send({"type": "http.response.body", "body": b"ignored"})
        else:
            await send({"type": "http.response.body", "body": b"no start"})

    async with serving_asgi(app) as server, httpx.AsyncClient() as client:
        late = await client.get(f"http://127.0.0.1:{server.port}/late")
        bad = await client.get(f"http://127.0.0.1:{server.port}/bad")
    assert (late.status_code, late.content) == (200, b"done")
    assert bad.status_code == 500


async def test_head_keeps_the_apps_content_length_and_sends_no_body() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await reply(send, b"", headers=[(b"content-length", b"1234")])

    async with serving_asgi(app) as server:
        raw = await exchange(
            server.port, b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"\r\ncontent-length: 1234" in head.lower()
    assert body == b""


async def test_pipelined_requests_are_answered_in_order() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            await anyio.sleep(0.05)
        await reply(send, scope["path"].encode())

    request = (
        b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    async with serving_asgi(app) as server:
        raw = await exchange(server.port, request)
    assert raw.index(b"/slow") < raw.index(b"/fast")


async def test_expect_continue_is_answered_when_the_app_reads() -> None:
    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await reply(send, await read_body(receive))

    async with (
        serving_asgi(app) as server,
        await anyio.connect_tcp("127.0.0.1", server.port) as stream,
    ):
        await stream.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert (await stream.receive()).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        await stream.send(b"hello")
        assert (await stream.receive()).endswith(b"hello")


async def test_a_malformed_body_is_a_disconnect_and_a_400_not_a_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Message] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] == "http.disconnect":
                raise ConnectionError("the client went away")  # as frameworks do

    async with serving_asgi(app) as server:
        raw = await exchange(
            server.port,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        )
    assert raw.startswith(b"HTTP/1.1 400")
    assert seen[-1] == {"type": "http.disconnect"}
    assert errors(caplog) == []


async def test_the_strict_engine_refuses_bad_requests_before_the_app() -> None:
    called: list[object] = []

    @http_only
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope)
        await reply(send)

    async with serving_asgi(app) as server:
        raw = await exchange(
            server.port,
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        )
    assert raw.startswith(b"HTTP/1.1 400")
    assert called == []
