"""Properties of the HTTP codecs: any split of the input gives the same result, h11 agrees on
valid requests, and what the encoders write the parsers read back."""

from __future__ import annotations

import contextlib
import itertools

import h11
from hypothesis import example, given
from hypothesis import strategies as st

from wsrs import RemoteProtocolError
from wsrs._wsrs import (
    ChunkedDecoder,
    EndOfMessage,
    HttpLimits,
    RequestHead,
    RequestParser,
    encode_chunk,
    encode_last_chunk,
    encode_request_head,
    encode_response_head,
    parse_response_head,
)

Normal = tuple[object, ...]

FRAGMENTS = [
    b"GET / HTTP/1.1\r\n",
    b"POST /p HTTP/1.1\r\n",
    b"GET / HTTP/1.0\r\n",
    b"CONNECT a:1 HTTP/1.1\r\n",
    b"Host: a\r\n",
    b"Content-Length: 3\r\n",
    b"Content-Length: 0\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Connection: upgrade\r\nUpgrade: websocket\r\n",
    b"Expect: 100-continue\r\n",
    b"X: \xe9\r\n",
    b" folded\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b"abc",
    b"3\r\nabc\r\n",
    b"0\r\n\r\n",
    b"0\r\nT: 1\r\n\r\n",
    b'1;e="q"\r\nz\r\n',
]

messages = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=6)), max_size=24).map(
    b"".join
)
cuts = st.lists(st.integers(min_value=0, max_value=400), max_size=6)
small_limits = st.builds(
    HttpLimits,
    max_request_line_size=st.integers(8, 64),
    max_header_line_size=st.integers(8, 64),
    max_head_size=st.integers(16, 256),
    max_header_count=st.integers(0, 8),
    max_body_size=st.none() | st.integers(0, 16),
    max_chunk_size_line=st.integers(3, 16),
    max_chunk_extensions_size=st.integers(0, 8),
    max_trailer_size=st.integers(0, 16),
    allow_bare_lf=st.booleans(),
)


def pieces(data: bytes, at: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(a % (len(data) + 1) for a in at)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def normal_event(event: RequestHead | bytes | EndOfMessage) -> Normal:
    if isinstance(event, RequestHead):
        facts = (event.keep_alive, event.upgrade, event.expect_continue)
        framing = (event.content_length, event.chunked)
        return ("head", event.method, event.target, event.version, event.headers, facts, framing)
    if isinstance(event, bytes):
        return ("body", event)
    return ("end", event.trailers)


def run_parser(feeds: list[bytes], limits: HttpLimits | None = None) -> Normal:
    """Events (adjacent body pieces joined), the error, and what a pause left behind."""
    parser = RequestParser(limits)
    events: list[Normal] = []
    for data in feeds:
        if parser.error is not None:
            break
        for event in parser.feed(data):
            normal = normal_event(event)
            if normal[0] == "body" and events and events[-1][0] == "body":
                events[-1] = ("body", events[-1][1] + normal[1])  # type: ignore[operator]
            else:
                events.append(normal)
    trailing = parser.take_trailing() if parser.paused else None
    if parser.error is None and trailing is None:
        with contextlib.suppress(RemoteProtocolError):  # recorded in parser.error
            parser.feed_eof()
    error = parser.error
    verdict = None if error is None else (type(error).__name__, error.status_hint, error.message)
    return (events, verdict, trailing)


@given(messages, cuts, st.none() | small_limits)
@example(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", [5, 17], None)
def test_request_parser_ignores_how_input_is_split(
    data: bytes, at: list[int], limits: HttpLimits | None
) -> None:
    whole = run_parser([data], limits)
    assert run_parser(pieces(data, at), limits) == whole
    assert run_parser([bytes([b]) for b in data], limits) == whole


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_events_or_one_recorded_error(data: bytes) -> None:
    parser = RequestParser()
    parser.feed(data)
    assert parser.error is None or parser.error.status_hint in {400, 413, 414, 417, 431, 501, 505}


def run_decoder(feeds: list[bytes], limits: HttpLimits | None = None) -> Normal:
    decoder = ChunkedDecoder(limits)
    data = b""
    for piece in feeds:
        if decoder.error is not None:
            break
        data += b"".join(decoder.feed(piece))
    error = decoder.error
    verdict = None if error is None else (type(error).__name__, error.message)
    trailers = decoder.trailers if decoder.done else None
    return (data, verdict, decoder.done, trailers, decoder.take_trailing())


chunk_wire = st.lists(
    st.one_of(
        st.sampled_from([b"3\r\nabc\r\n", b"0\r\n\r\n", b"0\r\nT: 1\r\n\r\n", b"\r\n", b";x"]),
        st.binary(max_size=5),
    ),
    max_size=12,
).map(b"".join)


@given(chunk_wire, cuts, st.none() | small_limits)
def test_chunked_decoder_ignores_how_input_is_split(
    wire: bytes, at: list[int], limits: HttpLimits | None
) -> None:
    whole = run_decoder([wire], limits)
    assert run_decoder(pieces(wire, at), limits) == whole
    assert run_decoder([bytes([b]) for b in wire], limits) == whole


TCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~"
FRAMING = {"host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"}
tokens = st.text(TCHARS, min_size=1, max_size=12)
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20).map(str.strip)
field_lists = st.lists(
    st.tuples(tokens, values).filter(lambda field: field[0].lower() not in FRAMING),
    max_size=6,
)


@given(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "X-CUSTOM"]),
    st.text("abcdefghij/?=&%0123456789", max_size=20).map(lambda t: "/" + t),
    field_lists,
    st.binary(max_size=20),
    cuts,
)
def test_h11_agrees_on_valid_requests(
    method: str, target: str, fields: list[tuple[str, str]], body: bytes, at: list[int]
) -> None:
    all_fields = [("Host", "example.com"), *fields, ("Content-Length", str(len(body)))]
    wire = encode_request_head(method, target, all_fields) + body
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(wire)
    request = conn.next_event()
    assert isinstance(request, h11.Request)
    h11_body = b""
    while not isinstance(event := conn.next_event(), h11.EndOfMessage):
        assert isinstance(event, h11.Data)
        h11_body += bytes(event.data)
    events, error, _ = run_parser(pieces(wire, at))
    assert error is None
    assert isinstance(events, list)
    head = events[0]
    assert head[1:4] == (request.method.decode(), request.target.decode(), "1.1")
    raw = [(n.decode(), v.decode()) for n, v in request.headers.raw_items()]
    assert head[4] == raw
    assert (events[1] if body else ("body", b"")) == ("body", h11_body)


@given(
    st.lists(st.binary(min_size=1, max_size=40), max_size=8),
    st.lists(st.tuples(tokens, values), max_size=3),
    cuts,
)
def test_chunked_round_trip(
    chunks: list[bytes], trailers: list[tuple[str, str]], at: list[int]
) -> None:
    wire = b"".join(encode_chunk(c) for c in chunks) + encode_last_chunk(trailers) + b"after"
    data, error, done, got_trailers, trailing = run_decoder(pieces(wire, at))
    assert (data, error, done, trailing) == (b"".join(chunks), None, True, b"after")
    assert got_trailers == trailers


latin1_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF).filter(lambda c: c != "\x7f"), max_size=20
)


@given(st.integers(100, 999), field_lists, latin1_text)
def test_response_head_round_trip(status: int, fields: list[tuple[str, str]], reason: str) -> None:
    wire = encode_response_head(status, fields, reason)
    parsed = parse_response_head(wire + b"rest")
    assert parsed is not None
    head, length = parsed
    assert length == len(wire)
    assert (head.status, head.reason, head.headers) == (status, reason, fields)
