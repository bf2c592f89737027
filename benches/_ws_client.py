"""The WebSocket client side of ``benches.roundtrip``, run in its own process on uvloop.

It is the same client for every server: picows' ``ws_connect`` (the fastest client measured in
peers.md, so the server is the bottleneck), with the data path in ``on_ws_frame`` callbacks.

``python -m benches._ws_client rt URL --sizes 256,8192 --warmup 1 --duration 5``
    One connection, one binary message in flight: send, wait for the echo, repeat, for each size
    in turn (warm-up, then the timed run). Prints one JSON object per size on stdout, with the
    server's CPU time per round trip when given ``--server-pgid``. Every echo is checked for
    length and for the 8-byte sequence number at its start; one echo in 64, plus the first and
    the last of each run, is compared byte for byte.

``python -m benches._ws_client idle URL --sessions 5000``
    Opens idle sessions for the memory measurement, driven by lines on stdin (``open``,
    ``close``); answers with one JSON line on stdout after each step. See ``IdleSessions``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import struct
import sys
import time
from typing import Any

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from benches._harness import MAX_MESSAGE_SIZE, group_cpu_seconds, raise_nofile_limit, run_on

FULL_CHECK_EVERY = 64
#: A cell fails when one echo takes longer than this (the server stalled or dropped a message).
STALL_TIMEOUT = 10.0
_SEQ = struct.Struct("<Q")


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class RoundTrips(WSListener):
    """Sends the next message from inside the callback that received the previous echo."""

    def __init__(self) -> None:
        self.transport: WSTransport | None = None
        self.payload = bytearray()
        self.count = 0
        self.deadline = 0.0
        self.done: asyncio.Future[None] | None = None
        self.fragments: list[bytes] = []
        self.disconnected = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.disconnected = True
        self._fail(ConnectionError("server closed the connection"))

    async def run(self, size: int, seconds: float, server_pgid: int) -> tuple[int, float, float]:
        """Round trips of ``size`` bytes for ``seconds``.

        Returns (count, elapsed seconds, server CPU seconds over that time).
        """
        self.payload = bytearray(os.urandom(size))
        self.count = 0
        self.fragments.clear()
        self.done = asyncio.get_running_loop().create_future()
        cpu = group_cpu_seconds(server_pgid) if server_pgid else 0.0
        start = time.perf_counter()
        self.deadline = start + seconds
        self._send()
        await asyncio.wait_for(self.done, seconds + STALL_TIMEOUT)  # cancels it on timeout
        elapsed = time.perf_counter() - start
        if server_pgid:
            cpu = group_cpu_seconds(server_pgid) - cpu
        return self.count, elapsed, cpu

    def _send(self) -> None:
        assert self.transport is not None
        if len(self.payload) >= _SEQ.size:
            _SEQ.pack_into(self.payload, 0, self.count)
        self.transport.send(WSMsgType.BINARY, self.payload)

    def _fail(self, exc: BaseException) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(exc)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        done = self.done
        if done is None or done.done():
            return
        if frame.fin and frame.msg_type == WSMsgType.BINARY and not self.fragments:
            # Fast path: a whole message in one frame.
            size = frame.payload_size
            if size != len(self.payload):
                self._fail(ValueError(f"echo of {len(self.payload)} bytes came back as {size}"))
                return
            last = time.perf_counter() >= self.deadline
            if last or self.count % FULL_CHECK_EVERY == 0:
                self._check(frame.get_payload_as_bytes())
            elif _SEQ.unpack_from(frame.get_payload_as_memoryview())[0] != self.count:
                self._fail(ValueError(f"echo #{self.count}: sequence number differs"))
        else:
            outcome = self._on_other_frame(frame)
            if outcome is None:
                return
            last = outcome
        if done.done():
            return
        self.count += 1
        if last:
            done.set_result(None)
        else:
            self._send()

    def _on_other_frame(self, frame: WSFrame) -> bool | None:
        """Fragments, pings, anything unexpected.

        Returns None while no whole echo has arrived, else whether the time is up.
        """
        kind = frame.msg_type
        if kind == WSMsgType.PING or kind == WSMsgType.PONG:
            return None  # picows answers pings itself (enable_auto_pong)
        if kind == WSMsgType.CLOSE:
            code, reason = frame.get_close_code(), frame.get_close_message() or b""
            self._fail(ValueError(f"expected a binary echo, got CLOSE {code} {reason!r}"))
            return True
        if kind != WSMsgType.BINARY and not (kind == WSMsgType.CONTINUATION and self.fragments):
            self._fail(ValueError(f"expected a binary echo, got {kind.name}"))
            return True
        self.fragments.append(frame.get_payload_as_bytes())
        if not frame.fin:
            return None
        self._check(b"".join(self.fragments))
        self.fragments.clear()
        return time.perf_counter() >= self.deadline

    def _check(self, echo: bytes) -> None:
        if echo != self.payload:
            self._fail(ValueError(f"echo #{self.count}: payload differs from what was sent"))


async def round_trips(
    url: str, sizes: list[int], warmup: float, duration: float, server_pgid: int
) -> None:
    transport, listener = await ws_connect(
        RoundTrips, url, max_frame_size=MAX_MESSAGE_SIZE, websocket_handshake_timeout=10
    )
    assert isinstance(listener, RoundTrips)
    try:
        for size in sizes:
            try:
                if warmup > 0:
                    await listener.run(size, warmup, 0)
                count, elapsed, cpu = await listener.run(size, duration, server_pgid)
            except (TimeoutError, ValueError, ConnectionError) as exc:
                reason = "stalled" if isinstance(exc, TimeoutError) else str(exc)
                emit({"size": size, "error": reason})
                if listener.disconnected or isinstance(exc, TimeoutError):
                    break
                continue
            result = {"size": size, "count": count, "elapsed": elapsed, "rate": count / elapsed}
            if server_pgid and count:
                result["server_cpu_us"] = cpu / count * 1e6
            emit(result)
    finally:
        if not transport.is_disconnected:
            transport.send_close(WSCloseCode.OK)  # explicit: picows' default code is 0
            transport.disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(transport.wait_disconnected(), 5)


class Idle(WSListener):
    """An idle session: it only counts being dropped (picows answers pings by itself)."""

    dropped = 0

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        Idle.dropped += 1


class IdleSessions:
    """``open`` → open N sessions (handshake done, then idle), answer {"opened", "failed", ...};
    ``close`` → report sessions the server dropped meanwhile, close them all, answer, exit.

    Before the first command it opens and closes ``warmup`` sessions, so the server has run its
    handshake path before the baseline is read, and answers {"warm": n}.
    """

    def __init__(self, url: str, concurrency: int) -> None:
        self.url = url
        self.semaphore = asyncio.Semaphore(concurrency)
        self.transports: list[WSTransport] = []
        self.failures: list[str] = []

    async def _open_one(self) -> None:
        async with self.semaphore:
            try:
                transport, _ = await ws_connect(
                    Idle, self.url, websocket_handshake_timeout=20, read_buffer_init_size=1024
                )
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
                return
            self.transports.append(transport)

    async def open(self, count: int, timeout: float) -> float:
        start = time.perf_counter()
        tasks = [asyncio.ensure_future(self._open_one()) for _ in range(count)]
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            self.failures.append(f"{len(pending)} handshakes still pending after {timeout:.0f} s")
            await asyncio.wait(pending, timeout=5)
        return time.perf_counter() - start

    async def close_all(self) -> None:
        for transport in self.transports:
            if not transport.is_disconnected:
                transport.send_close(WSCloseCode.GOING_AWAY)
                transport.disconnect(graceful=False)
        self.transports.clear()
        await asyncio.sleep(0.2)


async def read_command(timeout: float) -> str:
    loop = asyncio.get_running_loop()
    line = await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), timeout)
    return line.strip() or "close"  # EOF: the harness is gone


async def idle_sessions(url: str, sessions: int, warmup: int, concurrency: int) -> None:
    deadline = max(60.0, sessions / 50)  # bound for each step
    idle = IdleSessions(url, concurrency)
    await idle.open(warmup, deadline)
    warm_failures = len(idle.failures)
    await idle.close_all()
    idle.failures.clear()
    Idle.dropped = 0
    emit({"warm": warmup - warm_failures})
    command = await read_command(deadline * 4)
    if command == "open":
        seconds = await idle.open(sessions, deadline)
        emit(
            {
                "opened": len(idle.transports),
                "failed": len(idle.failures),
                "first_failure": idle.failures[0] if idle.failures else None,
                "seconds": seconds,
            }
        )
        command = await read_command(deadline * 4)
    # "close", end of input, or anything else: report and close everything.
    dropped = Idle.dropped
    await idle.close_all()
    emit({"dropped": dropped})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rt = sub.add_parser("rt", help="round trips per second over one connection")
    rt.add_argument("url")
    rt.add_argument("--sizes", required=True, help="comma-separated message sizes in bytes")
    rt.add_argument("--warmup", type=float, default=1.0)
    rt.add_argument("--duration", type=float, default=5.0)
    rt.add_argument(
        "--server-pgid",
        type=int,
        default=0,
        help="also report the CPU time this process group used per round trip",
    )
    idle = sub.add_parser("idle", help="hold idle sessions open for a memory measurement")
    idle.add_argument("url")
    idle.add_argument("--sessions", type=int, default=5000)
    idle.add_argument("--warmup", type=int, default=100)
    idle.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()

    raise_nofile_limit()
    if args.command == "rt":
        sizes = [int(s) for s in args.sizes.split(",")]
        if min(sizes) < _SEQ.size:
            parser.error(f"sizes must be at least {_SEQ.size} bytes (the sequence number)")
        run_on(
            "uvloop",
            lambda: round_trips(args.url, sizes, args.warmup, args.duration, args.server_pgid),
        )
    else:
        run_on(
            "uvloop",
            lambda: idle_sessions(args.url, args.sessions, args.warmup, args.concurrency),
        )


if __name__ == "__main__":
    main()
