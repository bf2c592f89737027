"""`request.form()` and `request.multipart()` on a real server, with httpx and raw sockets."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import struct
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import anyio.abc
import httpx
import pytest

from tests.helpers import read_until, read_until_closed, serving
from tests.http.multipart_bodies import FAILURES, SMALL, field, form_body
from wsrs import App, FormLimits, Request, Response, Server, UploadFile

pytestmark = pytest.mark.anyio

TIGHT = FormLimits(
    max_fields=2, max_files=1, max_field_size=8, max_file_size=64, max_total_size=70, spool_size=16
)


def open_temp_files() -> int:
    """How many of this process's descriptors are files in the temporary directory (pytest's
    own capture files among them, so tests compare counts before and after)."""
    temp = os.path.realpath(tempfile.gettempdir())
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += target.startswith(temp + "/")
    return count


async def describe(request: Request) -> Response:
    """Every field of the form: text as is, files as [filename, size, sha256, in_memory]."""
    async with await request.form() as form:
        out: list[object] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                digest = hashlib.sha256(await value.read()).hexdigest()
                out.append([name, value.filename, value.size, digest, value.in_memory])
            else:
                out.append([name, value])
    return Response.json(out)


def form_app() -> App:
    app = App()
    app.route("/form", methods=["POST"])(describe)
    app.route("/small", methods=["POST"], form_limits=FormLimits(multipart=SMALL))(describe)
    app.route("/tight", methods=["POST"], form_limits=TIGHT)(describe)
    spooled = FormLimits(max_file_size=1 << 20, spool_size=1024)
    app.route("/spooled", methods=["POST"], form_limits=spooled)(describe)
    memory = FormLimits(max_field_size=64, spool_size=64, max_memory_size=100)
    app.route("/memory", methods=["POST"], form_limits=memory)(describe)

    @app.route("/parts", methods=["POST"])
    async def parts(request: Request) -> Response:
        return Response.json([[p.name, len(await p.read())] async for p in request.multipart()])

    @app.route("/hello")
    def hello(request: Request) -> Response:
        return Response.text("hello")

    return app


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with serving(form_app()) as running:
        yield running


async def test_httpx_uploads_of_every_size(server: Server) -> None:
    before = open_temp_files()
    big = os.urandom(16 << 20)
    files = {
        "empty": ("empty.bin", b""),
        "one": ("one.bin", b"\x00"),
        "big": ("big.bin", big),
    }
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        response = await client.post("/form", data={"note": "café"}, files=files, timeout=60)
    assert response.status_code == 200
    assert response.json() == [
        ["note", "café"],
        ["empty", "empty.bin", 0, hashlib.sha256(b"").hexdigest(), True],
        ["one", "one.bin", 1, hashlib.sha256(b"\x00").hexdigest(), True],
        ["big", "big.bin", len(big), hashlib.sha256(big).hexdigest(), False],
    ]
    assert open_temp_files() == before


async def test_many_small_fields_and_urlencoded_forms(server: Server) -> None:
    fields = {f"field{i}": f"value {i}" for i in range(1000)}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        multipart = await client.post("/form", data=fields, files={"f": ("f", b"x")})
        urlencoded = await client.post("/form", data=fields)
        streamed = await client.post("/parts", data={"a": "xyz"}, files={"f": ("f", b"12345")})
    assert multipart.json()[:2] == [["field0", "value 0"], ["field1", "value 1"]]
    assert len(multipart.json()) == 1001
    assert urlencoded.json() == [[k, v] for k, v in fields.items()]
    assert streamed.json() == [["a", 3], ["f", 5]]


async def test_reading_the_form_twice_gives_the_same_form() -> None:
    app = App()

    @app.route("/twice", methods=["POST"])
    async def twice(request: Request) -> Response:
        first, second = await request.form(), await request.form()
        return Response.json({"same": first is second, "name": second.get("name")})

    async with (
        serving(app) as running,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as client,
    ):
        answer = await client.post("/twice", data={"name": "x"}, files={"f": ("f", b"1")})
    assert answer.json() == {"same": True, "name": "x"}


async def post_raw(port: int, path: str, content_type: str, body: bytes) -> bytes:
    """Send one POST on a new connection and read everything until the server closes it."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    async with await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(head + body)
        return await read_until_closed(stream)


async def assert_refused(
    server: Server, path: str, content_type: str, body: bytes, status: int
) -> None:
    answer = await post_raw(server.port, path, content_type, body)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:100]
    assert b"connection: close" in answer.lower()
    assert body[-40:] not in answer  # nothing is echoed
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        assert (await client.get("/hello")).text == "hello"  # the next connection is served


@pytest.mark.parametrize(("name", "boundary", "body", "limits", "status"), FAILURES)
async def test_each_malformed_body_is_refused_and_the_connection_closed(
    server: Server,
    caplog: pytest.LogCaptureFixture,
    name: str,
    boundary: str,
    body: bytes,
    limits: object,
    status: int,
) -> None:
    path = "/form" if limits is None else "/small"
    with caplog.at_level(logging.INFO, logger="wsrs"):
        await assert_refused(
            server, path, f"multipart/form-data; boundary={boundary}", body, status
        )
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(
    ("name", "body", "status"),
    [
        ("too-many-fields", form_body("b", [([field(n)], b"v") for n in "abc"]), 413),
        ("field-too-large", form_body("b", [([field("a")], b"123456789")]), 413),
        ("file-too-large", form_body("b", [([field("f") + '; filename="f"'], b"x" * 65)]), 413),
        (
            "too-many-files",
            form_body("b", [([field(n) + '; filename="f"'], b"x") for n in "fg"]),
            413,
        ),
        (
            "within-limits",
            form_body(
                "b", [([field("f") + '; filename="f"'], b"x" * 60), ([field("a")], b"8" * 8)]
            ),
            200,
        ),
        (
            "total-too-large",
            form_body(
                "b",
                [([field("f") + '; filename="f"'], b"x" * 60)]
                + [([field(n)], b"8" * 8) for n in "ab"],
            ),
            413,
        ),
        ("no-name", form_body("b", [(["Content-Disposition: form-data"], b"v")]), 400),
        ("not-form-data", form_body("b", [(['Content-Disposition: inline; name="a"'], b"")]), 400),
        ("not-utf8", form_body("b", [([field("a")], b"\xff")]), 400),
    ],
)
async def test_form_limits_and_rules(server: Server, name: str, body: bytes, status: int) -> None:
    before = open_temp_files()
    if status == 200:
        answer = await post_raw(server.port, "/tight", "multipart/form-data; boundary=b", body)
        assert answer.startswith(b"HTTP/1.1 200 ")
        return
    await assert_refused(server, "/tight", "multipart/form-data; boundary=b", body, status)
    assert open_temp_files() == before


async def test_a_file_past_a_limit_leaves_nothing_on_disk(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # only this test's files in it
    body = form_body("b", [([field("f") + '; filename="../../etc/passwd"'], b"x" * (2 << 20))])
    descriptors = open_temp_files()
    await assert_refused(server, "/spooled", "multipart/form-data; boundary=b", body, 413)
    assert open_temp_files() == descriptors
    assert os.listdir(tmp_path) == []


async def test_files_spool_early_once_the_form_holds_its_memory_budget(server: Server) -> None:
    files = [([field(n) + f'; filename="{n}"'], n.encode() * 40) for n in "abc"]
    answer = await post_raw(
        server.port, "/memory", "multipart/form-data; boundary=b", form_body("b", files)
    )
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
    in_memory = [value[4] for value in json.loads(answer.partition(b"\r\n\r\n")[2])]
    assert in_memory == [True, True, False]  # 40 + 40 held, 40 more would pass 100


@pytest.mark.parametrize(
    ("sizes", "status"), [((50, 50), 200), ((50, 50, 1), 413), ((40, 30, 31), 413)]
)
async def test_text_fields_past_the_memory_budget_are_413(
    server: Server, sizes: tuple[int, ...], status: int
) -> None:
    body = form_body("b", [([field(f"t{i}")], b"t" * size) for i, size in enumerate(sizes)])
    if status == 200:
        answer = await post_raw(server.port, "/memory", "multipart/form-data; boundary=b", body)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
        return
    await assert_refused(server, "/memory", "multipart/form-data; boundary=b", body, status)


async def test_an_urlencoded_form_is_capped_by_the_memory_budget() -> None:
    limits = FormLimits(max_total_size=1 << 30, max_memory_size=100)
    app = form_app()
    app.route("/form", methods=["POST"], form_limits=limits)(describe)
    async with serving(app) as small:
        await assert_refused(
            small, "/form", "application/x-www-form-urlencoded", b"a=" + b"x" * 99, 413
        )
        answer = await post_raw(
            small.port, "/form", "application/x-www-form-urlencoded", b"a=" + b"x" * 98
        )
        assert answer.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize(
    ("charset", "content", "status"),
    [
        ("UTF-8", "café".encode(), 200),
        ("iso-8859-1", b"caf\xe9", 200),
        ("us-ascii", b"cafe", 200),
        ("punycode", b"-" + b"b" * 80_000, 400),  # quadratic to decode: seconds of CPU
        ("utf-7", b"+AGEAYg-", 400),
        ("no-such-charset", b"x", 400),
    ],
)
async def test_text_fields_decode_only_in_the_charsets_senders_use(
    server: Server, charset: str, content: bytes, status: int
) -> None:
    part = ([field("t"), f"Content-Type: text/plain; charset={charset}"], content)
    body = form_body("b", [part])
    if status == 200:
        answer = await post_raw(server.port, "/form", "multipart/form-data; boundary=b", body)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
        value = json.loads(answer.partition(b"\r\n\r\n")[2])[0][1]
        assert value in ("café", "cafe")
        return
    await assert_refused(server, "/form", "multipart/form-data; boundary=b", body, status)


async def test_other_media_types_are_415(server: Server) -> None:
    await assert_refused(server, "/form", "application/json", b"{}", 415)
    await assert_refused(server, "/parts", "text/plain", b"secret-token", 415)


async def test_an_urlencoded_form_past_its_limits_is_413(server: Server) -> None:
    many = "&".join(f"k{i}=v" for i in range(3)).encode()
    await assert_refused(server, "/tight", "application/x-www-form-urlencoded", many, 413)
    await assert_refused(
        server, "/tight", "application/x-www-form-urlencoded", b"a=" + b"x" * 9, 413
    )


@pytest.mark.parametrize("path", ["/form", "/parts"])
async def test_a_request_with_two_content_types_is_400(server: Server, path: str) -> None:
    # A proxy reading the second boundary would see a file the first boundary hides in a field.
    hidden = form_body("two", [([field("evil") + '; filename="x.php"'], b"<?php")])
    body = form_body("one", [([field("a")], hidden)])
    content_type = (
        "multipart/form-data; boundary=one\r\nContent-Type: multipart/form-data; boundary=two"
    )
    await assert_refused(server, path, content_type, body, 400)


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/form", "name=café&x=%C3%A9+%e2%82%AC".encode(), [["name", "café"], ["x", "é €"]]),
        ("/form", b"a=1+2&b=%zz%4&c&=v", [["a", "1 2"], ["b", "%zz%4"], ["c", ""], ["", "v"]]),
        ("/tight", b"a=1&", [["a", "1"]]),
    ],
)
async def test_urlencoded_forms_read_as_browsers_and_curl_send_them(
    server: Server, path: str, body: bytes, expected: list[list[str]]
) -> None:
    answer = await post_raw(server.port, path, "application/x-www-form-urlencoded", body)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == expected


async def test_an_urlencoded_form_declared_too_large_is_413_before_100_continue(
    server: Server,
) -> None:
    head = (
        b"POST /form HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\n"
    )
    async with await anyio.connect_tcp("127.0.0.1", server.port) as stream:
        await stream.send(head)
        with anyio.fail_after(5):
            answer = await read_until_closed(stream)  # nothing of the body was ever sent
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert b"100 Continue" not in answer


async def test_an_urlencoded_form_not_in_utf8_is_400(server: Server) -> None:
    for body in (b"a=%ff", b"a=\xff", b"%c3=v"):
        await assert_refused(server, "/form", "application/x-www-form-urlencoded", body, 400)


async def reset(stream: anyio.abc.SocketStream) -> None:
    """Close `stream` with a TCP reset, as a client that crashes does."""
    raw = stream.extra(anyio.abc.SocketAttribute.raw_socket)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    await stream.aclose()


@pytest.mark.parametrize("path", ["/form", "/parts", "/echo"])
async def test_a_client_reset_mid_upload_is_not_a_server_error(
    caplog: pytest.LogCaptureFixture, path: str
) -> None:
    finished = anyio.Event()
    app = App()

    @app.route("/form", methods=["POST"], form_limits=FormLimits(spool_size=1024))
    async def form(request: Request) -> Response:
        try:
            return await describe(request)
        finally:
            finished.set()

    @app.route("/parts", methods=["POST"])
    async def parts(request: Request) -> Response:
        try:
            return Response.json([await p.read() async for p in request.multipart()])
        finally:
            finished.set()

    @app.route("/echo", methods=["POST"])
    async def echo(request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in request.stream():
                    yield chunk
            finally:
                finished.set()

        return Response(body())

    body = form_body("b", [([field("f") + '; filename="f"'], b"x" * (1 << 20))])
    # A form handler sends 100 Continue when it starts reading; the echo sends its head first.
    expect, reading = (
        ("", b"HTTP/1.1 200 OK")
        if path == "/echo"
        else ("Expect: 100-continue\r\n", b"100 Continue")
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\n{expect}"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    before = open_temp_files()
    with caplog.at_level(logging.DEBUG, logger="wsrs"):
        async with serving(app) as server:
            stream = await anyio.connect_tcp("127.0.0.1", server.port)
            await stream.send(head)
            with anyio.fail_after(5):
                await read_until(stream, reading)
                await stream.send(body[: len(body) // 2])
                await reset(stream)
                await finished.wait()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("went away" in r.getMessage() for r in caplog.records)
    assert open_temp_files() == before
