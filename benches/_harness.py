"""Shared helpers for the end-to-end benchmarks (``roundtrip``, ``http_server``).

Rules every benchmark here follows:

- All traffic stays on 127.0.0.1; ports are picked free by the kernel.
- Every child process (server, client, wrk) starts in its own process group and the whole group is
  killed in a ``finally``, so nothing outlives the run, even on Ctrl-C or an error.
- Every wait is bounded in time; the peer servers also kill their process group after
  ``--lifetime`` seconds in case the harness itself is SIGKILLed before its ``finally`` runs.
- Results are printed side by side with ratios against peers measured in the same run, next to
  the server's own CPU time per operation (read from /proc over its process group), which a busy
  machine disturbs much less than throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

LOCALHOST: Final = "127.0.0.1"
REPO_ROOT: Final = Path(__file__).resolve().parent.parent
LOOPS: Final = ("asyncio", "uvloop", "trio")
#: Every WebSocket peer accepts messages up to this size, so each row does the same work.
MAX_MESSAGE_SIZE: Final = 16 * 2**20
#: How long a server started by the harness may live before it kills its own process group.
DEFAULT_SERVER_LIFETIME: Final = 1800.0
NOT_BUILT: Final = "n/a (not built yet)"
Cell = float | str | None
"""A table cell: a measured value, a note (``"n/a (...)"``, ``"error"``), or None (not measured)."""
TIMES: Final = "\u00d7"  # the multiplication sign of "1.62x", spelled out for ruff (RUF001)


class BenchError(Exception):
    """A server or client misbehaved; the message says how (shown in the table's notes)."""

    def __init__(self, message: str, *, startup: bool = False) -> None:
        super().__init__(message)
        self.startup = startup  # the server never accepted a connection


NOT_STARTED: Final = ("n/a (failed to start)", "failed to start")


def failure_cell(exc: BenchError, *, wsrs: bool) -> str:
    """The short text for cells that could not be measured (the reason goes to the notes)."""
    if exc.startup:
        return NOT_STARTED[0] if wsrs else NOT_STARTED[1]
    return "n/a (failed)" if wsrs else "error"


def worth_retrying(cells: Iterable[Cell]) -> bool:
    """False when a server is not built or never came up: later rounds would only wait again."""
    return not any(cell == NOT_BUILT or cell in NOT_STARTED for cell in cells)


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def raise_nofile_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def python_module(module: str, *args: str) -> list[str]:
    """argv for ``python -m module args...`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


class Child:
    """A child process in its own process group, killed as a group on ``stop()``.

    stdout goes to a pipe when ``capture_stdout`` (read it with ``read_line`` / ``communicate``),
    otherwise to the same temporary file as stderr, whose tail is shown when something fails.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        capture_stdout: bool = False,
        stdin_pipe: bool = False,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        # Closed in close(): the file lives as long as the child.
        self._log: IO[bytes] = tempfile.TemporaryFile(prefix="wsrs-bench-")  # noqa: SIM115
        self._buffer = b""
        try:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                stdout=subprocess.PIPE if capture_stdout else self._log,
                stderr=self._log,
                start_new_session=True,  # own process group: pgid == pid
                bufsize=0,
            )
        except OSError:
            self._log.close()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 8) -> str:
        """The last lines the child wrote to stderr (and stdout when not captured)."""
        with contextlib.suppress(OSError, ValueError):
            self._log.flush()
            self._log.seek(0)
            text = self._log.read().decode("utf-8", "replace")
            return "\n".join(text.strip().splitlines()[-lines:])
        return ""

    def failure(self, what: str, *, startup: bool = False) -> BenchError:
        """A BenchError naming this child, its exit status and the tail of its output."""
        status = self.proc.poll()
        detail = f"{self.name}: {what}"
        if status is not None:
            detail += f" (exit status {status})"
        tail = self.log_tail()
        if tail:
            detail += "\n    " + tail.replace("\n", "\n    ")
        return BenchError(detail, startup=startup)

    def send(self, line: str) -> None:
        """Write one line to the child's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def read_line(self, timeout: float) -> str:
        """Read one line from the child's stdout, waiting at most ``timeout`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.failure(f"no answer within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise self.failure("exited before answering")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def wait(self, timeout: float) -> int:
        """Wait for the child to exit by itself; kill its group and fail after ``timeout``."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise self.failure(f"still running after {timeout:.0f} s") from None

    def communicate(self, timeout: float) -> tuple[int, str]:
        """Wait for the child to exit, collecting its stdout: (exit status, stdout text).

        Kills its group and fails after ``timeout``.
        """
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise self.failure(f"still running after {timeout:.0f} s") from None
        return self.proc.returncode, (self._buffer + (out or b"")).decode("utf-8", "replace")

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left of it."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(grace)
        # The leader may be gone while its children (granian workers) still run.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(grace)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        self.stop()
        self._log.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so every ``finally`` stops its children."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def wait_for_port(child: Child, port: int, timeout: float) -> None:
    """Poll a TCP connect to 127.0.0.1:port until it succeeds, the child dies, or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if not child.alive():
            raise child.failure("exited before accepting connections", startup=True)
        try:
            with socket.create_connection((LOCALHOST, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise child.failure(
                f"not accepting connections on port {port} after {timeout:.0f} s", startup=True
            )
        time.sleep(0.05)


@contextlib.contextmanager
def running_server(
    name: str, argv_for_port: Callable[[int], Sequence[str]], ready_timeout: float = 20.0
) -> Iterator[tuple[Child, int]]:
    """Start a server on a free port, wait until it accepts connections, stop it afterwards."""
    port = free_port()
    with Child(name, argv_for_port(port)) as child:
        wait_for_port(child, port, ready_timeout)
        yield child, port


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (VmRSS from /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def _group_stats(pgid: int) -> dict[int, list[str]]:
    """/proc/<pid>/stat fields after "pid (comm)" for every process of a process group."""
    stats = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue  # exited meanwhile
        # After "pid (comm) ": state, ppid, pgrp, ...; comm may contain spaces and parens.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            stats[int(entry.name)] = fields
    if not stats:
        raise BenchError(f"no process left in process group {pgid}")
    return stats


def group_rss_kib(pgid: int) -> int:
    """Sum of VmRSS over the processes of a process group (a server and any workers it forked).

    Pages shared between those processes count once per process; compare differences only.
    """
    total = 0
    for pid in _group_stats(pgid):
        with contextlib.suppress(OSError, BenchError):  # exited meanwhile
            total += rss_kib(pid)
    return total


_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time used so far by the live processes of a process group."""
    # Fields 14 and 15 of /proc/<pid>/stat (utime, stime) are 11 and 12 after "pid (comm)".
    ticks = sum(int(f[11]) + int(f[12]) for f in _group_stats(pgid).values())
    return ticks / _CLOCK_TICKS


def parse_json_line(child: Child, line: str) -> dict[str, Any]:
    """One JSON object a client printed; a BenchError naming the client if it is not one."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        raise child.failure(f"printed {line[:200]!r} instead of a JSON object") from None
    if not isinstance(value, dict):
        raise child.failure(f"printed {line[:200]!r} instead of a JSON object")
    return value


# --- wsrs ----------------------------------------------------------------------------------------


def wsrs_available() -> bool:
    """Whether the wsrs demo server can be imported in this interpreter."""
    try:
        return importlib.util.find_spec("wsrs.server") is not None
    except (ImportError, ValueError):
        return False


def wsrs_argv(port: int, backend: str) -> list[str]:
    """The documented way to start the wsrs demo server (``/echo`` and ``/hello``)."""
    return python_module(
        "wsrs", "serve", "--host", LOCALHOST, "--port", str(port), "--backend", backend
    )


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def which(program: str) -> str | None:
    return shutil.which(program)


# --- servers -------------------------------------------------------------------------------------


def server_arguments(description: str, loops: Sequence[str]) -> argparse.ArgumentParser:
    """The common CLI of ``python -m benches.servers.<name>``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default=LOCALHOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=loops, default=loops[0])
    parser.add_argument(
        "--lifetime",
        type=float,
        default=DEFAULT_SERVER_LIFETIME,
        help="kill this server's process group after this many seconds (a safety net)",
    )
    return parser


def exit_after(seconds: float) -> None:
    """Kill this process (and its group, if it leads one) after ``seconds``, whatever it does."""

    def kill() -> None:
        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    timer = threading.Timer(seconds, kill)
    timer.daemon = True
    timer.start()


def run_on(loop: str, main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main()`` on plain asyncio, asyncio with uvloop, or trio."""
    if loop == "asyncio":
        import asyncio

        asyncio.run(_as_coroutine(main))
    elif loop == "uvloop":
        import uvloop

        uvloop.run(_as_coroutine(main))
    elif loop == "trio":
        import trio

        trio.run(main)
    else:
        raise ValueError(f"unknown loop {loop!r}")


async def _as_coroutine(main: Callable[[], Awaitable[None]]) -> None:
    await main()


# --- tables --------------------------------------------------------------------------------------


@dataclass
class Samples:
    """One table cell measured over several rounds; it shows their median."""

    values: list[float] = field(default_factory=list)
    note: str | None = None

    def add(self, cell: Cell) -> None:
        if isinstance(cell, float):
            self.values.append(cell)
        elif cell is not None and self.note is None:
            self.note = cell

    @property
    def cell(self) -> Cell:
        return statistics.median(self.values) if self.values else self.note

    @property
    def spread(self) -> float | None:
        """(max - min) / median over the rounds, None with fewer than two values."""
        if len(self.values) < 2:
            return None
        return (max(self.values) - min(self.values)) / statistics.median(self.values)


def fmt_spread(samples: Iterable[Samples]) -> str:
    """The largest spread of a row's cells, as a percentage ("±" is not claimed: it is max-min)."""
    spreads = [s.spread for s in samples if s.spread is not None]
    return f"{max(spreads) * 100:.0f}%" if spreads else "—"


def fmt_int(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:,.0f}"


def fmt_ratio(numerator: Cell, denominator: Cell, target: float | None = None) -> str:
    """``"1.62x"`` (with a multiplication sign) and ✓/✗ against a minimum ``target``.

    ``"n/a"`` when either side is missing.
    """
    if not isinstance(numerator, float) or not isinstance(denominator, float) or denominator <= 0:
        return "n/a"
    ratio = numerator / denominator
    text = f"{ratio:.2f}{TIMES}"
    if target is not None:
        text += " ✓" if ratio >= target else " ✗"
    return text


def fmt_size(size: int) -> str:
    if size >= 2**20 and size % 2**20 == 0:
        return f"{size // 2**20} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} B"


def parse_size(text: str) -> int:
    """``256``, ``256B``, ``8KiB``, ``8k``, ``1MiB`` → bytes."""
    value = text.strip().lower().replace(" ", "")
    for suffix, factor in (("mib", 2**20), ("m", 2**20), ("kib", 1024), ("k", 1024), ("b", 1)):
        if value.endswith(suffix):
            return int(value[: -len(suffix)]) * factor
    return int(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    print(f"\n{title}\n")
    print(format_table(headers, rows))
    sys.stdout.flush()


def print_notes(notes: Sequence[str]) -> None:
    if notes:
        print("\nnotes:")
        for note in notes:
            print(f"  - {note}")
    sys.stdout.flush()


def progress(message: str) -> None:
    """Progress goes to stderr so stdout holds only the tables."""
    print(f"... {message}", file=sys.stderr, flush=True)


def run_main(main: Callable[[], int]) -> None:
    """Exit with `main()`'s status; on Ctrl-C say that every child was stopped."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: every server and client started was stopped", file=sys.stderr)
        sys.exit(130)
