"""RequestParser: events, head facts, pauses, errors and limits, through the Python binding."""

from __future__ import annotations

import pytest

from wsrs import LocalProtocolError, PayloadTooBig, RemoteProtocolError, Request
from wsrs._wsrs import (
    DEFAULT_MAX_HEAD_SIZE,
    EndOfMessage,
    HttpLimits,
    RequestHead,
    RequestParser,
)
from wsrs.http.messages import EMPTY_BODY

Event = RequestHead | bytes | EndOfMessage


def request(line: str = "GET / HTTP/1.1", *fields: str, body: bytes = b"") -> bytes:
    text = line + "\r\nHost: example.com\r\n" + "".join(f + "\r\n" for f in fields) + "\r\n"
    return text.encode("latin-1") + body


def single_head(data: bytes) -> RequestHead:
    events = RequestParser().feed(data)
    head = events[0]
    assert isinstance(head, RequestHead)
    assert isinstance(events[-1], EndOfMessage)
    return head


def rejection(data: bytes, limits: HttpLimits | None = None) -> RemoteProtocolError:
    parser = RequestParser(limits)
    parser.feed(data)
    if parser.error is None:
        parser.feed_eof()
    error = parser.error
    assert error is not None
    return error


def test_a_get_gives_its_head_and_end() -> None:
    events = RequestParser().feed(request("GET /a?b=1 HTTP/1.1", "Accept: */*"))
    assert len(events) == 2
    head, end = events
    assert isinstance(head, RequestHead)
    assert isinstance(end, EndOfMessage)
    assert (head.method, head.target, head.version) == ("GET", "/a?b=1", "1.1")
    assert head.headers == [("Host", "example.com"), ("Accept", "*/*")]
    assert head.headers is head.headers
    assert (head.content_length, head.chunked, head.keep_alive) == (None, False, True)
    assert (head.upgrade, head.expect_continue) == (None, False)
    assert end.trailers == []


def test_values_are_latin1_and_ows_trimmed() -> None:
    head = single_head(request("GET / HTTP/1.1", "X-Name:  caf\xe9 \t", "x-name: two"))
    assert head.get("X-NAME") == "caf\xe9"
    assert head.get_all("x-name") == ["caf\xe9", "two"]
    assert head.get("missing") is None
    assert head.get("missing", "fallback") == "fallback"
    assert head.get_all("missing") == []


@pytest.mark.parametrize(
    ("line", "connection", "keep_alive"),
    [
        ("GET / HTTP/1.1", None, True),
        ("GET / HTTP/1.1", "close", False),
        ("GET / HTTP/1.1", "Keep-Alive, CLOSE", False),
        ("GET / HTTP/1.0", None, False),
        ("GET / HTTP/1.0", "keep-alive", True),
    ],
)
def test_keep_alive(line: str, connection: str | None, keep_alive: bool) -> None:
    fields = [] if connection is None else [f"Connection: {connection}"]
    assert single_head(request(line, *fields)).keep_alive is keep_alive


def test_content_length_body_comes_as_bytes() -> None:
    parser = RequestParser()
    events = parser.feed(request("POST /u HTTP/1.1", "Content-Length: 5", body=b"hel"))
    assert isinstance(events[0], RequestHead)
    assert events[0].content_length == 5
    assert events[1:] == [b"hel"]
    rest = parser.feed(b"lo")
    assert rest[0] == b"lo"
    assert isinstance(rest[1], EndOfMessage)
    assert parser.idle


def test_chunked_body_and_trailers() -> None:
    body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nChecksum: abc\r\n\r\n"
    events = RequestParser().feed(
        request("POST / HTTP/1.1", "Transfer-Encoding: chunked", body=body)
    )
    head, data, end = events
    assert isinstance(head, RequestHead)
    assert head.chunked
    assert data == b"hello world"
    assert isinstance(end, EndOfMessage)
    assert end.trailers == [("Checksum", "abc")]


def test_pipelined_requests_in_one_feed() -> None:
    data = request("GET /1 HTTP/1.1") + request("POST /2 HTTP/1.1", "Content-Length: 2", body=b"ok")
    data += request("GET /3 HTTP/1.1")
    events = RequestParser().feed(data)
    targets = [e.target for e in events if isinstance(e, RequestHead)]
    assert targets == ["/1", "/2", "/3"]
    assert sum(isinstance(e, EndOfMessage) for e in events) == 3
    assert b"ok" in events


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_any_bytes_like_input(kind: type[bytes] | type[bytearray] | type[memoryview]) -> None:
    data = request("POST / HTTP/1.1", "Content-Length: 3", body=b"abc")
    events = RequestParser().feed(kind(data))
    assert events[1] == b"abc"


def test_str_input_is_refused() -> None:
    with pytest.raises(TypeError):
        RequestParser().feed("GET / HTTP/1.1\r\n\r\n")  # type: ignore[arg-type]


def test_upgrade_pauses_until_take_trailing() -> None:
    parser = RequestParser()
    data = request("GET /ws HTTP/1.1", "Connection: Upgrade", "Upgrade: websocket") + b"\x81\x80"
    events = parser.feed(data)
    head = events[0]
    assert isinstance(head, RequestHead)
    assert head.upgrade == "websocket"
    assert (parser.paused, parser.idle) == (True, False)
    assert parser.feed(b"more") == []
    assert parser.take_trailing() == b"\x81\x80more"
    assert (parser.paused, parser.idle) == (False, False)
    with pytest.raises(LocalProtocolError):
        parser.feed(b"x")


def test_resume_after_a_refused_upgrade() -> None:
    parser = RequestParser()
    data = request("GET /ws HTTP/1.1", "Connection: upgrade", "Upgrade: h2c")
    parser.feed(data + request("GET /next HTTP/1.1")[:12])
    assert parser.paused
    parser.feed(request("GET /next HTTP/1.1")[12:])
    events = parser.resume()
    assert [type(e) for e in events] == [RequestHead, EndOfMessage]
    assert isinstance(events[0], RequestHead)
    assert events[0].target == "/next"
    assert parser.resume() == []
    with pytest.raises(LocalProtocolError):
        parser.take_trailing()


def test_connect_pauses() -> None:
    parser = RequestParser()
    parser.feed(request("CONNECT example.com:443 HTTP/1.1") + b"\x16\x03")
    assert parser.paused
    assert parser.take_trailing() == b"\x16\x03"


def test_error_returns_earlier_events_then_raises_the_same_exception() -> None:
    parser = RequestParser()
    good = request("POST / HTTP/1.1", "Content-Length: 2", body=b"ok")
    bad = request("GET / HTTP/1.1", "Content-Length: 1", "Transfer-Encoding: chunked")
    events = parser.feed(good + bad)
    assert [type(e) for e in events] == [RequestHead, bytes, EndOfMessage]
    error = parser.error
    assert isinstance(error, RemoteProtocolError)
    assert not isinstance(error, PayloadTooBig)
    assert error.status_hint == 400
    with pytest.raises(RemoteProtocolError) as raised:
        parser.feed(b"GET / HTTP/1.1\r\n")
    assert raised.value is error
    with pytest.raises(RemoteProtocolError):
        parser.feed_eof()


def test_feed_eof_inside_a_request() -> None:
    parser = RequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\n")
    with pytest.raises(RemoteProtocolError) as raised:
        parser.feed_eof()
    assert raised.value.status_hint == 400
    assert parser.error is raised.value


def test_feed_eof_between_requests_is_fine() -> None:
    parser = RequestParser()
    parser.feed(request() + b"\r\n")
    assert parser.idle
    parser.feed_eof()
    assert parser.error is None


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (request("POST / HTTP/1.1", "Content-Length: 3", "Transfer-Encoding: chunked"), 400),
        (request("POST / HTTP/1.1", "Transfer-Encoding: chunked, chunked"), 400),
        (request("POST / HTTP/1.1", "Transfer-Encoding: chunked, gzip"), 400),
        (request("POST / HTTP/1.1", "Transfer-Encoding: gzip, chunked"), 501),
        (request("POST / HTTP/1.1", "Transfer-Encoding : chunked"), 400),
        (request("POST / HTTP/1.1", "Content-Length: +5"), 400),
        (request("POST / HTTP/1.1", "Content-Length: 5", "Content-Length: 5"), 400),
        (request("POST / HTTP/1.1", "Content-Length: 99999999999999999999"), 400),
        (request("GET / HTTP/1.1", "Host: twice"), 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (request("GET / HTTP/1.2"), 505),
        (request("GET / HTTP/2.0"), 505),
        (request("GET /\x00 HTTP/1.1"), 400),
        (request("GET / HTTP/1.1", "X: a", " folded"), 400),
        (b"GET / HTTP/1.1\nHost: a\n\n", 400),
        (request("GET / HTTP/1.1", "Expect: teapot"), 417),
        (request("POST / HTTP/1.1", "Transfer-Encoding: chunked", body=b"5\r\nhelloXY"), 400),
        (request("POST / HTTP/1.1", "Transfer-Encoding: chunked", body=b"+5\r\n"), 400),
        (request("POST / HTTP/1.1", "Transfer-Encoding: chunked", body=b"5\nhello\n"), 400),
    ],
)
def test_violations_and_their_status(data: bytes, status: int) -> None:
    error = rejection(data)
    assert type(error) is RemoteProtocolError
    assert error.status_hint == status


@pytest.mark.parametrize(
    ("data", "limits", "status"),
    [
        (request("GET /" + "a" * 100 + " HTTP/1.1"), HttpLimits(max_request_line_size=64), 414),
        (request("GET / HTTP/1.1", "X: " + "v" * 100), HttpLimits(max_header_line_size=64), 431),
        (request("GET / HTTP/1.1", "A: 1", "B: 2"), HttpLimits(max_header_count=2), 431),
        (request("GET / HTTP/1.1", "X: " + "v" * 50), HttpLimits(max_head_size=64), 431),
        (
            request("POST / HTTP/1.1", "Content-Length: 11", body=b"hello world"),
            HttpLimits(max_body_size=10),
            413,
        ),
        (
            request("POST / HTTP/1.1", "Transfer-Encoding: chunked", body=b"b\r\nhello world"),
            HttpLimits(max_body_size=10),
            413,
        ),
        (
            request("POST / HTTP/1.1", "Transfer-Encoding: chunked", body=b"0\r\nA: 12345\r\n"),
            HttpLimits(max_trailer_size=8),
            431,
        ),
    ],
)
def test_limits_raise_payload_too_big(data: bytes, limits: HttpLimits, status: int) -> None:
    error = rejection(data, limits)
    assert isinstance(error, PayloadTooBig)
    assert error.status_hint == status


def test_a_limit_fires_before_the_head_is_complete() -> None:
    parser = RequestParser(HttpLimits(max_head_size=1024))
    assert parser.feed(b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200) == []
    assert isinstance(parser.error, PayloadTooBig)


def test_errors_never_quote_the_request() -> None:
    secret = "Cookie: session=SECRET-TOKEN"
    for data in [
        request("GET / HTTP/1.1", secret, "Host: twice"),
        request("GET / HTTP/1.1", secret + "\x01"),
        request("GET /SECRET-TOKEN HTTP/9.9", secret),
    ]:
        error = rejection(data)
        assert "SECRET" not in str(error)
        assert "SECRET" not in error.message


def test_limits_defaults_match_the_documentation() -> None:
    limits = HttpLimits()
    assert limits.max_request_line_size == 8192
    assert limits.max_header_line_size == 8192
    assert limits.max_head_size == DEFAULT_MAX_HEAD_SIZE == 65536
    assert limits.max_header_count == 100
    assert limits.max_body_size is None
    assert limits.max_chunk_size_line == 1024
    assert limits.max_chunk_extensions_size == 4096
    assert limits.max_trailer_size == 8192
    assert limits.allow_bare_lf is False
    assert "max_head_size=65536" in repr(limits)


def test_limits_are_keyword_only_and_unsigned() -> None:
    with pytest.raises(TypeError):
        HttpLimits(10)  # type: ignore[call-arg]
    with pytest.raises(OverflowError):
        HttpLimits(max_head_size=-1)


def test_bare_lf_heads_when_allowed() -> None:
    limits = HttpLimits(allow_bare_lf=True)
    events = RequestParser(limits).feed(b"GET / HTTP/1.1\nHost: a\n\n")
    assert [type(e) for e in events] == [RequestHead, EndOfMessage]


def test_expect_continue() -> None:
    head = single_head(request("POST / HTTP/1.1", "Expect: 100-Continue"))
    assert head.expect_continue
    old = RequestParser().feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")[0]
    assert isinstance(old, RequestHead)
    assert not old.expect_continue


def test_match_args() -> None:
    head = single_head(request("GET /m HTTP/1.1"))
    match head:
        case RequestHead(method="GET", target=target):
            assert target == "/m"
        case _:
            pytest.fail("no match")
    assert repr(head) == "<RequestHead GET /m HTTP/1.1>"


def test_repeated_field_lines_share_tuples_and_changed_ones_do_not() -> None:
    parser = RequestParser()
    first = parser.feed(request("GET /1 HTTP/1.1", "Accept: */*", "Cookie: a=1", "X: y"))[0]
    second = parser.feed(request("GET /2 HTTP/1.1", "Accept: */*", "Cookie: a=2"))[0]
    third = parser.feed(request("GET /3 HTTP/1.1", "Cookie: a=2", "Accept: */*"))[0]
    assert isinstance(first, RequestHead)
    assert isinstance(second, RequestHead)
    assert isinstance(third, RequestHead)
    assert second.headers == [("Host", "example.com"), ("Accept", "*/*"), ("Cookie", "a=2")]
    assert third.headers == [("Host", "example.com"), ("Cookie", "a=2"), ("Accept", "*/*")]
    assert first.headers[1] is second.headers[1]
    assert first.headers[2] == ("Cookie", "a=1")
    assert second.headers is not first.headers
    second.headers.append(("Mine", "1"))
    assert len(first.headers) == 4


@pytest.mark.parametrize(
    ("target", "parts"),
    [
        ("/a/b?x=1&y", ("/a/b", b"/a/b", b"x=1&y")),
        ("/", ("/", b"/", b"")),
        ("/a?q=%20", ("/a", b"/a", b"q=%20")),  # escapes in the query stay as sent
        ("/caf%C3%A9", None),  # the path needs decoding: the caller does it
        ("http://example.com/a", None),  # absolute form
        ("*", None),
    ],
)
def test_asgi_target_is_ready_made_when_it_takes_no_decoding(
    target: str, parts: tuple[str, bytes, bytes] | None
) -> None:
    method = "OPTIONS" if target == "*" else "GET"
    assert single_head(request(f"{method} {target} HTTP/1.1")).asgi_target == parts


def test_a_requests_headers_are_its_heads_field_list_not_a_copy() -> None:
    head = RequestParser().feed(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")[0]
    assert isinstance(head, RequestHead)
    request = Request(head, EMPTY_BODY, ("127.0.0.1", 4321))
    assert request.headers.items() is head.headers
    assert request.headers["accept"] == "*/*"
    assert request.headers.get_all("Host") == ["x"]


def test_connections_share_the_tuples_of_the_field_lines_they_have_in_common() -> None:
    # Every WebSocket session keeps its handshake's header list: lines that clients of one kind
    # all send are one tuple, not one per connection.
    def head_of(key: str, agent: str) -> RequestHead:
        data = (
            "GET /ws HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n"
            f"Sec-WebSocket-Key: {key}\r\nUser-Agent: {agent}\r\n\r\n"
        ).encode()
        events = RequestParser().feed(data)  # a new parser: a new connection
        assert isinstance(events[0], RequestHead)
        return events[0]

    long_agent = "x" * 400
    first = head_of("a2V5LW9uZQ==", long_agent)
    second = head_of("a2V5LXR3bw==", long_agent)
    assert (
        first.headers[:2]
        == second.headers[:2]
        == [
            ("Host", "example.com"),
            ("Upgrade", "websocket"),
        ]
    )
    assert first.headers[0] is second.headers[0]
    assert first.headers[1] is second.headers[1]
    assert second.headers[2] == ("Sec-WebSocket-Key", "a2V5LXR3bw==")
    assert first.headers[2] == ("Sec-WebSocket-Key", "a2V5LW9uZQ==")
    assert second.headers[3] == first.headers[3] == ("User-Agent", long_agent)
    third = head_of("a2V5LXR3bw==", "short")  # each position keeps the line seen last
    assert third.headers[2] is second.headers[2]
    assert third.headers[3] == ("User-Agent", "short")
    assert head_of("a2V5LW9uZQ==", "short").headers[3] is third.headers[3]


def test_a_line_another_connection_sent_at_that_position_is_not_mistaken_for_a_longer_one() -> None:
    parser = RequestParser()
    parser.feed(b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text\r\n\r\n")
    other = RequestParser().feed(
        b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\n\r\n"
    )
    head = other[0]
    assert isinstance(head, RequestHead)
    assert head.headers == [("Host", "example.com"), ("Accept", "text/html")]
    shorter = RequestParser().feed(b"GET / HTTP/1.1\r\nHost: example.co\r\n\r\n")[0]
    assert isinstance(shorter, RequestHead)
    assert shorter.headers == [("Host", "example.co")]
