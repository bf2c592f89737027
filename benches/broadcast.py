"""Broadcast benchmarks: one message to many sessions, wsrs against its peers in the same run.

``python -m benches.broadcast [--quick]``

1. Local fan-out, 1 000 and 10 000 sessions: `wsrs.broadcast` against `websockets.broadcast`,
   both on uvloop, clients in two other processes (`tests.fanout_client`, raw sockets).
   Deliveries per second (every session's receipt counts; from the first publication to the
   last receipt) and p50/p99 latency from publication to receipt.
2. Memory: RSS of the server process before and at its peak around one 64 KiB broadcast to
   10 000 sessions.
3. Across processes through Redis (a throwaway `redis-server` on loopback): two servers, half
   the sessions on each, one of them publishing; wsrs's `RedisBroker` against websockets with
   `broadcaster` on the same Redis. Every publish is awaited by both.

Every row publishes one message per event-loop turn. Each client checks every message's order.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from tests.redis_server import RedisServer

from benches._harness import (
    TIMES,
    Child,
    free_port,
    parse_json_line,
    python_module,
    raise_nofile_limit,
    stop_on_signals,
    wait_for_port,
)

SMALL = 64
"""Bytes of each message of the throughput rows."""


@contextlib.contextmanager
def _server(kind: str, sessions: int, redis: str | None = None) -> Iterator[tuple[Child, int]]:
    port = free_port()
    argv = python_module(
        "benches.servers.fanout", "--kind", kind, "--port", str(port), "--sessions", str(sessions)
    )
    if redis is not None:
        argv += ["--redis", redis]
    with Child(kind, argv, capture_stdout=True, stdin_pipe=True) as child:
        wait_for_port(child, port, 20)
        yield child, port


@contextlib.contextmanager
def _clients(ports: list[int], sessions: int, messages: int) -> Iterator[list[Child]]:
    """One client process per port (two on one port), `sessions` spread evenly."""
    if len(ports) == 1:
        ports = ports * 2
    with contextlib.ExitStack() as stack:
        children = []
        for index, port in enumerate(ports):
            argv = python_module(
                "tests.fanout_client",
                "--port", str(port),
                "--sessions", str(sessions // len(ports)),
                "--messages", str(messages),
                "--timeout", "300",
            )  # fmt: skip
            children.append(
                stack.enter_context(Child(f"clients {index}", argv, capture_stdout=True))
            )
        yield children


def _run(
    servers: list[Child], publisher: Child, clients: list[Child], messages: int, size: int
) -> dict[str, Any]:
    for child in clients + servers:
        parse_json_line(child, child.read_line(120))  # ready
    publisher.send(f"go {messages} {size}")
    server = parse_json_line(publisher, publisher.read_line(300))
    results = [parse_json_line(child, child.read_line(300)) for child in clients]
    errors = [error for result in results for error in result["errors"]]
    if errors:
        raise RuntimeError(f"clients saw: {errors[:3]}")
    delivered = sum(result["messages"] for result in results)
    span = (max(r["last_ns"] for r in results) - min(r["first_ns"] for r in results)) / 1e9
    return {
        "rate": delivered / span,
        "p50_ms": max(r["p50_us"] for r in results) / 1000,
        "p99_ms": max(r["p99_us"] for r in results) / 1000,
        "cpu": server["cpu"],
        "rss_growth_mib": (server["rss_peak_kib"] - server["rss_before_kib"]) / 1024,
        "complete": sum(r["complete"] for r in results),
    }


def local(kind: str, sessions: int, messages: int, size: int) -> dict[str, Any]:
    with _server(kind, sessions) as (server, port), _clients([port], sessions, messages) as clients:
        return _run([server], server, clients, messages, size)


def through_redis(kind: str, sessions: int, messages: int, url: str) -> dict[str, Any]:
    with (
        _server(kind, sessions // 2, url) as (publisher, first),
        _server(kind, sessions // 2, url) as (follower, second),
        _clients([first, second], sessions, messages) as clients,
    ):
        return _run([publisher, follower], publisher, clients, messages, SMALL)


def _table(title: str, rows: list[tuple[str, dict[str, Any]]], peer: str) -> None:
    print(f"\n{title}\n")
    print("| server | deliveries/s | p50 ms | p99 ms | server CPU s | RSS growth MiB | vs peer |")
    print("|---|---|---|---|---|---|---|")
    base = dict(rows)[peer]
    for name, row in rows:
        ratio = f"{row['rate'] / base['rate']:.2f}{TIMES}"
        print(
            f"| {name} | {row['rate']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['cpu']:.2f} | {row['rss_growth_mib']:.1f} | {ratio} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages per row")
    args = parser.parse_args()
    stop_on_signals()
    raise_nofile_limit()
    scale = 4 if args.quick else 1
    for sessions, messages in ((1000, 400 // scale), (10_000, 60 // scale)):
        rows = [(kind, local(kind, sessions, messages, SMALL)) for kind in ("wsrs", "websockets")]
        _table(
            f"Local broadcast: {sessions:,} sessions, {messages} messages of {SMALL} B",
            rows,
            "websockets",
        )
    rows = [(kind, local(kind, 10_000, 1, 64 * 1024)) for kind in ("wsrs", "websockets")]
    _table("One 64 KiB broadcast to 10,000 sessions", rows, "websockets")
    with RedisServer() as redis:
        messages = 2000 // scale
        rows = [
            (kind, through_redis(kind, 1000, messages, redis.url))
            for kind in ("wsrs-redis", "broadcaster")
        ]
    _table(
        f"Through Redis: 2 servers, 1,000 sessions, {messages} messages of {SMALL} B",
        rows,
        "broadcaster",
    )


if __name__ == "__main__":
    main()
