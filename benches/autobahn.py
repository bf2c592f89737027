"""The whole Autobahn suite (kosoku, compression cases included) against wsrs and websockets:
verdict counts and wall time of each run, side by side on the same machine.

Servers: kosoku's fuzzing client, four cases at a time, against an echo server in its own
process on uvloop (wsrs with every message compressed, websockets with compression at its
defaults). Clients: kosoku's fuzzing server against each library's echo client, four cases at a
time. `make autobahn` is the pass/fail gate (wsrs on asyncio and trio); this prints the table.

    python -m benches.autobahn                   # every case, both libraries, both sides
    python -m benches.autobahn --cases '12.*'    # a selection
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import kosoku

from benches._harness import (
    fmt_int,
    print_table,
    progress,
    python_module,
    run_main,
    run_on,
    running_server,
    stop_on_signals,
    version_of,
)

CONCURRENCY = 4
RESET_ASKED = ["13.2.*", "13.5.*", "13.6.*"]
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED", "ERROR")


def count(results: Sequence[Any]) -> dict[str, int]:
    """How many cases ended with each verdict (the worse of behaviour and close)."""
    rank = {name: i for i, name in enumerate(VERDICTS)}
    counts: collections.Counter[str] = collections.Counter()
    for result in results:
        close = result.behavior_close.value
        close = close if close in ("OK", "INFORMATIONAL") else "FAILED"
        counts[max(result.behavior.value, close, key=lambda v: rank.get(v, len(VERDICTS)))] += 1
    return dict(counts)


def server_argv(impl: str) -> Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return python_module("benches._autobahn_peer", "server", impl, "--port", str(port))

    return argv


async def fuzz_server(impl: str, cases: list[str]) -> tuple[dict[str, int], float]:
    with running_server(f"{impl} echo server", server_argv(impl)) as (_, port):
        started = time.perf_counter()
        try:
            results = await kosoku.run_fuzzingclient(
                f"ws://127.0.0.1:{port}/", cases=cases, concurrency=CONCURRENCY
            )
        except kosoku.FailureError as failure:
            results = failure.results
        return count(results), time.perf_counter() - started


async def fuzz_client(impl: str, cases: list[str]) -> tuple[dict[str, int], float]:
    """Every selected case against `impl`'s client; wsrs offers to reset its window where
    Autobahn's server asks for that (a second run, counted with the first)."""
    if impl != "wsrs" or cases != ["*"]:
        return await fuzz_client_run(impl, cases, [], reset=False)
    counts, seconds = await fuzz_client_run(impl, cases, RESET_ASKED, reset=False)
    more, more_seconds = await fuzz_client_run(impl, RESET_ASKED, [], reset=True)
    return dict(collections.Counter(counts) + collections.Counter(more)), seconds + more_seconds


async def fuzz_client_run(
    impl: str, cases: list[str], exclude: list[str], *, reset: bool
) -> tuple[dict[str, int], float]:
    async with kosoku.run_fuzzingserver(cases=cases, exclude_cases=exclude, port=0) as fuzzer:
        argv = python_module(
            "benches._autobahn_peer", "client", impl, "--port", str(fuzzer.port),
            "--concurrency", str(CONCURRENCY), *(["--reset"] if reset else []),
        )  # fmt: skip
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(*argv)
        try:
            try:
                results = await fuzzer.get_result()
            except kosoku.FailureError as failure:
                results = failure.results
            elapsed = time.perf_counter() - started
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
    return count(results), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default="*", help="comma-separated case ids or globs")
    parser.add_argument("--only", default="wsrs,websockets")
    args = parser.parse_args()
    stop_on_signals()
    cases = args.cases.split(",")
    rows = []

    async def run_all() -> None:
        runs: list[tuple[str, Callable[[str, list[str]], Awaitable[tuple[dict[str, int], float]]]]]
        runs = [("server", fuzz_server), ("client", fuzz_client)]
        for side, run in runs:
            for impl in args.only.split(","):
                progress(f"autobahn: {impl} {side}")
                counts, seconds = await run(impl, cases)
                total = sum(counts.values())
                cells = [fmt_int(float(counts.get(v, 0))) for v in VERDICTS]
                rows.append([f"{impl} {side}", fmt_int(float(total)), *cells, f"{seconds:,.0f}"])

    run_on("asyncio", run_all)
    print(f"kosoku {version_of('kosoku')}, websockets {version_of('websockets')}, cases {cases}")
    print_table(
        "Autobahn (kosoku), four cases at a time; a case counts under the worse of its message "
        "and close verdicts",
        ["run", "cases", *VERDICTS, "seconds"],
        rows,
    )
    return 0


if __name__ == "__main__":
    run_main(main)
