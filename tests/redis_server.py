"""A throwaway `redis-server` (Debian's package) on a free loopback port, for tests and benches.

It runs with no persistence (``--save "" --appendonly no``) and no config file, is never a
system service, and can be stopped and started again on the same port to stage an outage.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from types import TracebackType

__all__ = ["RedisServer", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """`redis-server` on 127.0.0.1:`port`; `start()` returns once it accepts connections."""

    def __init__(self, port: int | None = None) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is missing: `make system-deps` installs it")
        self.executable = executable
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None
        self._drain: threading.Thread | None = None

    def start(self) -> None:
        """Start the server and wait for its "Ready to accept connections" line."""
        process = subprocess.Popen(
            [
                self.executable,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--loglevel", "notice",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._process = process
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if b"Ready to accept connections" in line:
                # Keep reading its log, so that a full pipe never stalls the server.
                self._drain = threading.Thread(target=process.stdout.read, daemon=True)
                self._drain.start()
                return
        process.wait()
        process.stdout.close()
        self._process = None
        raise RuntimeError(f"redis-server did not start: {b''.join(seen[-5:]).decode()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM) and wait for it to exit."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(10)
            if self._drain is not None:
                self._drain.join(10)
            assert process.stdout is not None
            process.stdout.close()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
