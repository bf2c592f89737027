"""HTTP/1.1 parser speed, wsrs against httptools and h11, all measured side by side in one run.

Run as ``.venv/bin/python -m benches.http_parse`` (about half a minute). Workloads, as in peers.md
Part B §3 (b) and (c):

- head parse of a 400-byte GET with 7 headers: a fresh parser per request, one parser for many
  requests (keep-alive), the same alternating between two requests that share no field line
  (wsrs reuses the tuples of field lines repeated from the previous request; this row shows the
  cost when none repeats), and 100 requests pipelined in one buffer;
- chunked decode of a 10 MiB body in 4 KiB and in 16 B chunks, fed in 64 KiB reads.

Every driver materialises what its user gets: method, target and the header list of each request
(httptools: ``get_method()`` and the ``on_url``/``on_header`` callbacks; h11: the ``Request``
event), and every body byte as ``bytes``. Body pieces go to a streaming consumer that counts and
drops each one, so the rates measure parsing, not an allocator holding 10 MiB. h11 serves one
request at a time, so its drivers answer each request (a minimal 200 and ``start_next_cycle()``)
before parsing the next. wsrs hands out the body bytes of one read as one ``bytes`` (chunk
boundaries carry no meaning), httptools calls ``on_body`` per chunk, h11 yields a ``Data`` event
per chunk. Outputs are checked equal before timing. Each cell is the median of several rounds of
about 0.2 s of CPU time (process time, so that time spent descheduled on a shared machine does not
count), the peers' rounds interleaved.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import h11
import httptools

from wsrs._wsrs import ChunkedDecoder, RequestHead, RequestParser, encode_chunk

ROUND_SECONDS = 0.2
HEAD_ROUNDS = 5
CHUNK_ROUNDS = 3
READ_SIZE = 64 * 1024
PAYLOAD_SIZE = 10 * 1024 * 1024
H11_SMALL_PAYLOAD = 1024 * 1024

Parsed = tuple[str, str, list[tuple[str, str]]]


def build_request(variant: str = "") -> bytes:
    """A 400-byte GET with 7 header fields, padded in its Cookie value; a `variant` changes
    every line."""
    lines = [
        f"GET /api/v1/items?page=2&sort=name{variant} HTTP/1.1",
        f"Host: www.example.com{variant}",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        + variant,
        f"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8{variant}",
        f"Accept-Language: en-US,en;q=0.5{variant}",
        f"Accept-Encoding: gzip, deflate, br{variant}",
        "Connection: keep-alive" + (", x" if variant else ""),
        f"Cookie: session={variant}",
    ]
    head = "\r\n".join(lines)
    pad = 400 - len(head) - 4
    return (head + "s" * pad + "\r\n\r\n").encode()


REQUEST = build_request()
PIPELINED = REQUEST * 100
# Two requests with no field line in common, for the case where nothing repeats.
ALTERNATING = (build_request("1"), build_request("2"))


def chunked_body(chunk_size: int, payload_size: int) -> tuple[bytes, bytes, int]:
    """(payload, wire bytes of a chunked POST carrying it, chunk count)."""
    payload = bytes(i % 251 for i in range(payload_size))
    pieces = [encode_chunk(payload[i : i + chunk_size]) for i in range(0, payload_size, chunk_size)]
    head = b"POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
    return payload, head + b"".join(pieces) + b"0\r\n\r\n", len(pieces)


def reads(wire: bytes) -> list[bytes]:
    return [wire[i : i + READ_SIZE] for i in range(0, len(wire), READ_SIZE)]


# --- head parse drivers: each parses `n` requests (`n` buffers of 100 when pipelined) -----------


def wsrs_head(head: RequestHead) -> Parsed:
    return head.method, head.target, head.headers


def wsrs_fresh(n: int) -> Parsed:
    parsed: Parsed = ("", "", [])
    for _ in range(n):
        events = RequestParser().feed(REQUEST)
        head = events[0]
        assert isinstance(head, RequestHead)
        parsed = wsrs_head(head)
    return parsed


def wsrs_keep_alive(n: int) -> Parsed:
    parser = RequestParser()
    parsed: Parsed = ("", "", [])
    for _ in range(n):
        head = parser.feed(REQUEST)[0]
        assert isinstance(head, RequestHead)
        parsed = wsrs_head(head)
    return parsed


def wsrs_alternating(n: int) -> Parsed:
    parser = RequestParser()
    parsed: Parsed = ("", "", [])
    for i in range(n):
        head = parser.feed(ALTERNATING[i % 2])[0]
        assert isinstance(head, RequestHead)
        parsed = wsrs_head(head)
    return parsed


def wsrs_pipelined(n: int) -> Parsed:
    parser = RequestParser()
    parsed: Parsed = ("", "", [])
    for _ in range(n):
        for event in parser.feed(PIPELINED):
            if isinstance(event, RequestHead):
                parsed = wsrs_head(event)
    return parsed


class HttptoolsRequests:
    """httptools callbacks that keep method, target and headers of each request."""

    def __init__(self) -> None:
        self.parser: Any = None
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.last: tuple[bytes, bytes, list[tuple[bytes, bytes]]] = (b"", b"", [])

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.last = (self.parser.get_method(), self.url, self.headers)
        self.headers = []


def httptools_parser() -> tuple[Any, HttptoolsRequests]:
    requests = HttptoolsRequests()
    parser = httptools.HttpRequestParser(requests)
    requests.parser = parser
    return parser, requests


def httptools_parsed(requests: HttptoolsRequests) -> Parsed:
    method, url, headers = requests.last
    return method.decode(), url.decode(), [(n.decode(), v.decode()) for n, v in headers]


def httptools_fresh(n: int) -> Parsed:
    requests = HttptoolsRequests()
    for _ in range(n):
        requests = HttptoolsRequests()
        parser = httptools.HttpRequestParser(requests)
        requests.parser = parser
        parser.feed_data(REQUEST)
    return httptools_parsed(requests)


def httptools_keep_alive(n: int) -> Parsed:
    parser, requests = httptools_parser()
    for _ in range(n):
        parser.feed_data(REQUEST)
    return httptools_parsed(requests)


def httptools_alternating(n: int) -> Parsed:
    parser, requests = httptools_parser()
    for i in range(n):
        parser.feed_data(ALTERNATING[i % 2])
    return httptools_parsed(requests)


def httptools_pipelined(n: int) -> Parsed:
    parser, requests = httptools_parser()
    for _ in range(n):
        parser.feed_data(PIPELINED)
    return httptools_parsed(requests)


H11_RESPONSE = h11.Response(status_code=200, headers=[("Content-Length", "0")])


def h11_parsed(request: h11.Request) -> Parsed:
    headers = [(n.decode(), v.decode()) for n, v in request.headers.raw_items()]
    return request.method.decode(), request.target.decode(), headers


def h11_serve(conn: h11.Connection) -> h11.Request:
    """Takes one request and its end, and answers it so that h11 parses the next."""
    request = conn.next_event()
    assert isinstance(request, h11.Request)
    _ = (request.method, request.target, list(request.headers))
    assert isinstance(conn.next_event(), h11.EndOfMessage)
    conn.send(H11_RESPONSE)
    conn.send(h11.EndOfMessage())
    conn.start_next_cycle()
    return request


def h11_fresh(n: int) -> Parsed:
    request = None
    for _ in range(n):
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(REQUEST)
        request = conn.next_event()
        assert isinstance(request, h11.Request)
        _ = (request.method, request.target, list(request.headers))
        assert isinstance(conn.next_event(), h11.EndOfMessage)
    assert isinstance(request, h11.Request)
    return h11_parsed(request)


def h11_keep_alive(n: int) -> Parsed:
    conn = h11.Connection(h11.SERVER)
    request = None
    for _ in range(n):
        conn.receive_data(REQUEST)
        request = h11_serve(conn)
    assert request is not None
    return h11_parsed(request)


def h11_alternating(n: int) -> Parsed:
    conn = h11.Connection(h11.SERVER)
    request = None
    for i in range(n):
        conn.receive_data(ALTERNATING[i % 2])
        request = h11_serve(conn)
    assert request is not None
    return h11_parsed(request)


def h11_pipelined(n: int) -> Parsed:
    conn = h11.Connection(h11.SERVER)
    request = None
    for _ in range(n):
        conn.receive_data(PIPELINED)
        for _ in range(100):
            request = h11_serve(conn)
    assert request is not None
    return h11_parsed(request)


# --- chunked drivers: each decodes the body once; a streaming consumer gets every piece as
# `bytes` and lets it go (here: counts its length); `keep` collects the pieces for the check ---


def wsrs_chunked_request(feeds: list[bytes], keep: list[bytes] | None = None) -> int:
    parser = RequestParser()
    size = 0
    for data in feeds:
        for event in parser.feed(data):
            if isinstance(event, bytes):
                size += len(event)
                if keep is not None:
                    keep.append(event)
    return size


def wsrs_chunked_decoder(feeds: list[bytes], keep: list[bytes] | None = None) -> int:
    decoder = ChunkedDecoder()
    size = 0
    head_end = feeds[0].index(b"\r\n\r\n") + 4
    for data in [feeds[0][head_end:], *feeds[1:]]:
        for piece in decoder.feed(data):
            size += len(piece)
            if keep is not None:
                keep.append(piece)
    assert decoder.done
    return size


class HttptoolsBody:
    """httptools callbacks for a body: each piece is counted (and kept when asked)."""

    def __init__(self, keep: list[bytes] | None) -> None:
        self.size = 0
        self.keep = keep

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.keep is not None:
            self.keep.append(body)


def httptools_chunked(feeds: list[bytes], keep: list[bytes] | None = None) -> int:
    body = HttptoolsBody(keep)
    parser = httptools.HttpRequestParser(body)
    for data in feeds:
        parser.feed_data(data)
    return body.size


def h11_chunked(feeds: list[bytes], keep: list[bytes] | None = None) -> int:
    conn = h11.Connection(h11.SERVER)
    size = 0
    for data in feeds:
        conn.receive_data(data)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or isinstance(event, h11.EndOfMessage):
                break
            if isinstance(event, h11.Data):
                piece = bytes(event.data)
                size += len(piece)
                if keep is not None:
                    keep.append(piece)
    return size


ChunkedDriver = Callable[[list[bytes], "list[bytes] | None"], int]


# --- measurement ---------------------------------------------------------------------------------


def calibrate(run: Callable[[int], object]) -> int:
    """How many calls of `run` take about ROUND_SECONDS of CPU time."""
    calls = 1
    while True:
        start = time.process_time()
        run(calls)
        elapsed = time.process_time() - start
        if elapsed >= ROUND_SECONDS / 4:
            return max(1, round(calls * ROUND_SECONDS / elapsed))
        calls *= 4


def interleaved_rates(
    runs: dict[str, Callable[[int], object]], units_per_call: dict[str, float], rounds: int
) -> dict[str, float]:
    """Units per CPU second for each runner: rounds alternate between runners, so a load change
    on the machine hits them alike; the median round of each is kept."""
    calls = {name: calibrate(run) for name, run in runs.items()}
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.process_time()
            run(calls[name])
            elapsed = time.process_time() - start
            rates[name].append(calls[name] * units_per_call[name] / elapsed)
    return {name: statistics.median(r) for name, r in rates.items()}


def repeat(driver: ChunkedDriver, feeds: list[bytes], size: int) -> Callable[[int], None]:
    """A runner decoding the whole body `n` times, keeping no piece."""

    def run(n: int) -> None:
        for _ in range(n):
            assert driver(feeds, None) == size

    return run


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def head_table() -> None:
    drivers: dict[str, dict[str, Callable[[int], Parsed]]] = {
        "fresh parser": {"wsrs": wsrs_fresh, "httptools": httptools_fresh, "h11": h11_fresh},
        "keep-alive": {
            "wsrs": wsrs_keep_alive,
            "httptools": httptools_keep_alive,
            "h11": h11_keep_alive,
        },
        "keep-alive, no line repeats": {
            "wsrs": wsrs_alternating,
            "httptools": httptools_alternating,
            "h11": h11_alternating,
        },
        "100 pipelined in one buffer": {
            "wsrs": wsrs_pipelined,
            "httptools": httptools_pipelined,
            "h11": h11_pipelined,
        },
    }
    for workload, by_peer in drivers.items():
        expected = by_peer["wsrs"](2)
        assert expected[2][0] == (
            "Host",
            "www.example.com" + ("2" if "no line" in workload else ""),
        )
        for peer, driver in by_peer.items():
            got = driver(2)
            assert got == expected, f"{peer} {workload}: {got} != {expected}"
    print(f"Head parse: {len(REQUEST)}-byte GET, 7 headers, req/s (median of {HEAD_ROUNDS})")
    columns = ("wsrs", 11), ("httptools", 11), ("h11", 9), ("/httptools", 11), ("/h11", 7)
    print(f"{'workload':<28}" + "".join(f" {name:>{width}}" for name, width in columns))
    for workload, by_peer in drivers.items():
        per_call = 100.0 if workload.startswith("100") else 1.0
        rates = interleaved_rates(dict(by_peer), dict.fromkeys(by_peer, per_call), HEAD_ROUNDS)
        print(
            f"{workload:<28} {fmt(rates['wsrs']):>11} {fmt(rates['httptools']):>11} "
            f"{fmt(rates['h11']):>9} {rates['wsrs'] / rates['httptools']:>10.2f}x "
            f"{rates['wsrs'] / rates['h11']:>6.1f}x"
        )


def chunked_table() -> None:
    drivers: dict[str, ChunkedDriver] = {
        "wsrs RequestParser": wsrs_chunked_request,
        "wsrs ChunkedDecoder": wsrs_chunked_decoder,
        "httptools": httptools_chunked,
        "h11": h11_chunked,
    }
    print()
    print(f"Chunked decode in {READ_SIZE // 1024} KiB reads (median of {CHUNK_ROUNDS})")
    header = f"{'chunks':<7} {'parser':<20} {'MB/s':>9} {'chunks/s':>12} {'/httptools':>11}"
    print(header)
    for chunk_size in (4096, 16):
        runs: dict[str, Callable[[int], object]] = {}
        sizes: dict[str, float] = {}
        chunk_counts: dict[str, int] = {}
        for name, driver in drivers.items():
            size = H11_SMALL_PAYLOAD if name == "h11" and chunk_size == 16 else PAYLOAD_SIZE
            payload, wire, chunk_counts[name] = chunked_body(chunk_size, size)
            feeds = reads(wire)
            kept: list[bytes] = []
            driver(feeds, kept)
            assert b"".join(kept) == payload, f"{name} decoded a different body"
            runs[name] = repeat(driver, feeds, size)
            sizes[name] = size
        passes = interleaved_rates(runs, dict.fromkeys(runs, 1.0), CHUNK_ROUNDS)
        base = passes["httptools"] * sizes["httptools"]
        label = f"{chunk_size} B" if chunk_size < 1024 else f"{chunk_size // 1024} KiB"
        for name in drivers:
            mb = passes[name] * sizes[name] / 1e6
            note = " (1 MiB body)" if sizes[name] != PAYLOAD_SIZE else ""
            print(
                f"{label:<7} {name + note:<20} {fmt(mb):>9} "
                f"{fmt(passes[name] * chunk_counts[name]):>12} "
                f"{passes[name] * sizes[name] / base:>10.2f}x"
            )


def main() -> None:
    start = time.perf_counter()
    head_table()
    chunked_table()
    print(f"\n({time.perf_counter() - start:.0f} s wall; rates per CPU second; 1 MB = 10^6 bytes)")


if __name__ == "__main__":
    main()
