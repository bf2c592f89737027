"""permessage-deflate: memory per idle compressed session and compressed round trips, wsrs side
by side with websockets and aiohttp, every server in its own process on uvloop.

Round trips: ONE connection, one message in flight, the same websockets client (compression on,
its defaults) for every server: a 1 KiB JSON text and a 1 MiB text, each server at its own
default compression settings. Then small (64-byte) messages between a wsrs client and a wsrs
server, compression off against compression negotiated but skipped by ``Deflate.min_size``.

Memory: the server's RSS after a warm-up, then with ``--sessions`` sessions open that each
exchanged two compressed 1 KiB JSON echoes and went idle, per session; at each server's defaults
and at window 15 (see ``benches.servers.deflate_echo``).

    python -m benches.deflate            # about 3 minutes
    python -m benches.deflate --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from benches._harness import (
    TIMES,
    BenchError,
    Cell,
    Child,
    Samples,
    fmt_int,
    fmt_ratio,
    group_rss_kib,
    parse_json_line,
    print_notes,
    print_table,
    progress,
    python_module,
    raise_nofile_limit,
    run_main,
    running_server,
    stop_on_signals,
    version_of,
)

PATH: Final = "/echo"
IMPLS: Final = ("wsrs", "websockets", "aiohttp")
MESSAGES: Final = (("json", "1 KiB JSON"), ("text1m", "1 MiB text"))
ROUND_TRIP_TARGET: Final = 1.5
MEMORY_RATIO_TARGET: Final = 0.75
MEMORY_TARGET_KIB: Final = 48.0


def server_argv(impl: str, settings: str) -> Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return python_module(
            "benches.servers.deflate_echo", "--impl", impl, "--settings", settings,
            "--port", str(port), "--loop", "uvloop",
        )  # fmt: skip

    return argv


@dataclass
class Run:
    warmup: float
    duration: float
    sessions: int
    settle: float
    rounds: int
    notes: list[str] = field(default_factory=list)


def round_trips(
    impl: str, settings: str, message: str, run: Run, client: Sequence[str] = ()
) -> tuple[Cell, Cell, Cell]:
    """Round trips/s, and server and client CPU µs per round trip, for one server and one
    message."""
    label = f"{impl} ({settings}, {message})"
    progress(f"round trips: {label}")
    try:
        with running_server(label, server_argv(impl, settings)) as (srv, port):
            argv = python_module(
                "benches._deflate_client", "rt", f"ws://127.0.0.1:{port}{PATH}",
                "--message", message, "--warmup", str(run.warmup),
                "--duration", str(run.duration), "--server-pgid", str(srv.pid), *client,
            )  # fmt: skip
            with Child(f"client for {label}", argv, capture_stdout=True) as child:
                _, output = child.communicate(run.warmup + run.duration + 60)
                result = parse_json_line(child, output.strip().splitlines()[-1])
                rate, server_cpu = float(result["rate"]), float(result["server_cpu_us"])
                return rate, server_cpu, float(result["client_cpu_us"])
    except (BenchError, IndexError) as exc:
        run.notes.append(f"{label}: {exc}")
        return "error", "error", "error"


def idle_memory(impl: str, settings: str, run: Run, echoes: int = 2) -> tuple[Cell, str]:
    """KiB of server RSS per idle session after `echoes` compressed 1 KiB echoes each."""
    label = f"{impl} ({settings}, {echoes} echoes)"
    sessions_wanted = run.sessions if echoes == 2 else run.sessions // 4
    progress(f"memory: {label}, {sessions_wanted} sessions")
    try:
        with running_server(label, server_argv(impl, settings)) as (srv, port):
            argv = python_module(
                "benches._deflate_client", "idle", f"ws://127.0.0.1:{port}{PATH}",
                "--sessions", str(sessions_wanted), "--echoes", str(echoes),
            )  # fmt: skip
            timeout = 60 + sessions_wanted * echoes / 20
            with Child(f"idle client for {label}", argv, capture_stdout=True, stdin_pipe=True) as c:
                parse_json_line(c, c.read_line(timeout))
                time.sleep(run.settle)
                baseline = group_rss_kib(srv.pid)
                c.send("open")
                opened = parse_json_line(c, c.read_line(timeout))
                time.sleep(run.settle)
                loaded = group_rss_kib(srv.pid)
                c.send("close")
                dropped = parse_json_line(c, c.read_line(timeout))["dropped"]
                c.wait(30)
    except BenchError as exc:
        run.notes.append(f"{label}: {exc}")
        return "error", ""
    sessions = opened["opened"] - dropped
    remark = f"{sessions} sessions"
    if sessions != sessions_wanted or opened["compressed"] != opened["opened"]:
        remark = f"{sessions} of {sessions_wanted} open, {opened['compressed']} compressed"
        run.notes.append(f"{label}: {opened}")
    if sessions <= 0:
        return "error", remark
    return (loaded - baseline) / sessions, remark


def kib(value: Cell) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else fmt_int(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short cells, 300 sessions")
    parser.add_argument("--rounds", type=int, default=1, help="median of this many rounds")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-round-trips", action="store_true")
    args = parser.parse_args()
    stop_on_signals()
    raise_nofile_limit()
    run = Run(
        warmup=0.5 if args.quick else 1.0,
        duration=2.0 if args.quick else 5.0,
        sessions=300 if args.quick else 2000,
        settle=1.0 if args.quick else 2.0,
        rounds=args.rounds,
    )
    versions = ", ".join(f"{name} {version_of(name)}" for name in ("websockets", "aiohttp"))
    print(f"python {sys.version.split()[0]}, {versions}, uvloop {version_of('uvloop')}")

    if not args.skip_round_trips:
        rates: dict[tuple[str, str], Samples] = {}
        cpus: dict[tuple[str, str], Samples] = {}
        for _ in range(run.rounds):
            for impl in IMPLS:
                for message, _title in MESSAGES:
                    rate, cpu, _client_cpu = round_trips(impl, "default", message, run)
                    rates.setdefault((impl, message), Samples()).add(rate)
                    cpus.setdefault((impl, message), Samples()).add(cpu)
        titles = [title for _, title in MESSAGES]
        print_table(
            "compressed echo round trips/s (one connection, websockets client with compression "
            f"at its defaults, each server at its defaults, uvloop, {run.duration:g} s per cell)",
            ["server", *titles, *(f"CPU µs, {t}" for t in titles)],
            [
                [impl, *(fmt_int(rates[impl, m].cell) for m, _ in MESSAGES),
                 *(kib(cpus[impl, m].cell) for m, _ in MESSAGES)]
                for impl in IMPLS
            ],
        )  # fmt: skip
        print_table(
            "ratios, same run (✓/✗ against the target)",
            ["ratio", *titles, "target"],
            [
                [f"wsrs / {peer}",
                 *(fmt_ratio(rates["wsrs", m].cell, rates[peer, m].cell, ROUND_TRIP_TARGET)
                   for m, _ in MESSAGES), f"≥ {ROUND_TRIP_TARGET:.1f}{TIMES}"]
                for peer in ("websockets", "aiohttp")
            ],
        )  # fmt: skip
        small: dict[str, tuple[Samples, Samples, Samples]] = {}
        for _ in range(run.rounds):
            for compression in ("off", "on"):
                settings = "off" if compression == "off" else "default"
                client = ("--client", "wsrs", "--compression", compression)
                measured = round_trips("wsrs", settings, "small", run, client)
                samples = small.setdefault(compression, (Samples(), Samples(), Samples()))
                for sample, value in zip(samples, measured, strict=True):
                    sample.add(value)
        print_table(
            "64-byte text round trips, wsrs client and server: compression off, and "
            "negotiated but skipped by min_size (128 B); CPU µs per round trip is the steadier "
            "figure on a loaded machine",
            ["wsrs", "round trips/s", "server CPU µs", "client CPU µs"],
            [
                [name, fmt_int(rate.cell), kib(server.cell), kib(client_cpu.cell)]
                for name, (rate, server, client_cpu) in (
                    ("compression off", small["off"]), ("negotiated, skipped", small["on"])
                )
            ]
            + [
                ["ratio (target ≥ 1.0 rate, ≤ 1.0 CPU)",
                 fmt_ratio(small["on"][0].cell, small["off"][0].cell, 0.97),
                 *(fmt_ratio(on.cell, off.cell)
                   for on, off in zip(small["on"][1:], small["off"][1:], strict=True))],
            ],
        )  # fmt: skip

    if not args.skip_memory:
        rows = []
        per_session: dict[tuple[str, str], Cell] = {}
        for settings, echoes in (("default", 2), ("window15", 2), ("window15", 40)):
            for impl in ("wsrs", "websockets"):
                value, remark = idle_memory(impl, settings, run, echoes)
                per_session[impl, f"{settings}, {echoes}"] = value
                rows.append([f"{impl} ({settings}, {echoes} echoes)", kib(value), remark])
        print_table(
            "server memory per idle session after two compressed 1 KiB echoes (and after 40, "
            "which fill a 32 KiB window), KiB of RSS each",
            ["server", "KiB/session", ""],
            rows,
        )
        print_table(
            "ratios, same run",
            ["ratio", "value", "target"],
            [
                [f"wsrs / websockets ({settings} echoes)",
                 fmt_ratio(per_session["wsrs", settings], per_session["websockets", settings]),
                 f"≤ {MEMORY_RATIO_TARGET}{TIMES}"]
                for settings in ("default, 2", "window15, 2", "window15, 40")
            ]
            + [["wsrs (default, 2 echoes)", kib(per_session["wsrs", "default, 2"]),
                f"≤ {MEMORY_TARGET_KIB:.0f} KiB"]],
        )  # fmt: skip
    print_notes(run.notes)
    return 0


if __name__ == "__main__":
    run_main(main)
