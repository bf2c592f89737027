"""Head encoders and the response-head parser, through the Python binding."""

from __future__ import annotations

import pytest

from wsrs import LocalProtocolError, PayloadTooBig, RemoteProtocolError
from wsrs._wsrs import (
    HttpLimits,
    RequestHead,
    RequestParser,
    ResponseHead,
    encode_fixed_response,
    encode_request_head,
    encode_response,
    encode_response_head,
    parse_response_head,
)


def test_response_head() -> None:
    assert encode_response_head(200, []) == b"HTTP/1.1 200 OK\r\n\r\n"
    assert encode_response_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade")]) == (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    )
    assert encode_response_head(299, (), "Custom") == b"HTTP/1.1 299 Custom\r\n\r\n"
    assert encode_response_head(299, ()) == b"HTTP/1.1 299 \r\n\r\n"
    assert encode_response_head(200, [("X", "caf\xe9")]) == b"HTTP/1.1 200 OK\r\nX: caf\xe9\r\n\r\n"


def test_whole_response() -> None:
    out = encode_response(404, [("Content-Type", "text/plain")], b"nope")
    assert out == (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nnope"
    )
    assert encode_response(204, [], b"") == b"HTTP/1.1 204 No Content\r\n\r\n"
    assert encode_response(200, [], memoryview(b"")) == (
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("status", "headers", "reason"),
    [
        (200, [("X", "a\r\nInjected: 1")], None),
        (200, [("X", "a\nb")], None),
        (200, [("X", "a\x00b")], None),
        (200, [("X", "a\x7fb")], None),
        (200, [("X", "\u0100")], None),
        (200, [("Bad Name", "1")], None),
        (200, [("", "1")], None),
        (200, [], "OK\r\n"),
        (99, [], None),
        (1000, [], None),
        (-1, [], None),
    ],
)
def test_nothing_can_split_a_response(
    status: int, headers: list[tuple[str, str]], reason: str | None
) -> None:
    with pytest.raises(LocalProtocolError):
        encode_response_head(status, headers, reason)


def test_encode_response_refuses_framing_fields_and_bodies_it_cannot_carry() -> None:
    with pytest.raises(LocalProtocolError):
        encode_response(200, [("content-length", "1")], b"x")
    with pytest.raises(LocalProtocolError):
        encode_response(200, [("Transfer-Encoding", "chunked")], b"x")
    with pytest.raises(LocalProtocolError):
        encode_response(304, [], b"x")


def test_headers_must_be_pairs_of_str() -> None:
    with pytest.raises(TypeError):
        encode_response_head(200, [("X", 1)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        encode_response_head(200, ["X: 1"])  # type: ignore[list-item]


def test_request_head_round_trips_through_the_parser() -> None:
    head = encode_request_head(
        "GET", "/chat?x=1", [("Host", "example.com"), ("Sec-WebSocket-Version", "13")]
    )
    assert head.startswith(b"GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\n")
    event = RequestParser().feed(head)[0]
    assert isinstance(event, RequestHead)
    assert event.get("sec-websocket-version") == "13"
    with pytest.raises(LocalProtocolError):
        encode_request_head("GET", "/a b", [])
    with pytest.raises(LocalProtocolError):
        encode_request_head("G(T", "/", [])


def test_parse_response_head() -> None:
    data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX: 1\r\nx: 2\r\n\r\n\x81\x00"
    parsed = parse_response_head(data)
    assert parsed is not None
    head, length = parsed
    assert isinstance(head, ResponseHead)
    assert length == len(data) - 2
    assert (head.status, head.reason, head.version) == (101, "Switching Protocols", "1.1")
    assert head.headers[0] == ("Upgrade", "websocket")
    assert head.get("upgrade") == "websocket"
    assert head.get_all("X") == ["1", "2"]
    assert head.get("nope", "d") == "d"
    assert repr(head) == "<ResponseHead HTTP/1.1 101>"
    for end in range(len(data) - 2):
        assert parse_response_head(data[:end]) is None


def test_response_reason_keeps_latin1() -> None:
    parsed = parse_response_head(bytearray(b"HTTP/1.0 200 d\xe9j\xe0\r\n\r\n"))
    assert parsed is not None
    assert (parsed[0].reason, parsed[0].version) == ("d\xe9j\xe0", "1.0")


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 000 Zero\r\n\r\n",
        b"HTTP/1.1 20 Short\r\n\r\n",
        b"HTTP/3.0 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\nX: y\n\n",
        b"HTTP/1.1 200 OK\r\nX: y\r\n folded\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
    ],
)
def test_malformed_responses(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_response_head(data)


def test_response_head_limits() -> None:
    with pytest.raises(PayloadTooBig):
        parse_response_head(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 20, HttpLimits(max_head_size=64))


def test_a_fixed_response_gets_the_servers_framing_date_and_connection() -> None:
    given = [("Content-Length", "99"), ("X", "1"), ("Transfer-Encoding", "chunked")]
    data, closes = encode_fixed_response(200, given, b"hi", "D", True, False, False)
    assert data == b"HTTP/1.1 200 OK\r\nX: 1\r\nDate: D\r\nContent-Length: 2\r\n\r\nhi"
    assert not closes
    data, _ = encode_fixed_response(200, [("Date", "E")], b"", "D", False, False, False)
    assert data == b"HTTP/1.1 200 OK\r\nDate: E\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    data, _ = encode_fixed_response(200, [], b"", "D", True, True, False)
    assert b"\r\nConnection: keep-alive\r\n" in data
    data, closes = encode_fixed_response(
        200, [("Connection", "close")], b"", "D", True, True, False
    )
    assert closes
    assert data.count(b"Connection") == 1


def test_a_fixed_response_to_head_or_without_content_has_no_body() -> None:
    data, _ = encode_fixed_response(200, [("content-length", "10")], b"", "D", True, False, True)
    assert data.endswith(b"Content-Length: 10\r\n\r\n")
    data, _ = encode_fixed_response(204, [], b"", "D", True, False, False)
    assert data == b"HTTP/1.1 204 No Content\r\nDate: D\r\n\r\n"
    with pytest.raises(LocalProtocolError):
        encode_fixed_response(200, [("X", "a\r\nb")], b"", "D", True, False, False)
