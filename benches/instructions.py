"""Server instructions per WebSocket round trip, counted by callgrind: wsrs beside picows.

Rates and CPU times move with whatever else the machine runs; instruction counts do not. Each
server of ``benches.roundtrip`` runs under ``valgrind --tool=callgrind`` twice, answering
``--few`` and then ``--many`` round trips of one size from a picows client in this process (one
connection, one binary message in flight, every echo checked); the difference of the two totals
over the difference of the counts is what one round trip costs the server, start-up and
shut-down cancelled out. Where the time goes inside a cell: ``callgrind_annotate`` on the files
kept with ``--keep DIR``.

    python -m benches.instructions                          # 256 B and 8 KiB, both loops
    python -m benches.instructions --sizes 256 --loops uvloop --only wsrs-handler,picows
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import uvloop
from picows import WSCloseCode, WSError, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from benches._harness import (
    MAX_MESSAGE_SIZE,
    BenchError,
    Child,
    fmt_ratio,
    fmt_size,
    free_port,
    parse_size,
    print_notes,
    print_table,
    progress,
    run_main,
    wait_for_port,
    which,
)
from benches.roundtrip import PATH, SERVERS, Server

DEFAULT_SIZES: Final = (256, 8 * 1024)
DEFAULT_SERVERS: Final = ("wsrs", "wsrs-handler", "picows")
#: Valgrind runs the interpreter some 50 times slower: start-up and the exit dump take long.
READY_TIMEOUT: Final = 300.0
EXIT_TIMEOUT: Final = 300.0
INTERRUPT_GRACE: Final = 60.0
_TOTALS = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


class Echoes(WSListener):
    """Sends the next message from inside the callback that received the previous echo."""

    def __init__(self, size: int, count: int) -> None:
        self.payload = os.urandom(size)
        self.left = count
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport: WSTransport) -> None:
        transport.send(WSMsgType.BINARY, self.payload)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != WSMsgType.BINARY or self.done.done():
            return
        if not frame.fin or frame.get_payload_as_bytes() != self.payload:
            self.done.set_exception(ValueError("the echo differs from what was sent"))
            return
        self.left -= 1
        if self.left:
            transport.send(WSMsgType.BINARY, self.payload)
        else:
            self.done.set_result(None)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectionError("the server closed the connection"))


async def echo_round_trips(port: int, size: int, count: int) -> None:
    transport, listener = await ws_connect(
        lambda: Echoes(size, count),
        f"ws://127.0.0.1:{port}{PATH}",
        max_frame_size=MAX_MESSAGE_SIZE,
        websocket_handshake_timeout=READY_TIMEOUT,
    )
    assert isinstance(listener, Echoes)
    try:
        await asyncio.wait_for(listener.done, READY_TIMEOUT)
    finally:
        transport.send_close(WSCloseCode.OK)
        transport.disconnect()


def server_instructions(server: Server, loop: str, size: int, count: int, out: Path) -> int:
    """Instructions the server ran, start to exit, answering ``count`` round trips."""
    port = free_port()
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    with Child(server.label(loop), [*argv, *server.argv(port, loop)]) as child:
        wait_for_port(child, port, READY_TIMEOUT)
        try:
            uvloop.run(echo_round_trips(port, size, count))
        except (TimeoutError, ConnectionError, ValueError, OSError, WSError) as error:
            raise child.failure(f"round trips failed: {error!r}") from None
        # SIGINT: the servers shut down as on Ctrl-C, and callgrind writes its counts at exit;
        # one that does not stop on it gets SIGTERM, on which callgrind writes them too.
        os.killpg(child.pid, signal.SIGINT)
        try:
            child.proc.wait(INTERRUPT_GRACE)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGTERM)
            child.wait(EXIT_TIMEOUT)
    found = _TOTALS.search(out.read_bytes()) if out.exists() else None
    if found is None:
        raise BenchError(f"{server.label(loop)}: callgrind wrote no totals to {out}")
    return int(found.group(1))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(DEFAULT_SERVERS), help="comma-separated servers")
    parser.add_argument("--loops", default="uvloop,asyncio", help="comma-separated loops")
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="message sizes (256,8KiB)"
    )
    parser.add_argument("--few", type=int, default=1000, help="round trips of the short run")
    parser.add_argument("--many", type=int, default=4000, help="round trips of the long run")
    parser.add_argument("--keep", type=Path, help="keep the callgrind files in this directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)")
        return 2
    names = args.only.split(",")
    servers = [server for server in SERVERS if server.name in names]
    loops = args.loops.split(",")
    sizes = [parse_size(size) for size in args.sizes.split(",")]
    keep = args.keep or Path(tempfile.mkdtemp(prefix="wsrs-callgrind-"))
    keep.mkdir(parents=True, exist_ok=True)
    counts: dict[tuple[str, str, int], int] = {}
    notes: list[str] = []
    for loop in loops:
        for server in servers:
            if loop not in server.loops:
                continue
            for size in sizes:
                label = server.label(loop)
                progress(f"{label}, {fmt_size(size)}: {args.few} and {args.many} round trips")
                try:
                    few, many = (
                        server_instructions(
                            server, loop, size, count, keep / f"{server.name}.{loop}.{size}.{count}"
                        )
                        for count in (args.few, args.many)
                    )
                except BenchError as error:
                    notes.append(str(error))
                    continue
                counts[server.name, loop, size] = (many - few) // (args.many - args.few)
    headers = ["instructions per round trip", *(fmt_size(size) for size in sizes)]
    rows = [
        [server.label(loop), *(f"{counts.get((server.name, loop, size), 0):,}" for size in sizes)]
        for loop in loops
        for server in servers
        if loop in server.loops
    ]
    print_table("server instructions per round trip (callgrind; lower is better)", headers, rows)
    ratio_rows = [
        [
            f"{server.name} / picows ({loop})",
            *(
                fmt_ratio(
                    float(counts.get((server.name, loop, size), 0)) or None,
                    float(counts.get(("picows", loop, size), 0)) or None,
                )
                for size in sizes
            ),
        ]
        for loop in loops
        for server in servers
        if server.name != "picows" and loop in server.loops
    ]
    print_table("instructions, wsrs / picows (below 1: wsrs runs fewer)", headers, ratio_rows)
    if args.keep is None:
        shutil.rmtree(keep, ignore_errors=True)
    print_notes(notes)
    return 1 if notes else 0


if __name__ == "__main__":
    run_main(main)
