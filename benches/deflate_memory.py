"""Memory per idle compressed session by permessage-deflate setting (window bits, memLevel,
context takeover), wsrs side by side with websockets at the same settings, and each with
compression off; the numbers of the compression guide (docs/guides/compression.md).

Each cell is its own server process on uvloop (``benches.servers.deflate_settings``). A warm-up
client opens and closes 50 compressed sessions (so the process-wide pools of zlib contexts and
the interpreter's caches are in the baseline); then the server's RSS is taken, ``--sessions``
sessions are opened with websockets' client (compression at its defaults: it offers
``client_max_window_bits``, so the server sets both windows), each exchanges two compressed
1 KiB JSON echoes (40 in the rows that fill the window) and goes idle, and the RSS is taken
again. The answer the server gave is shown for each setting.

    python -m benches.deflate_memory                  # about 3 minutes
    python -m benches.deflate_memory --sessions 300   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Final

from benches._harness import (
    TIMES,
    BenchError,
    Cell,
    Child,
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
IMPLS: Final = ("wsrs", "websockets")
WARMUP_SESSIONS: Final = 50


@dataclass(frozen=True)
class Setting:
    """One row: the same settings for both servers."""

    window_bits: int = 12
    mem_level: int = 8
    no_context_takeover: bool = False
    echoes: int = 2
    off: bool = False

    @property
    def label(self) -> str:
        if self.off:
            return "compression off"
        label = f"window {self.window_bits}, memLevel {self.mem_level}"
        if self.no_context_takeover:
            label += ", no context takeover"
        if self.echoes != 2:
            label += f", {self.echoes} echoes"
        return label

    def server_args(self) -> list[str]:
        if self.off:
            return ["--off"]
        args = ["--window-bits", str(self.window_bits), "--mem-level", str(self.mem_level)]
        return [*args, "--no-context-takeover"] if self.no_context_takeover else args


SETTINGS: Final = (
    Setting(off=True),
    Setting(window_bits=9),
    Setting(window_bits=12, mem_level=1),
    Setting(window_bits=12, mem_level=5),
    Setting(window_bits=12),
    Setting(window_bits=12, mem_level=9),
    Setting(window_bits=15),
    Setting(window_bits=12, no_context_takeover=True),
    Setting(window_bits=15, no_context_takeover=True),
    Setting(window_bits=12, echoes=40),
    Setting(window_bits=15, echoes=40),
)


def server_argv(impl: str, setting: Setting) -> list[str]:
    return python_module(
        "benches.servers.deflate_settings", "--impl", impl, "--loop", "uvloop",
        *setting.server_args(),
    )  # fmt: skip


async def answer_of(url: str) -> str:
    """The Sec-WebSocket-Extensions answer the server gives websockets' client."""
    from websockets.asyncio.client import connect

    async with connect(url) as ws:
        assert ws.response is not None
        return ws.response.headers.get("Sec-WebSocket-Extensions", "(none)")


def idle_client(url: str, sessions: int, echoes: int) -> Child:
    argv = python_module(
        "benches._deflate_client", "idle", url, "--sessions", str(sessions),
        "--echoes", str(echoes),
    )  # fmt: skip
    return Child(f"idle client for {url}", argv, capture_stdout=True, stdin_pipe=True)


def open_and_close(url: str, sessions: int, timeout: float) -> None:
    with idle_client(url, sessions, 2) as client:
        parse_json_line(client, client.read_line(timeout))
        client.send("open")
        parse_json_line(client, client.read_line(timeout))
        client.send("close")
        parse_json_line(client, client.read_line(timeout))
        client.wait(30)


def measure(impl: str, setting: Setting, sessions: int, settle: float) -> tuple[Cell, str]:
    """KiB of server RSS per idle session, and the answer the server gave."""
    label = f"{impl} ({setting.label})"
    progress(f"{label}, {sessions} sessions")
    timeout = 60 + sessions * setting.echoes / 20

    def argv(port: int) -> list[str]:
        return [*server_argv(impl, setting), "--port", str(port)]

    with running_server(label, argv) as (srv, port):
        url = f"ws://127.0.0.1:{port}{PATH}"
        answer = asyncio.run(answer_of(url))
        open_and_close(url, WARMUP_SESSIONS, timeout)
        with idle_client(url, sessions, setting.echoes) as client:
            parse_json_line(client, client.read_line(timeout))
            time.sleep(settle)
            baseline = group_rss_kib(srv.pid)
            client.send("open")
            opened = parse_json_line(client, client.read_line(timeout))
            time.sleep(settle)
            loaded = group_rss_kib(srv.pid)
            client.send("close")
            dropped = parse_json_line(client, client.read_line(timeout))["dropped"]
            client.wait(30)
    compressed = 0 if setting.off else sessions
    if dropped or opened["opened"] != sessions or opened["compressed"] != compressed:
        raise BenchError(f"{label}: {opened}, {dropped} dropped")
    return (loaded - baseline) / sessions, answer


def kib(value: Cell) -> str:
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=2000, help="sessions per cell (2 echoes)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before each RSS")
    args = parser.parse_args()
    stop_on_signals()
    raise_nofile_limit()
    print(
        f"python {sys.version.split()[0]}, websockets {version_of('websockets')}, "
        f"uvloop {version_of('uvloop')}"
    )
    notes: list[str] = []
    per_session: dict[tuple[str, Setting], Cell] = {}
    answers: dict[Setting, str] = {}
    for setting in SETTINGS:
        sessions = args.sessions if setting.echoes == 2 else max(args.sessions // 4, 1)
        for impl in IMPLS:
            try:
                value, answer = measure(impl, setting, sessions, args.settle)
            except BenchError as exc:
                notes.append(str(exc))
                value, answer = "error", ""
            per_session[impl, setting] = value
            if impl == "wsrs":
                answers[setting] = answer

    def over_off(impl: str, setting: Setting) -> str:
        value, off = per_session[impl, setting], per_session[impl, SETTINGS[0]]
        if setting.off or not isinstance(value, float) or not isinstance(off, float):
            return "—"
        return f"{value - off:+,.1f}"

    print_table(
        f"server RSS per idle session, KiB, after two compressed 1 KiB JSON echoes "
        f"({args.sessions} sessions; the 40-echo rows {max(args.sessions // 4, 1)}), "
        "and what compression adds to the uncompressed session",
        ["setting (both directions)", "wsrs", "added", "websockets", "added",
         f"wsrs / websockets ({TIMES})"],
        [
            [setting.label, kib(per_session["wsrs", setting]), over_off("wsrs", setting),
             kib(per_session["websockets", setting]), over_off("websockets", setting),
             fmt_ratio(per_session["wsrs", setting], per_session["websockets", setting])]
            for setting in SETTINGS
        ],
    )  # fmt: skip
    print_table(
        "what the wsrs server answered websockets' offer "
        "(permessage-deflate; client_max_window_bits)",
        ["setting", "Sec-WebSocket-Extensions"],
        [[setting.label, answers[setting]] for setting in SETTINGS[1:9]],
    )
    print_notes(notes)
    return 0


if __name__ == "__main__":
    run_main(main)
