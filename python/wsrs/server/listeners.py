"""Listening sockets made before a server starts: TCP (optionally ``SO_REUSEPORT``), a Unix
socket path, or an inherited file descriptor. Worker processes and the command line bind with
these so that a port in use is reported before any worker starts."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from typing import Any

__all__ = ["REUSE_PORT", "bind_tcp", "bind_unix", "from_fd", "remove_unix"]

REUSE_PORT = hasattr(socket, "SO_REUSEPORT") and os.uname().sysname == "Linux"
"""True where ``SO_REUSEPORT`` spreads connections across listeners (Linux)."""


def bind_tcp(
    host: str, port: int, *, reuse_port: bool = False, backlog: int = 1024, listen: bool = True
) -> socket.socket:
    """A TCP socket bound to `host`:`port` (the first address `host` resolves to).

    With `listen=False` the socket only holds the address: on Linux, ``SO_REUSEPORT`` listeners
    bound later to the same port by the same user share it, and nothing is accepted on this one.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    options = [(socket.SOL_SOCKET, socket.SO_REUSEADDR)]
    if reuse_port:
        options.append((socket.SOL_SOCKET, socket.SO_REUSEPORT))
    if family == socket.AF_INET6:
        options.append((socket.IPPROTO_IPV6, socket.IPV6_V6ONLY))
    return _bound(sock, address, options, backlog if listen else None)


def bind_unix(path: str, *, backlog: int = 1024) -> socket.socket:
    """A listening Unix socket at `path`; a stale socket file nobody listens on is replaced.

    Raises:
        OSError: ``EADDRINUSE`` when a server already listens at `path`, or `path` is not a
            socket.
    """
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISSOCK(os.stat(path).st_mode):
            raise OSError(errno.EADDRINUSE, f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)
        else:
            raise OSError(errno.EADDRINUSE, f"a server already listens at {path}")
        finally:
            probe.close()
    return _bound(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), path, [], backlog)


def _bound(
    sock: socket.socket, address: Any, options: list[tuple[int, int]], backlog: int | None
) -> socket.socket:
    """`sock` with `options` set, bound to `address`, listening unless `backlog` is None."""
    try:
        for level, option in options:
            sock.setsockopt(level, option, 1)
        sock.bind(address)
        if backlog is not None:
            sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def remove_unix(path: str) -> None:
    """Remove the socket file at `path` if it is still there."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)


def from_fd(fd: int) -> socket.socket:
    """The listening socket an outer process (systemd, a supervisor) passed as descriptor `fd`.

    Raises:
        OSError: `fd` is not an open stream socket.
    """
    sock = socket.socket(fileno=fd)
    if sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise OSError(errno.ENOTSOCK, f"file descriptor {fd} is not a stream socket")
    sock.setblocking(False)
    return sock
