"""Multipart parsing speed: wsrs beside the Python peers in one run, and forms end to end.

Run as ``.venv/bin/python -m benches.multipart`` (about two minutes; ``--quick`` for a smoke run).
Three tables:

1. Parser throughput, the bodies of peers.md Part B §3 (a), fed in 64 KiB writes: a 10 MiB file
   with 5 fields, 1000 small fields, a 10 MiB CRLF-text file, 1 MiB of near-boundaries. Each
   adapter learns every part's name and receives every content byte as ``bytes``
   (python-multipart and multipart-rs: ``data[start:end]`` in ``on_part_data`` and the name from
   the Content-Disposition header their callbacks deliver; streaming-form-data: one catch-all
   target, its cheapest routing; rust-multipart: its ``parse_options_header`` on each part's
   headers). Outputs are checked equal before timing; each cell is the median of rounds of about
   0.2 s of CPU time, the adapters' rounds interleaved.
2. Linear cost (wsrs): 1 MiB and 4 MiB of CRLF preamble, of epilogue, of near-boundary content
   and of empty parts, limits raised so that the whole body is read; 4 MiB / 1 MiB ≈ 4 is linear.
3. ``request.form()`` end to end: the wsrs server against Starlette's ``request.form()`` on
   uvicorn (httptools, uvloop), each in its own process, under ``wrk -t1 -c16`` posting a form of
   5 fields and a 256 KiB file.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import multipart_rs
import python_multipart
import rust_multipart
from streaming_form_data import StreamingFormDataParser
from streaming_form_data.targets import BaseTarget

import multipart as defnull
from benches._harness import (
    LOCALHOST,
    TIMES,
    BenchError,
    Child,
    fmt_ratio,
    print_notes,
    print_table,
    progress,
    python_module,
    run_main,
    running_server,
    stop_on_signals,
    version_of,
)
from benches.http_parse import fmt, interleaved_rates
from wsrs import MultipartLimits, MultipartParser, PartBegin, PartData

BOUNDARY: Final = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
READ_SIZE: Final = 64 * 1024
MIB: Final = 1024 * 1024
ROUNDS: Final = 5
UNBOUNDED: Final = MultipartLimits(
    max_parts=10**8, max_preamble_size=64 * MIB, max_epilogue_size=64 * MIB
)
FORM_LUA: Final = Path(__file__).resolve().parent / "form.lua"

Parsed = tuple[list[str], int]
"""What an adapter learnt: every part's name, and how many content bytes it received."""
Adapter = Callable[[list[bytes]], Parsed]


# --- bodies --------------------------------------------------------------------------------------


def part(name: str, content: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    )


def close() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()


def big_file_body() -> bytes:
    fields = b"".join(part(f"field{i}", f"value {i}".encode()) for i in range(5))
    return fields + part("file", os.urandom(10 * MIB), "big.bin") + close()


def fields_body() -> bytes:
    return (
        b"".join(part(f"field{i}", f"value number {i:>6}".encode()) for i in range(1000)) + close()
    )


def crlf_text_body() -> bytes:
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n"
    return part("text", line * (10 * MIB // len(line)), "text.txt") + close()


def near_boundary(size: int) -> bytes:
    unit = f"\r\n--{BOUNDARY[:-1]}X".encode()
    return unit * (size // len(unit))


def near_boundary_body(size: int = MIB) -> bytes:
    return part("near", near_boundary(size), "near.bin") + close()


def reads(body: bytes) -> list[bytes]:
    return [body[i : i + READ_SIZE] for i in range(0, len(body), READ_SIZE)]


# --- adapters ------------------------------------------------------------------------------------


def wsrs_adapter(feeds: list[bytes]) -> Parsed:
    parser = MultipartParser(BOUNDARY, limits=UNBOUNDED)
    names: list[str] = []
    size = 0
    for chunk in feeds:
        for event in parser.feed(chunk):
            kind = type(event)
            if kind is PartData:
                size += len(event.data)  # type: ignore[union-attr]
            elif kind is PartBegin:
                names.append(event.name)  # type: ignore[union-attr, arg-type]
    parser.finish()
    return names, size


def callback_adapter(module: Any) -> Adapter:
    """python-multipart's callback API, shared by multipart-rs."""
    parse_options = module.parse_options_header

    def run(feeds: list[bytes]) -> Parsed:
        names: list[str] = []
        sizes = [0]
        header = [b"", b""]

        def on_part_data(data: bytes, start: int, end: int) -> None:
            sizes[0] += len(data[start:end])

        def on_header_field(data: bytes, start: int, end: int) -> None:
            header[0] += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            header[1] += data[start:end]

        def on_header_end() -> None:
            if header[0].lower() == b"content-disposition":
                names.append(parse_options(header[1])[1][b"name"].decode())
            header[0] = header[1] = b""

        callbacks = {
            "on_part_data": on_part_data,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
        }
        parser = module.MultipartParser(BOUNDARY, callbacks)
        for chunk in feeds:
            parser.write(chunk)
        parser.finalize()
        return names, sizes[0]

    return run


def defnull_adapter(feeds: list[bytes]) -> Parsed:
    parser = defnull.PushMultipartParser(BOUNDARY)
    names: list[str] = []
    size = 0
    for chunk in feeds:
        for event in parser.parse(chunk):
            if isinstance(event, defnull.MultipartSegment):
                names.append(event.name)
            elif event:
                size += len(event)
    parser.close()
    return names, size


class _Sink(BaseTarget):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def on_data_received(self, chunk: bytes) -> None:
        self.size += len(chunk)


def streaming_form_data_adapter(feeds: list[bytes]) -> Parsed:
    parser = StreamingFormDataParser({"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    names: list[str] = []
    sink = _Sink()

    def matches(registered: str, incoming: str) -> bool:
        names.append(incoming)
        return True

    parser.register("*", sink, matches)
    for chunk in feeds:
        parser.data_received(chunk)
    return names, sink.size


def rust_multipart_adapter(feeds: list[bytes]) -> Parsed:
    parser = rust_multipart.MultipartParser(BOUNDARY.encode())
    parse_options = rust_multipart.parse_options_header
    names: list[str] = []
    size = 0
    for chunk in feeds:
        for event in parser.feed(chunk):
            if type(event) is rust_multipart.PartData:
                size += len(event.data)
            elif type(event) is rust_multipart.PartBegin:
                for name, value in event.headers:
                    if name.lower() == b"content-disposition":
                        names.append(parse_options(value.decode())[1]["name"])
    parser.finish()
    return names, size


ADAPTERS: Final[dict[str, Adapter]] = {
    "wsrs": wsrs_adapter,
    "python-multipart": callback_adapter(python_multipart.multipart),
    "multipart (defnull)": defnull_adapter,
    "streaming-form-data": streaming_form_data_adapter,
    "multipart-rs": callback_adapter(multipart_rs),
    "rust-multipart": rust_multipart_adapter,
}
DISTRIBUTIONS: Final = {
    "python-multipart": "python-multipart",
    "multipart (defnull)": "multipart",
    "streaming-form-data": "streaming-form-data",
    "multipart-rs": "multipart-rs",
    "rust-multipart": "rust-multipart",
}


# --- table 1: parsers ----------------------------------------------------------------------------


def runner(adapter: Adapter, feeds: list[bytes], expected: Parsed) -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in range(n):
            if adapter(feeds) != expected:
                raise BenchError("an adapter's output changed between rounds")

    return run


def parser_table(quick: bool) -> None:
    workloads = {
        "10 MiB file + 5 fields": big_file_body(),
        "1000 fields": fields_body(),
        "10 MiB CRLF-text file": crlf_text_body(),
        "1 MiB near-boundary file": near_boundary_body(),
    }
    rounds = 1 if quick else ROUNDS
    rows: list[list[str]] = []
    notes: list[str] = []
    parts_rows: list[list[str]] = []
    for workload, body in workloads.items():
        progress(f"parsers: {workload}")
        feeds = reads(body)
        expected = wsrs_adapter(feeds)
        runs: dict[str, Callable[[int], object]] = {}
        for name, adapter in ADAPTERS.items():
            try:
                got = adapter(feeds)
            except Exception as exc:  # a peer failing is a table note
                notes.append(f"{name} on {workload}: {type(exc).__name__}: {exc}")
                continue
            if got != expected:
                notes.append(
                    f"{name} on {workload}: wrong output ({len(got[0])} parts, {got[1]} B)"
                )
                continue
            runs[name] = runner(adapter, feeds, expected)
        rates = interleaved_rates(runs, dict.fromkeys(runs, len(body) / 1e6), rounds)
        best = max((rate for name, rate in rates.items() if name != "wsrs"), default=None)
        row = [workload] + [fmt(rates[name]) if name in rates else "n/a" for name in ADAPTERS]
        rows.append([*row, fmt_ratio(rates.get("wsrs"), best, 1.0)])
        if workload == "1000 fields":
            parts = {name: rate * 1e6 / len(body) * 1000 for name, rate in rates.items()}
            best_parts = max((p for name, p in parts.items() if name != "wsrs"), default=None)
            parts_row = ["1000 fields, parts/s"]
            parts_row += [fmt(parts[name]) if name in parts else "n/a" for name in ADAPTERS]
            parts_rows.append([*parts_row, fmt_ratio(parts.get("wsrs"), best_parts, 1.5)])
    headers = ["MB/s", *ADAPTERS, f"wsrs / best peer (target {TIMES}1.0)"]
    print_table(f"Multipart parse throughput, 64 KiB writes (median of {rounds})", headers, rows)
    parts_headers = ["parts/s", *ADAPTERS, f"wsrs / best peer (target {TIMES}1.5)"]
    print_table("Per-part overhead", parts_headers, parts_rows)
    versions = ", ".join(f"{name} {version_of(dist)}" for name, dist in DISTRIBUTIONS.items())
    print_notes([f"peers: {versions}", *notes])


# --- table 2: linear cost ------------------------------------------------------------------------


def adversarial(shape: str, size: int) -> bytes:
    one = part("f", b"x")
    if shape == "CRLF preamble":
        return b"\r\n" * (size // 2) + one + close()
    if shape == "epilogue":
        return one + close() + b"\r\n" * (size // 2)
    if shape == "near-boundary content":
        return near_boundary_body(size)
    empty = f"\r\n--{BOUNDARY}\r\n".encode()
    return (
        f"--{BOUNDARY}\r\n".encode() + empty * (size // len(empty)) + f"\r\n--{BOUNDARY}--".encode()
    )


def best_time(feeds: list[bytes], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        wsrs_adapter(feeds)
        times.append(time.process_time() - start)
    return min(times)


def linear_table(quick: bool) -> None:
    progress("linear cost")
    rows = []
    for shape in ("CRLF preamble", "epilogue", "near-boundary content", "empty parts"):
        small, large = reads(adversarial(shape, MIB)), reads(adversarial(shape, 4 * MIB))
        repeats = 3 if quick else 7
        t1, t4 = best_time(small, repeats), best_time(large, repeats)
        rows.append([shape, f"{t1 * 1e3:.2f}", f"{t4 * 1e3:.2f}", f"{t4 / t1:.2f}"])
    headers = ["wsrs, shape", "1 MiB ms", "4 MiB ms", "4 MiB / 1 MiB (linear: 4)"]
    print_table("Linear cost on adversarial bodies (best of several, CPU time)", headers, rows)


# --- table 3: forms end to end -------------------------------------------------------------------


def form_body() -> bytes:
    fields = b"".join(part(f"field{i}", f"value {i}".encode()) for i in range(5))
    return fields + part("upload", os.urandom(256 * 1024), "upload.bin") + close()


FORM_ANSWER: Final = b"fields=5 files=1 bytes=262179"


def check_form(label: str, port: int, body: bytes) -> None:
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=10)
    try:
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        conn.request("POST", "/form", body, headers)
        response = conn.getresponse()
        answer = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise BenchError(f"{label}: POST /form failed: {exc!r}") from exc
    finally:
        conn.close()
    if response.status != 200 or answer != FORM_ANSWER:
        raise BenchError(f"{label}: POST /form answered {response.status} {answer[:80]!r}")


def wrk_form(label: str, port: int, body_file: Path, seconds: int) -> float:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    argv = ["wrk", "-t1", "-c16", f"-d{seconds}s", "-s", str(FORM_LUA)]
    argv += [f"http://{LOCALHOST}:{port}/form", "--", str(body_file), content_type]
    with Child(f"wrk against {label}", argv, capture_stdout=True) as wrk:
        status, output = wrk.communicate(seconds + 30)
    if status != 0 or "Non-2xx" in output or "Socket errors" in output:
        raise BenchError(f"wrk against {label} reported problems:\n{output}")
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise BenchError(f"no rate in wrk's output:\n{output}")


def form_table(quick: bool) -> None:
    servers: dict[str, Callable[[int], list[str]]] = {
        "wsrs request.form() (uvloop)": lambda port: python_module(
            "benches.servers.wsrs_form", "--port", str(port), "--loop", "uvloop"
        ),
        "Starlette request.form() on uvicorn (httptools, uvloop)": lambda port: python_module(
            "benches.servers.starlette_form", "--port", str(port)
        ),
    }
    body = form_body()
    seconds = 2 if quick else 5
    rounds = 1 if quick else 3
    rates: dict[str, list[float]] = {name: [] for name in servers}
    notes: list[str] = []
    with tempfile.NamedTemporaryFile(suffix=".form") as body_file:
        body_file.write(body)
        body_file.flush()
        for _ in range(rounds):
            for name, argv in servers.items():
                progress(f"forms: {name}")
                try:
                    with running_server(name, argv) as (_, port):
                        check_form(name, port, body)
                        wrk_form(name, port, Path(body_file.name), 1)
                        rates[name].append(wrk_form(name, port, Path(body_file.name), seconds))
                except BenchError as exc:
                    notes.append(str(exc))
    medians = {name: statistics.median(r) for name, r in rates.items() if r}
    ours, theirs = (medians.get(name) for name in servers)
    rows = [[name, fmt(medians[name]) if name in medians else "n/a"] for name in servers]
    rows[0].append(fmt_ratio(ours, theirs))
    rows[1].append("")
    title = f"request.form() end to end: {len(body):,} B form (5 fields, 256 KiB file), wrk -c16"
    print_table(f"{title}, median of {rounds}", ["server", "forms/s", "wsrs / Starlette"], rows)
    starlette = version_of("starlette")
    uvicorn = version_of("uvicorn")
    print_notes([f"starlette {starlette}, uvicorn {uvicorn}", *notes])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round per cell")
    parser.add_argument(
        "--only", choices=("parsers", "linear", "forms"), help="run one of the three tables"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if args.only in (None, "parsers"):
        parser_table(args.quick)
    if args.only in (None, "linear"):
        linear_table(args.quick)
    if args.only in (None, "forms"):
        form_table(args.quick)
    return 0


if __name__ == "__main__":
    run_main(main)
