"""ASGI servers side by side: wsrs against uvicorn (httptools and h11), hypercorn and granian.

Every server serves the same apps (``benches.servers.asgi_apps``) from its own command line, one
worker, uvloop, access log off, in its own process group on 127.0.0.1:

- HTTP under ``wrk -t1 -c50``, plain and pipelined (16 requests per write): hello world from a
  raw ASGI app and from Starlette's ``PlainTextResponse``, a 10 KB GET, and a POST echo of 1 KB.
  Each answer is checked once before wrk runs. Cells are medians over the rounds (interleaved);
  CPU is the server's user + system µs per request over its process group.
- A Starlette WebSocket echo, 256 B and 64 KiB round trips over one connection (the picows
  client of ``benches._ws_client``), against uvicorn and granian.
- ``wsrs serve --workers 2`` against ``--workers 1`` on the raw hello world.

wrk and the servers share the machine's cores, so only ratios from one run mean much.

    python -m benches.asgi_server --rounds 3
    python -m benches.asgi_server --quick --only wsrs,granian
"""

from __future__ import annotations

import argparse
import functools
import http.client
import platform
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from benches._harness import (
    LOCALHOST,
    TIMES,
    BenchError,
    Cell,
    Child,
    Samples,
    fmt_int,
    fmt_ratio,
    group_cpu_seconds,
    parse_json_line,
    print_notes,
    print_table,
    progress,
    python_module,
    run_main,
    running_server,
    stop_on_signals,
    version_of,
    which,
)
from benches.http_server import parse_wrk

LUA: Final = Path(__file__).resolve().parent / "requests.lua"
APPS: Final = {
    "raw": "benches.servers.asgi_apps:raw_app",
    "starlette": "benches.servers.asgi_apps:starlette_app",
}
MODES: Final = ("plain", "pipelined")
Argv = Callable[[int, str], list[str]]


@dataclass(frozen=True)
class Scenario:
    label: str
    app: str
    path: str
    post_bytes: int = 0


SCENARIOS: Final = (
    Scenario("hello, raw ASGI", "raw", "/hello"),
    Scenario("hello, Starlette", "starlette", "/hello"),
    Scenario("10 KB GET", "raw", "/10k"),
    Scenario("POST echo 1 KB", "raw", "/echo", 1024),
)


def _wsrs(*extra: str) -> Argv:
    return lambda port, app: python_module(
        "wsrs", "serve", APPS[app], "--port", str(port), "--backend", "uvloop",
        "--log-level", "warning", "--no-access-log", *extra,
    )  # fmt: skip


def _uvicorn(http: str) -> Argv:
    return lambda port, app: python_module(
        "uvicorn", APPS[app], "--port", str(port), "--http", http, "--loop", "uvloop",
        "--no-access-log", "--log-level", "warning",
    )  # fmt: skip


def _hypercorn(port: int, app: str) -> list[str]:
    return python_module(
        "hypercorn", APPS[app], "--bind", f"{LOCALHOST}:{port}", "--worker-class", "uvloop",
        "--log-level", "warning",
    )  # fmt: skip


def _granian(port: int, app: str) -> list[str]:
    return python_module(
        "granian", "--interface", "asgi", "--host", LOCALHOST, "--port", str(port),
        "--workers", "1", "--runtime-threads", "1", "--blocking-threads", "1", "--loop", "uvloop",
        "--http", "1", "--no-access-log", "--log-level", "warning", APPS[app],
    )  # fmt: skip


SERVERS: Final[dict[str, Argv]] = {
    "wsrs": _wsrs(),
    "uvicorn (httptools)": _uvicorn("httptools"),
    "uvicorn (h11)": _uvicorn("h11"),
    "hypercorn": _hypercorn,
    "granian": _granian,
}
WORKERS: Final[dict[str, Argv]] = {
    "wsrs --workers 1": _wsrs(),
    "wsrs --workers 2": _wsrs("--workers", "2"),
}
WS_SERVERS: Final = ("wsrs", "uvicorn (httptools)", "granian")
WS_SIZES: Final = (256, 65536)
#: (peer, target): wsrs's req/s over the peer's must be at least the target.
TARGETS: Final[tuple[tuple[str, float | None], ...]] = (
    ("granian", 1.0),
    ("uvicorn (httptools)", 1.5),
    ("uvicorn (h11)", None),
    ("hypercorn", None),
)


@dataclass
class Settings:
    duration: int
    warmup: int
    rounds: int
    depth: int
    notes: list[str] = field(default_factory=list)


Key = tuple[str, str, str]  # server, scenario, mode


@dataclass
class Results:
    rps: dict[Key, Samples] = field(default_factory=lambda: defaultdict(Samples))
    cpu: dict[Key, Samples] = field(default_factory=lambda: defaultdict(Samples))


def check(label: str, port: int, scenario: Scenario) -> None:
    """One request before wrk: status 200 and the body the scenario expects."""
    body = b"x" * scenario.post_bytes
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=5)
    try:
        if scenario.post_bytes:
            conn.request("POST", scenario.path, body=body)
        else:
            conn.request("GET", scenario.path)
        response = conn.getresponse()
        received = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise BenchError(f"{label}: {scenario.path} failed: {exc!r}") from exc
    finally:
        conn.close()
    expected = {"/hello": 13, "/10k": 10240, "/echo": scenario.post_bytes}[scenario.path]
    if response.status != 200 or len(received) != expected:
        raise BenchError(f"{label}: {scenario.path} gave {response.status}, {len(received)} B")


def wrk(label: str, port: int, scenario: Scenario, seconds: int, depth: int) -> str:
    argv = ["wrk", "-t1", "-c50", f"-d{seconds}s", "--latency", "-s", str(LUA)]
    argv += [f"http://{LOCALHOST}:{port}{scenario.path}", "--", str(depth)]
    argv += [str(scenario.post_bytes)]
    with Child(f"wrk against {label}", argv, capture_stdout=True) as client:
        status, output = client.communicate(seconds + 30)
        if status != 0:
            raise client.failure("failed")
    return output


def _on_port(argv: Argv, app: str, port: int) -> list[str]:
    return argv(port, app)


def measure_http(
    label: str, argv: Argv, scenarios: Sequence[Scenario], results: Results, settings: Settings
) -> None:
    """Serve each app once and run its scenarios under wrk, plain and pipelined."""
    for app in dict.fromkeys(s.app for s in scenarios):
        progress(f"wrk: {label}, {app} app")
        try:
            with running_server(label, functools.partial(_on_port, argv, app)) as (server, port):
                for scenario in (s for s in scenarios if s.app == app):
                    check(label, port, scenario)
                    for mode in MODES:
                        depth = settings.depth if mode == "pipelined" else 1
                        if settings.warmup:
                            wrk(label, port, scenario, settings.warmup, depth)
                        before = group_cpu_seconds(server.pid)
                        report = parse_wrk(wrk(label, port, scenario, settings.duration, depth))
                        cpu = group_cpu_seconds(server.pid) - before
                        key = (label, scenario.label, mode)
                        results.rps[key].add(report.rps)
                        results.cpu[key].add(cpu / max(report.requests, 1) * 1e6)
                        if report.problems:
                            problems = "; ".join(report.problems)
                            settings.notes.append(f"{label}, {scenario.label}, {mode}: {problems}")
        except BenchError as exc:
            settings.notes.append(str(exc))


def measure_ws(label: str, argv: Argv, results: Results, settings: Settings) -> None:
    progress(f"WebSocket echo: {label}")
    try:
        with running_server(label, lambda port: argv(port, "starlette")) as (server, port):
            client_argv = python_module(
                "benches._ws_client", "rt", f"ws://{LOCALHOST}:{port}/ws",
                "--sizes", ",".join(map(str, WS_SIZES)), "--warmup", str(settings.warmup),
                "--duration", str(settings.duration), "--server-pgid", str(server.pid),
            )  # fmt: skip
            budget = len(WS_SIZES) * (settings.warmup + settings.duration + 25) + 20
            with Child(f"client for {label}", client_argv, capture_stdout=True) as client:
                _, output = client.communicate(budget)
                for line in output.splitlines():
                    result = parse_json_line(client, line)
                    key = (label, f"ws {result['size']}", "plain")
                    if "error" in result:
                        settings.notes.append(f"{label}, {result['size']} B: {result['error']}")
                        continue
                    results.rps[key].add(float(result["rate"]))
                    results.cpu[key].add(float(result["server_cpu_us"]))
    except BenchError as exc:
        settings.notes.append(str(exc))


def cell(samples: Samples, digits: int = 0) -> str:
    value: Cell = samples.cell
    return f"{value:.{digits}f}" if digits and isinstance(value, float) else fmt_int(value)


def print_http(results: Results, servers: Sequence[str], settings: Settings) -> None:
    rounds = f"medians of {settings.rounds} rounds, " if settings.rounds > 1 else ""
    headers = ["scenario", "server", "req/s", "CPU µs/req", f"req/s {TIMES}{settings.depth}"]
    headers.append("CPU µs/req")
    rows = []
    for scenario in SCENARIOS:
        for server in servers:
            cells = []
            for mode in MODES:
                key = (server, scenario.label, mode)
                cells += [cell(results.rps[key]), cell(results.cpu[key], 1)]
            rows.append([scenario.label, server, *cells])
    print_table(
        f"HTTP under wrk -t1 -c50 -d{settings.duration}s ({rounds}plain and "
        f"{settings.depth} pipelined per write); CPU = server user + system per request",
        headers,
        rows,
    )
    ratio_rows = []
    for scenario in SCENARIOS:
        for peer, target in TARGETS:
            if peer not in servers:
                continue
            row = [scenario.label, f"wsrs / {peer}"]
            for mode in MODES:
                ours = results.rps[("wsrs", scenario.label, mode)].cell
                theirs = results.rps[(peer, scenario.label, mode)].cell
                ours_cpu = results.cpu[("wsrs", scenario.label, mode)].cell
                their_cpu = results.cpu[(peer, scenario.label, mode)].cell
                row += [fmt_ratio(ours, theirs, target), fmt_ratio(their_cpu, ours_cpu)]
            row.append(f"≥ {target:.1f}{TIMES}" if target else "")
            ratio_rows.append(row)
    print_table(
        "ratios, same run: req/s (✓/✗ against the target) and CPU per request (theirs / ours)",
        RATIO_HEADERS,
        ratio_rows,
    )


RATIO_HEADERS: Final = ["scenario", "ratio", "req/s plain", "CPU plain", "req/s pipelined"]
RATIO_HEADERS.extend(["CPU pipelined", "target"])


def print_ws(results: Results, settings: Settings) -> None:
    rows = []
    for server in WS_SERVERS:
        row = [server]
        for size in WS_SIZES:
            key = (server, f"ws {size}", "plain")
            row += [cell(results.rps[key]), cell(results.cpu[key], 1)]
        rows.append(row)
    for peer, target in (("uvicorn (httptools)", 1.5), ("granian", None)):
        row = [f"wsrs / {peer}"]
        for size in WS_SIZES:
            ours = results.rps[("wsrs", f"ws {size}", "plain")].cell
            theirs = results.rps[(peer, f"ws {size}", "plain")].cell
            row += [fmt_ratio(ours, theirs, target), ""]
        rows.append(row)
    print_table(
        "Starlette WebSocket echo, one connection, one message in flight (round trips/s); "
        f"target wsrs ≥ 1.5{TIMES} uvicorn",
        ["server", "256 B rt/s", "CPU µs/rt", "64 KiB rt/s", "CPU µs/rt"],
        rows,
    )


def print_workers(results: Results, settings: Settings) -> None:
    rows = []
    for label in WORKERS:
        row = [label]
        for mode in MODES:
            key = (label, SCENARIOS[0].label, mode)
            row += [cell(results.rps[key]), cell(results.cpu[key], 1)]
        rows.append(row)
    one, two = (results.rps[(label, SCENARIOS[0].label, "plain")].cell for label in WORKERS)
    rows.append(["2 / 1", fmt_ratio(two, one), "", "", ""])
    print_table(
        "wsrs --workers 2 against 1, raw ASGI hello (2 cores shared with wrk)",
        ["server", "req/s", "CPU µs/req", f"req/s {TIMES}{settings.depth}", "CPU µs/req"],
        rows,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 s runs, one round")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up seconds (default 1)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (default 1)")
    parser.add_argument("--depth", type=int, default=16, help="pipelined requests per write")
    parser.add_argument("--only", help=f"comma-separated servers: {','.join(SERVERS)}")
    parser.add_argument("--skip", default="", help="comma-separated parts: http,ws,workers")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds = 2, 1
    args.only = args.only.split(",") if args.only else list(SERVERS)
    unknown = [name for name in args.only if name not in SERVERS]
    if unknown:
        parser.error(f"unknown servers: {', '.join(unknown)}")
    if "wsrs" not in args.only:
        args.only.insert(0, "wsrs")
    args.skip = set(filter(None, args.skip.split(",")))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if which("wrk") is None:
        print("wrk not found: run `make system-deps` (or apt-get install wrk)", file=sys.stderr)
        return 2
    settings = Settings(args.duration, args.warmup, args.rounds, args.depth)
    print(
        f"ASGI servers: Python {platform.python_version()}, wsrs {version_of('wsrs')}, "
        f"uvicorn {version_of('uvicorn')} (httptools {version_of('httptools')}, "
        f"h11 {version_of('h11')}), hypercorn {version_of('hypercorn')}, "
        f"granian {version_of('granian')}, starlette {version_of('starlette')}, "
        f"uvloop {version_of('uvloop')}"
    )
    results = Results()
    for _ in range(args.rounds):
        if "http" not in args.skip:
            for label in args.only:
                measure_http(label, SERVERS[label], SCENARIOS, results, settings)
        if "ws" not in args.skip:
            for label in WS_SERVERS:
                if label in args.only:
                    measure_ws(label, SERVERS[label], results, settings)
        if "workers" not in args.skip:
            for label, workers_argv in WORKERS.items():
                measure_http(label, workers_argv, SCENARIOS[:1], results, settings)
    if "http" not in args.skip:
        print_http(results, args.only, settings)
    if "ws" not in args.skip:
        print_ws(results, settings)
    if "workers" not in args.skip:
        print_workers(results, settings)
    print_notes(settings.notes)
    return 0


if __name__ == "__main__":
    run_main(main)
