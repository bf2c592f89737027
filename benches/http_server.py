"""Hello-world HTTP/1.1 throughput under wrk: wsrs side by side with its peers.

Each server answers ``GET /hello`` with ``Hello, World!`` as text/plain, in its own process (and
process group) on 127.0.0.1. After a check that the answer is right, wrk runs ``-t1 -c50 --latency``
for the duration after a 1 s warm-up, then the same with ``-s benches/requests.lua`` (16 requests
per write). wrk and the server share the machine's cores, so only ratios from one run mean much.

    python -m benches.http_server              # full run, about 1.5 minutes
    python -m benches.http_server --quick      # smoke run, under a minute
    python -m benches.http_server --only wsrs,granian --duration 10 --rounds 3
"""

from __future__ import annotations

import argparse
import http.client
import platform
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from benches._harness import (
    LOCALHOST,
    NOT_BUILT,
    TIMES,
    BenchError,
    Cell,
    Child,
    Samples,
    failure_cell,
    fmt_int,
    fmt_ratio,
    fmt_spread,
    group_cpu_seconds,
    print_notes,
    print_table,
    progress,
    python_module,
    run_main,
    running_server,
    stop_on_signals,
    version_of,
    which,
    worth_retrying,
    wsrs_argv,
    wsrs_available,
)

PATH: Final = "/hello"
BODY: Final = b"Hello, World!"
PIPELINE_LUA: Final = Path(__file__).resolve().parent / "requests.lua"


def _peer(module: str, *args: str) -> Callable[[int], list[str]]:
    return lambda port: python_module(f"benches.servers.{module}", "--port", str(port), *args)


def _wsrs(backend: str) -> Callable[[int], list[str]]:
    return lambda port: wsrs_argv(port, backend)


@dataclass(frozen=True)
class Server:
    name: str  # what --only selects
    label: str
    argv: Callable[[int], list[str]]
    path: str = PATH


SERVERS: Final = (
    Server("wsrs", "wsrs (uvloop)", _wsrs("uvloop")),
    # The same answer from an `async def` handler: one task per request.
    Server("wsrs", "wsrs async def (uvloop)", _wsrs("uvloop"), "/hello-async"),
    Server("wsrs", "wsrs (asyncio)", _wsrs("asyncio")),
    Server("wsrs", "wsrs (trio)", _wsrs("trio")),
    Server("uvicorn", "uvicorn (httptools, uvloop)", _peer("uvicorn_hello", "--loop", "uvloop")),
    Server("aiohttp", "aiohttp.web (uvloop)", _peer("aiohttp_server", "--loop", "uvloop")),
    Server("granian", "granian (RSGI)", _peer("granian_hello", "--interface", "rsgi")),
    Server("granian", "granian (ASGI)", _peer("granian_hello", "--interface", "asgi")),
)
WSRS_MAIN: Final = "wsrs (uvloop)"
#: The wsrs rows compared with the peers: `def` handler (the demo's /hello) and `async def`.
WSRS_COMPARED: Final = (WSRS_MAIN, "wsrs async def (uvloop)")
#: wsrs (uvloop) against these rows: (label, minimum target).
RATIOS: Final = (
    ("uvicorn (httptools, uvloop)", 1.3),
    ("granian (RSGI)", 1.0),
    ("granian (ASGI)", 1.0),
)
MODES: Final = ("plain", "pipelined")


@dataclass
class Result:
    """One wrk run: requests/s, average latency, server CPU µs per request (or notes)."""

    rps: Cell = None
    latency_ms: Cell = None
    cpu_us: Cell = None
    flagged: bool = False  # wrk reported errors or non-2xx responses (see the notes)


@dataclass
class WrkReport:
    rps: float
    latency_ms: float
    requests: int
    problems: list[str]


@dataclass
class Settings:
    duration: int
    warmup: int
    connections: int
    threads: int
    depth: int
    rounds: int
    wsrs: bool
    notes: list[str] = field(default_factory=list)


_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_REQUESTS = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
_LATENCY = re.compile(r"^\s+Latency\s+([\d.]+)(us|ms|s)\b", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: (.*)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_UNIT_MS: Final = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> WrkReport:
    """Requests/s, average latency, request count and any problems from wrk's report."""
    rps = _RPS.search(output)
    latency = _LATENCY.search(output)
    requests = _REQUESTS.search(output)
    if rps is None or latency is None or requests is None:
        raise BenchError("could not parse wrk's output:\n" + output)
    problems = []
    if (errors := _SOCKET_ERRORS.search(output)) is not None:
        problems.append(f"socket errors: {errors.group(1)}")
    if (non_2xx := _NON_2XX.search(output)) is not None:
        problems.append(f"non-2xx or 3xx responses: {non_2xx.group(1)}")
    return WrkReport(
        rps=float(rps.group(1)),
        latency_ms=float(latency.group(1)) * _UNIT_MS[latency.group(2)],
        requests=int(requests.group(1)),
        problems=problems,
    )


def check_hello(label: str, port: int, path: str) -> None:
    """One request before wrk: status 200, text/plain, the exact body."""
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        content_type = response.getheader("content-type", "")
    except (OSError, http.client.HTTPException) as exc:
        raise BenchError(f"{label}: GET {path} failed: {exc!r}") from exc
    finally:
        conn.close()
    if response.status != 200 or body != BODY or not content_type.startswith("text/plain"):
        raise BenchError(
            f"{label}: GET {path} answered {response.status}, content-type {content_type!r}, "
            f"body {body[:60]!r}"
        )


def run_wrk(
    label: str, port: int, path: str, seconds: int, pipelined: bool, settings: Settings
) -> str:
    argv = [
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--latency",
    ]
    if pipelined:
        argv += ["-s", str(PIPELINE_LUA)]
    argv.append(f"http://{LOCALHOST}:{port}{path}")
    if pipelined:
        argv += ["--", str(settings.depth)]
    with Child(f"wrk against {label}", argv, capture_stdout=True) as wrk:
        status, output = wrk.communicate(seconds + 30)
        if status != 0:
            raise wrk.failure("failed")
    return output


def measure(server: Server, settings: Settings, where: str = "") -> dict[str, Result]:
    """Start the server, check its answer, run wrk plain and pipelined; a Result per mode."""
    if server.name == "wsrs" and not settings.wsrs:
        return {mode: Result(NOT_BUILT, NOT_BUILT, NOT_BUILT) for mode in MODES}
    progress(f"wrk: {server.label}{where}")
    results: dict[str, Result] = {}
    try:
        with running_server(server.label, server.argv) as (srv, port):
            check_hello(server.label, port, server.path)
            for mode in MODES:
                pipelined = mode == "pipelined"
                if settings.warmup > 0:
                    run_wrk(server.label, port, server.path, settings.warmup, pipelined, settings)
                cpu = group_cpu_seconds(srv.pid)
                output = run_wrk(
                    server.label, port, server.path, settings.duration, pipelined, settings
                )
                cpu = group_cpu_seconds(srv.pid) - cpu
                try:
                    report = parse_wrk(output)
                except BenchError as exc:
                    raise BenchError(f"{server.label}: {exc}") from None
                cpu_us = cpu / report.requests * 1e6 if report.requests else None
                results[mode] = Result(
                    report.rps, report.latency_ms, cpu_us, flagged=bool(report.problems)
                )
                if report.problems:
                    problems = "; ".join(report.problems)
                    settings.notes.append(f"{server.label}, {mode}: {problems}")
                if not srv.alive():
                    raise srv.failure("exited during the run")
    except BenchError as exc:
        settings.notes.append(str(exc))
        note = failure_cell(exc, wsrs=server.name == "wsrs")
        for mode in MODES:
            results.setdefault(mode, Result(note, note, note))
    return results


@dataclass
class Row:
    """One server over the rounds: medians of req/s and latency per mode."""

    server: Server
    rps: dict[str, Samples] = field(default_factory=lambda: defaultdict(Samples))
    latency_ms: dict[str, Samples] = field(default_factory=lambda: defaultdict(Samples))
    cpu_us: dict[str, Samples] = field(default_factory=lambda: defaultdict(Samples))
    flagged: set[str] = field(default_factory=set)
    retry: bool = True

    def add(self, results: dict[str, Result]) -> None:
        for mode, result in results.items():
            self.rps[mode].add(result.rps)
            self.latency_ms[mode].add(result.latency_ms)
            self.cpu_us[mode].add(result.cpu_us)
            if result.flagged:
                self.flagged.add(mode)
        self.retry = worth_retrying(r.rps for r in results.values())

    def cells(self, mode: str) -> list[str]:
        rps = fmt_int(self.rps[mode].cell) + (" *" if mode in self.flagged else "")
        latency = self.latency_ms[mode].cell
        cpu = self.cpu_us[mode].cell
        return [
            rps,
            f"{latency:.2f} ms" if isinstance(latency, float) else fmt_int(latency),
            f"{cpu:.1f}" if isinstance(cpu, float) else fmt_int(cpu),
        ]


def print_results(rows: dict[str, Row], settings: Settings) -> None:
    many = settings.rounds > 1
    piped = f"req/s {TIMES}{settings.depth} pipelined"
    rounds = f"median of {settings.rounds} interleaved rounds, " if many else ""
    print_table(
        f"GET {PATH} under wrk -t{settings.threads} -c{settings.connections} "
        f"-d{settings.duration}s --latency ({rounds}after {settings.warmup} s warm-up); "
        "* = wrk reported errors (see notes); CPU = the server's user + system µs per request",
        ["server", "req/s", "avg latency", "CPU µs", piped, "avg latency", "CPU µs"]
        + (["spread"] if many else []),
        [
            [label, *row.cells("plain"), *row.cells("pipelined")]
            + ([fmt_spread(row.rps.values())] if many else [])
            for label, row in rows.items()
        ],
    )
    if many:
        print("spread = (max - min) / median of req/s over the rounds, largest of the row")
    ratio_rows = []
    for name in WSRS_COMPARED:
        wsrs = rows.get(name)
        for label, target in RATIOS:
            peer = rows.get(label)
            if wsrs is None or peer is None:
                continue
            ratio_rows.append(
                [
                    f"{name} / {label}",
                    *(fmt_ratio(wsrs.rps[m].cell, peer.rps[m].cell, target) for m in MODES),
                    f"≥ {target:.1f}{TIMES}",
                ]
            )
    if ratio_rows:
        print_table(
            "ratios of req/s, same run (✓/✗ against the target)",
            ["ratio", "plain", "pipelined", "target"],
            ratio_rows,
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s per wrk run")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 5, quick 2)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds (default 1)")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c (default 50)")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t (default 1)")
    parser.add_argument("--depth", type=int, default=16, help="pipelined requests per write")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every server this many times, interleaved, and print medians (default 1)",
    )
    names = sorted({s.name for s in SERVERS})
    parser.add_argument("--only", help=f"comma-separated servers: {','.join(names)}")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 2 if args.quick else 5
    args.only = args.only.split(",") if args.only else names
    for name in args.only:
        if name not in names:
            parser.error(f"unknown server {name!r} (choose from {', '.join(names)})")
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be in [1, 120] s and --warmup in [0, 30] s")
    if not 1 <= args.connections <= 10_000 or not 1 <= args.threads <= args.connections:
        parser.error("--connections must be in [1, 10000] and --threads in [1, connections]")
    if not 1 <= args.depth <= 1000:
        parser.error("--depth must be in [1, 1000]")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    return args


def wrk_version() -> str:
    try:
        result = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "wrk"
    return (result.stdout + result.stderr).split(" [")[0].strip() or "wrk"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if which("wrk") is None:
        print("wrk not found: run `make system-deps` (or apt-get install wrk)", file=sys.stderr)
        return 2
    settings = Settings(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        depth=args.depth,
        rounds=args.rounds,
        wsrs=wsrs_available(),
    )
    print(
        f"wsrs HTTP server benchmark: Python {platform.python_version()}, {wrk_version()}; "
        f"wsrs {'(built)' if settings.wsrs else '(not built yet)'}, "
        f"uvicorn {version_of('uvicorn')} + httptools {version_of('httptools')}, "
        f"aiohttp {version_of('aiohttp')}, granian {version_of('granian')}, "
        f"uvloop {version_of('uvloop')}, trio {version_of('trio')}"
    )
    rows = {server.label: Row(server) for server in SERVERS if server.name in args.only}
    for round_number in range(1, args.rounds + 1):
        for row in rows.values():
            if row.retry:
                where = f" (round {round_number} of {args.rounds})" if args.rounds > 1 else ""
                row.add(measure(row.server, settings, where))
    print_results(rows, settings)
    print_notes(settings.notes)
    return 0


if __name__ == "__main__":
    run_main(main)
