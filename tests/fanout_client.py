"""Many WebSocket sessions in one process, on raw sockets and one epoll loop, checking fan-out.

``python -m tests.fanout_client --port P [--port Q] --path /ws --sessions N --messages M``

Connects `N` sessions (spread over the ports in turn), prints ``{"ready": N}`` once every opening
handshake is answered, then reads until each session has `M` messages or `--timeout` passes,
and prints one JSON line with what it saw. Two formats:

- ``seq`` (the default): binary messages starting with an 8-byte sequence number (0, 1, 2 …)
  and the 8-byte `time.monotonic_ns()` of their publication (or text messages starting with the
  two as 16 hex digits each); each session must see every number in order. Latency from
  publication to receipt is measured on every message (the clock is system-wide on Linux, so
  it compares across processes).
- ``chat``: text messages ``"<publisher>:<n>"``; each session must see each publisher's numbers
  in order, once each, `M` messages in all. Binary frames (room events) are skipped.

Pings are answered, so that long runs stay within the server's keep-alive.

Frames are parsed here, by hand, so that what is checked is exactly what was on the wire.
"""

from __future__ import annotations

import argparse
import json
import resource
import selectors
import socket
import struct
import sys
import time
from array import array
from typing import Any

_HEAD_END = b"\r\n\r\n"
_STAMP = struct.Struct(">QQ")


class Session:
    """One connection: its unread bytes and what it has seen so far."""

    __slots__ = ("buffer", "count", "errors", "index", "next_by_publisher", "open", "sock")

    def __init__(self, sock: socket.socket, index: int) -> None:
        self.sock = sock
        self.index = index
        self.buffer = bytearray()
        self.open = False
        self.count = 0
        self.next_by_publisher: dict[str, int] = {}
        self.errors: list[str] = []


def _connect(port: int, path: str, index: int) -> Session:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    sock.setblocking(False)
    return Session(sock, index)


def take_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take the whole frames off the front of `buffer` at once: (opcode, payload) each."""
    frames = []
    position = 0
    size = len(buffer)
    while size - position >= 2:
        length = buffer[position + 1] & 0x7F
        start = position + 2
        if length == 126:
            if size - position < 4:
                break
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
            start = position + 4
        elif length == 127:
            if size - position < 10:
                break
            length = int.from_bytes(buffer[position + 2 : position + 10], "big")
            start = position + 10
        end = start + length
        if end > size:
            break
        frames.append((buffer[position] & 0x0F, bytes(buffer[start:end])))
        position = end
    del buffer[:position]
    return frames


def _pong(session: Session, payload: bytes) -> None:
    """Answer a ping (masked with a zero key, which leaves the payload as it is)."""
    try:
        session.sock.send(bytes([0x8A, 0x80 | len(payload), 0, 0, 0, 0]) + payload)
    except OSError as error:
        session.errors.append(f"pong failed: {error}")


class Fanout:
    """The sessions, their epoll loop, and the checks of one format."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.selector = selectors.DefaultSelector()
        self.sessions: list[Session] = []
        self.latencies = array("q")
        self.complete = 0
        self.opened = 0
        self.first_ns = 0
        self.last_ns = 0

    def connect_all(self) -> None:
        ports = self.args.port
        for index in range(self.args.sessions):
            session = _connect(ports[index % len(ports)], self.args.path, index)
            self.sessions.append(session)
            self.selector.register(session.sock, selectors.EVENT_READ, session)
            if index % 256 == 255:
                self.poll(0)

    def poll(self, timeout: float) -> None:
        now = 0
        for key, _ in self.selector.select(timeout):
            session: Session = key.data
            try:
                data = session.sock.recv(262144)
            except BlockingIOError:
                continue
            except OSError as error:
                data = b""
                session.errors.append(f"recv failed: {error}")
            if not data:
                self.selector.unregister(session.sock)
                if session.count < self.args.messages:
                    session.errors.append(f"closed after {session.count} messages")
                    self.complete += 1  # it will get no more
                continue
            session.buffer += data
            if not session.open:
                if _HEAD_END not in session.buffer:
                    continue
                head, _, rest = bytes(session.buffer).partition(_HEAD_END)
                if not head.startswith(b"HTTP/1.1 101"):
                    session.errors.append(head.split(b"\r\n")[0].decode())
                session.open = True
                self.opened += 1
                session.buffer = bytearray(rest)
            if now == 0:
                now = time.monotonic_ns()
            self.received(session, take_frames(session.buffer), now)

    def received(self, session: Session, frames: list[tuple[int, bytes]], now: int) -> None:
        chat = self.args.format == "chat"
        expected = self.args.messages
        for opcode, payload in frames:
            if opcode == 0x9:
                _pong(session, payload)
                continue
            if chat:
                if opcode != 0x1:
                    continue
                publisher, _, number = payload.decode().partition(":")
                wanted = session.next_by_publisher.get(publisher, 0)
                if int(number) != wanted and len(session.errors) < 5:
                    session.errors.append(f"{publisher}: got {number}, wanted {wanted}")
                session.next_by_publisher[publisher] = int(number) + 1
            else:
                if opcode == 0x1:
                    sequence, stamp = int(payload[:16], 16), int(payload[16:32], 16)
                else:
                    sequence, stamp = _STAMP.unpack_from(payload)
                if sequence != session.count and len(session.errors) < 5:
                    session.errors.append(f"got {sequence}, wanted {session.count}")
                self.latencies.append(now - stamp)
                if not self.first_ns:
                    self.first_ns = stamp
            session.count += 1
            if session.count == expected:
                self.complete += 1
                self.last_ns = now
            elif session.count > expected and len(session.errors) < 5:
                session.errors.append(f"message {session.count} of {expected}")

    def result(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)

        def percentile(fraction: float) -> float:
            if not latencies:
                return 0.0
            return latencies[min(len(latencies) - 1, int(len(latencies) * fraction))] / 1000

        errors = [f"session {s.index}: {e}" for s in self.sessions for e in s.errors][:10]
        return {
            "sessions": len(self.sessions),
            "complete": sum(s.count == self.args.messages for s in self.sessions),
            "messages": sum(s.count for s in self.sessions),
            "errors": errors,
            "p50_us": percentile(0.5),
            "p99_us": percentile(0.99),
            "first_ns": self.first_ns,
            "last_ns": self.last_ns,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, action="append", required=True)
    parser.add_argument("--path", default="/ws")
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--format", choices=["seq", "chat"], default="seq")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fanout = Fanout(args)
    fanout.connect_all()
    deadline = time.monotonic() + args.timeout
    while fanout.opened < args.sessions and time.monotonic() < deadline:
        fanout.poll(0.5)
    print(json.dumps({"ready": fanout.opened}), flush=True)
    while fanout.complete < args.sessions and time.monotonic() < deadline:
        fanout.poll(0.5)
    print(json.dumps(fanout.result()), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
