"""WebSocket round trips per second and memory per idle session: wsrs side by side with its peers.

Round trips: ONE connection, one binary message in flight (send, wait for the echo, repeat), for a
fixed duration per message size after a short warm-up. The client is the same for every server:
picows on uvloop in its own process (``benches._ws_client``), checking every echo. Each server
runs in its own process (and process group): wsrs, picows, websockets and aiohttp on plain asyncio
and on uvloop; wsrs and websockets' trio implementation on trio. Compression is off everywhere and
every server accepts messages up to ``MAX_MESSAGE_SIZE``.

Memory: the server's RSS (summed over its process group) after a warm-up with no session open,
then with ``--sessions`` idle sessions open (handshake done, nothing sent), each read after a short
settle; printed as KiB per session.

    python -m benches.roundtrip                 # full run, about 4-5 minutes with wsrs built
    python -m benches.roundtrip --quick         # smoke run, about a minute
    python -m benches.roundtrip --only wsrs,picows --loops uvloop --sizes 256,8KiB --skip-memory
    python -m benches.roundtrip --skip-memory --rounds 3    # medians on a busy machine
    python -m benches.roundtrip --skip-memory --one-cpu     # steady on a VM (see --help)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from benches._harness import (
    LOOPS,
    MAX_MESSAGE_SIZE,
    NOT_BUILT,
    TIMES,
    BenchError,
    Cell,
    Child,
    Samples,
    failure_cell,
    fmt_int,
    fmt_ratio,
    fmt_size,
    fmt_spread,
    group_rss_kib,
    parse_json_line,
    parse_size,
    print_notes,
    print_table,
    progress,
    python_module,
    raise_nofile_limit,
    run_main,
    running_server,
    stop_on_signals,
    version_of,
    worth_retrying,
    wsrs_argv,
    wsrs_available,
)

DEFAULT_SIZES: Final = (256, 8 * 1024, 256 * 1024)
PATH: Final = "/echo"


@dataclass(frozen=True)
class Server:
    """One WebSocket echo server implementation, startable on some of the loops."""

    name: str
    loops: tuple[str, ...]
    module: str | None  # benches.servers.<module>; None for wsrs (its own CLI)

    def argv(self, port: int, loop: str) -> list[str]:
        if self.module is None:
            return wsrs_argv(port, loop)
        return python_module(f"benches.servers.{self.module}", "--port", str(port), "--loop", loop)

    def label(self, loop: str) -> str:
        return f"{self.name} ({loop})"


SERVERS: Final = (
    Server("wsrs", LOOPS, None),
    Server("wsrs-handler", LOOPS, "wsrs_handler_echo"),
    Server("picows", ("asyncio", "uvloop"), "picows_echo"),
    Server("websockets", LOOPS, "websockets_echo"),
    Server("aiohttp", ("asyncio", "uvloop"), "aiohttp_server"),
)
#: Memory rows: (server, loop). websockets on trio is the comparator for wsrs on trio.
MEMORY_ROWS: Final = (
    ("wsrs", "uvloop"),
    ("picows", "uvloop"),
    ("websockets", "uvloop"),
    ("aiohttp", "uvloop"),
    ("wsrs", "trio"),
    ("websockets", "trio"),
)
#: wsrs on ``loop`` against ``peer`` on the same loop: (peer, loop, minimum target or None).
RATIOS: Final = (
    ("websockets", "asyncio", 1.5),
    ("picows", "asyncio", None),
    ("aiohttp", "asyncio", None),
    ("websockets", "uvloop", 1.5),
    ("picows", "uvloop", 1.0),
    ("aiohttp", "uvloop", None),
    ("websockets", "trio", 2.0),
)
MEMORY_TARGET_KIB: Final = 16.0
#: The wsrs rows: the demo server (``async for`` / ``send``) and the message-handler fast path.
WSRS_ROWS: Final = ("wsrs", "wsrs-handler")


@dataclass
class Row:
    server: Server
    loop: str
    cells: dict[int, Samples] = field(default_factory=lambda: defaultdict(Samples))
    cpu_us: dict[int, Samples] = field(default_factory=lambda: defaultdict(Samples))
    retry: bool = True

    @property
    def label(self) -> str:
        return self.server.label(self.loop)


@dataclass
class Settings:
    sizes: list[int]
    warmup: float
    duration: float
    sessions: int
    settle: float
    rounds: int
    wsrs: bool
    notes: list[str] = field(default_factory=list)


def measure_round_trips(
    server: Server, loop: str, settings: Settings, where: str = ""
) -> tuple[dict[int, Cell], dict[int, Cell]]:
    """Start the server, run the client over every size.

    Returns round trips/s and server CPU µs per round trip (or a note) per size.
    """
    if server.name in WSRS_ROWS and not settings.wsrs:
        return dict.fromkeys(settings.sizes, NOT_BUILT), dict.fromkeys(settings.sizes, NOT_BUILT)
    label = server.label(loop)
    progress(f"round trips: {label}{where}")
    cells: dict[int, Cell] = {}
    cpu: dict[int, Cell] = {}
    try:
        with running_server(label, lambda port: server.argv(port, loop)) as (srv, port):
            argv = python_module(
                "benches._ws_client",
                "rt",
                f"ws://127.0.0.1:{port}{PATH}",
                "--sizes",
                ",".join(map(str, settings.sizes)),
                "--warmup",
                str(settings.warmup),
                "--duration",
                str(settings.duration),
                "--server-pgid",
                str(srv.pid),
            )
            budget = len(settings.sizes) * (settings.warmup + settings.duration + 25) + 20
            with Child(f"client for {label}", argv, capture_stdout=True) as client:
                _, output = client.communicate(budget)
                for line in output.splitlines():
                    result = parse_json_line(client, line)
                    size = result["size"]
                    if "error" in result:
                        cells[size] = cpu[size] = "error"
                        settings.notes.append(f"{label}, {fmt_size(size)}: {result['error']}")
                    else:
                        cells[size] = float(result["rate"])
                        cpu[size] = float(result["server_cpu_us"])
                if not srv.alive():
                    settings.notes.append(f"{label}: server exited during the run")
                missing = [s for s in settings.sizes if s not in cells]
                if missing:
                    raise client.failure(f"no result for {', '.join(map(fmt_size, missing))}")
    except BenchError as exc:
        settings.notes.append(str(exc))
        short = failure_cell(exc, wsrs=server.name in WSRS_ROWS)
        return (
            {size: cells.get(size, short) for size in settings.sizes},
            {size: cpu.get(size, short) for size in settings.sizes},
        )
    return cells, cpu


@dataclass
class Memory:
    label: str
    baseline_kib: Cell = None
    loaded_kib: Cell = None
    per_session_kib: Cell = None
    remark: str = ""


def measure_memory(server: Server, loop: str, settings: Settings) -> Memory:
    label = server.label(loop)
    memory = Memory(label)
    if server.name in WSRS_ROWS and not settings.wsrs:
        memory.baseline_kib = memory.loaded_kib = memory.per_session_kib = NOT_BUILT
        return memory
    progress(f"memory: {label}, {settings.sessions} idle sessions")
    n = settings.sessions
    try:
        with running_server(label, lambda port: server.argv(port, loop)) as (srv, port):
            argv = python_module(
                "benches._ws_client",
                "idle",
                f"ws://127.0.0.1:{port}{PATH}",
                "--sessions",
                str(n),
                "--warmup",
                str(min(100, n)),
            )
            step_timeout = max(60.0, n / 50) + 10
            with Child(f"idle client for {label}", argv, capture_stdout=True, stdin_pipe=True) as c:
                parse_json_line(c, c.read_line(step_timeout))  # {"warm": ...}
                time.sleep(settings.settle)
                memory.baseline_kib = float(group_rss_kib(srv.pid))
                c.send("open")
                opened = parse_json_line(c, c.read_line(step_timeout))
                time.sleep(settings.settle)
                memory.loaded_kib = float(group_rss_kib(srv.pid))
                c.send("close")
                dropped = parse_json_line(c, c.read_line(step_timeout))["dropped"]
                c.wait(15)
    except BenchError as exc:
        settings.notes.append(str(exc))
        memory.per_session_kib = failure_cell(exc, wsrs=server.name in WSRS_ROWS)
        return memory
    sessions = opened["opened"] - dropped
    if sessions <= 0:
        memory.per_session_kib = "error"
        settings.notes.append(f"{label}: no session stayed open ({opened.get('first_failure')})")
        return memory
    assert isinstance(memory.loaded_kib, float)
    assert isinstance(memory.baseline_kib, float)
    memory.per_session_kib = (memory.loaded_kib - memory.baseline_kib) / sessions
    if sessions != n:
        memory.remark = f"{sessions} of {n} sessions"
        settings.notes.append(
            f"{label}: {opened['opened']} opened, {opened['failed']} failed, {dropped} dropped "
            f"before the RSS reading (first failure: {opened.get('first_failure')})"
        )
    return memory


def print_round_trips(rows: dict[tuple[str, str], Row], settings: Settings) -> None:
    many = settings.rounds > 1
    headers = ["round trips/s", *(fmt_size(s) for s in settings.sizes)]
    headers += ["spread"] if many else []
    table = []
    for row in rows.values():
        cells = [row.cells[size] for size in settings.sizes]
        table.append(
            [row.label, *(fmt_int(c.cell) for c in cells)] + ([fmt_spread(cells)] if many else [])
        )
    rounds = f"median of {settings.rounds} interleaved rounds, " if many else ""
    print_table(
        "WebSocket round trips per second (one connection, one binary message in flight, "
        f"{rounds}{settings.duration:g} s per cell after {settings.warmup:g} s warm-up)",
        headers,
        table,
    )
    if many:
        print("spread = (max - min) / median over the rounds, largest of the row")

    ratio_rows = []
    sizes = settings.sizes
    for name in WSRS_ROWS:
        for peer, loop, target in RATIOS:
            wsrs = rows.get((name, loop))
            other = rows.get((peer, loop))
            if wsrs is None or other is None:
                continue
            ratios = [fmt_ratio(wsrs.cells[n].cell, other.cells[n].cell, target) for n in sizes]
            goal = f"≥ {target:.1f}{TIMES}" if target is not None else "—"
            ratio_rows.append([f"{name} / {peer} ({loop})", *ratios, goal])
    if ratio_rows:
        print_table(
            "ratios, same run (✓/✗ against the target)",
            ["ratio", *(fmt_size(s) for s in settings.sizes), "target"],
            ratio_rows,
        )

    def micros(value: Cell) -> str:
        return f"{value:,.1f}" if isinstance(value, float) else fmt_int(value)

    print_table(
        "server CPU time per round trip, µs (user + system, over the timed run; lower is "
        "better, and less sensitive to a busy machine than round trips/s)",
        ["server CPU µs", *(fmt_size(s) for s in sizes)],
        [[row.label, *(micros(row.cpu_us[n].cell) for n in sizes)] for row in rows.values()],
    )
    cpu_rows = []
    for name in WSRS_ROWS:
        for peer, loop, _ in RATIOS:
            wsrs = rows.get((name, loop))
            other = rows.get((peer, loop))
            if wsrs is not None and other is not None:
                ratios = [fmt_ratio(other.cpu_us[n].cell, wsrs.cpu_us[n].cell) for n in sizes]
                cpu_rows.append([f"{peer} / {name} ({loop})", *ratios])
    if cpu_rows:
        print_table(
            "CPU per round trip, peer / wsrs (above 1: wsrs spends less CPU per round trip)",
            ["ratio", *(fmt_size(s) for s in sizes)],
            cpu_rows,
        )


def print_memory(memory: Sequence[Memory], settings: Settings) -> None:
    def mib(value: Cell) -> str:
        return f"{value / 1024:,.1f}" if isinstance(value, float) else fmt_int(value)

    def kib(value: Cell) -> str:
        return f"{value:,.1f}" if isinstance(value, float) else fmt_int(value)

    remarks = any(m.remark for m in memory)
    rows = [
        [m.label, mib(m.baseline_kib), mib(m.loaded_kib), kib(m.per_session_kib)]
        + ([m.remark] if remarks else [])
        for m in memory
    ]
    print_table(
        f"server memory per idle WebSocket session ({settings.sessions} sessions, RSS read "
        f"{settings.settle:g} s after warm-up / after opening)",
        ["server", "RSS idle MiB", f"RSS +{settings.sessions} MiB", "KiB/session"]
        + (["remark"] if remarks else []),
        rows,
    )
    print()
    for m in memory:
        if not m.label.startswith("wsrs "):
            continue
        value = m.per_session_kib
        verdict = (
            ("✓" if value <= MEMORY_TARGET_KIB else "✗") if isinstance(value, float) else "n/a"
        )
        print(f"target: {m.label} ≤ {MEMORY_TARGET_KIB:g} KiB per idle session: {verdict}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: short cells")
    parser.add_argument("--duration", type=float, help="seconds per cell (default 5, quick 1.5)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds (default 1, quick 0.3)")
    parser.add_argument("--only", help="comma-separated servers: wsrs,picows,websockets,aiohttp")
    parser.add_argument("--loops", default=",".join(LOOPS), help="comma-separated loops")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated message sizes, e.g. 256,8KiB,256KiB",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every round-trip cell this many times, servers interleaved, and print the "
        "median (default 1; use 3 or more on a busy machine)",
    )
    parser.add_argument(
        "--one-cpu",
        action="store_true",
        help="run the servers and the client on one CPU (the first this process may use): on "
        "virtual machines where waking a process on another CPU takes 100 µs or more, that is "
        "what gives steady numbers; round trips/s then count both sides' CPU time, and the "
        "server CPU columns are the comparable ones",
    )
    parser.add_argument("--sessions", type=int, help="idle sessions (default 5000, quick 2000)")
    parser.add_argument("--skip-memory", action="store_true", help="skip the idle-session test")
    parser.add_argument("--skip-roundtrip", action="store_true", help="skip the round-trip test")
    args = parser.parse_args(argv)

    names = [s.name for s in SERVERS]
    args.only = args.only.split(",") if args.only else names
    args.loops = args.loops.split(",")
    args.sizes = [parse_size(s) for s in args.sizes.split(",")]
    for name in args.only:
        if name not in names:
            parser.error(f"unknown server {name!r} (choose from {', '.join(names)})")
    for loop in args.loops:
        if loop not in LOOPS:
            parser.error(f"unknown loop {loop!r} (choose from {', '.join(LOOPS)})")
    for size in args.sizes:
        if not 8 <= size <= MAX_MESSAGE_SIZE:
            parser.error(f"sizes must be between 8 B and {fmt_size(MAX_MESSAGE_SIZE)}")
    if args.duration is None:
        args.duration = 1.5 if args.quick else 5.0
    if args.warmup is None:
        args.warmup = 0.3 if args.quick else 1.0
    if args.sessions is None:
        args.sessions = 2000 if args.quick else 5000
    if not 0 < args.duration <= 120 or not 0 <= args.warmup <= 60:
        parser.error("--duration must be in (0, 120] s and --warmup in [0, 60] s")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if not 1 <= args.sessions <= 50_000:
        parser.error("--sessions must be between 1 and 50000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = ""
    if args.one_cpu:
        first = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {first})  # inherited by every server and client started below
        pinned = f"; every process on CPU {first} (--one-cpu)"
    stop_on_signals()
    limit = raise_nofile_limit()  # inherited by every server and client started below
    settings = Settings(
        sizes=args.sizes,
        warmup=args.warmup,
        duration=args.duration,
        sessions=args.sessions,
        settle=1.0 if args.quick else 2.0,
        rounds=args.rounds,
        wsrs=wsrs_available(),
    )
    if args.sessions + 100 > limit and not args.skip_memory:
        print(f"RLIMIT_NOFILE is {limit}: too low for {args.sessions} sessions", file=sys.stderr)
        return 2

    print(
        f"wsrs round-trip benchmark: Python {platform.python_version()}, client picows "
        f"{version_of('picows')} on uvloop {version_of('uvloop')}; servers: wsrs "
        f"{'(built)' if settings.wsrs else '(not built yet)'}, picows {version_of('picows')}, "
        f"websockets {version_of('websockets')}, aiohttp {version_of('aiohttp')}, "
        f"trio {version_of('trio')}{pinned}"
    )
    servers = [s for s in SERVERS if s.name in args.only]

    if not args.skip_roundtrip:
        rows = {
            (server.name, loop): Row(server, loop)
            for loop in args.loops
            for server in servers
            if loop in server.loops
        }
        for round_number in range(1, args.rounds + 1):
            for row in rows.values():
                if row.retry:
                    where = f" (round {round_number} of {args.rounds})" if args.rounds > 1 else ""
                    cells, cpu = measure_round_trips(row.server, row.loop, settings, where)
                    for size in settings.sizes:
                        row.cells[size].add(cells[size])
                        row.cpu_us[size].add(cpu[size])
                    row.retry = worth_retrying(cells.values())
        print_round_trips(rows, settings)

    if not args.skip_memory:
        by_name = {s.name: s for s in servers}
        memory = [
            measure_memory(by_name[name], loop, settings)
            for name, loop in MEMORY_ROWS
            if name in by_name and loop in args.loops
        ]
        if memory:
            print_memory(memory, settings)

    print_notes(settings.notes)
    return 0


if __name__ == "__main__":
    run_main(main)
