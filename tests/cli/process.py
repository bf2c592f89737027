"""`wsrs serve` as a child process: started, read for its "serving" line and its log lines as
they come, signalled, and waited for."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc

ROOT = Path(__file__).resolve().parents[2]
"""The repository: `tests.cli.sample_app` is importable from here."""
SAMPLE = "tests.cli.sample_app:app"


class Served:
    """A running ``wsrs serve``: its address, and what it has written to stderr so far."""

    def __init__(self, process: anyio.abc.Process) -> None:
        self.process = process
        self.banner = ""
        self.stderr = ""
        self._news = anyio.Event()

    @property
    def port(self) -> int:
        return int(self.banner.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for chunk in self.process.stderr:
            self.stderr += chunk.decode(errors="replace")
            self._news.set()
            self._news = anyio.Event()
        self._news.set()

    async def wait_for_log(self, text: str, count: int = 1, timeout: float = 30) -> None:
        """Wait until `text` has appeared `count` times on stderr."""
        with anyio.fail_after(timeout):
            while self.stderr.count(text) < count:
                if self.process.returncode is not None:
                    raise AssertionError(f"exited waiting for {text!r}:\n{self.stderr}")
                await self._news.wait()

    async def stop(self, signum: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        """Send `signum` and return the exit status."""
        self.process.send_signal(signum)
        with anyio.fail_after(timeout):
            return await self.process.wait()


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wsrs", "serve", *args]


@asynccontextmanager
async def wsrs_serve(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, pass_fds: Sequence[int] = ()
) -> AsyncIterator[Served]:
    """``wsrs serve ARGS`` until its "serving" line; killed afterwards if still running."""
    environment = {**os.environ, **(env or {})}
    process = await anyio.open_process(command(*args), env=environment, cwd=cwd, pass_fds=pass_fds)
    served = Served(process)
    async with process, anyio.create_task_group() as tg:
        tg.start_soon(served._read_stderr)
        assert process.stdout is not None
        banner = b""
        try:
            with anyio.fail_after(60):
                while b"\n" not in banner:
                    chunk = await process.stdout.receive()
                    banner += chunk
        except (anyio.EndOfStream, TimeoutError):
            await process.wait()
            raise AssertionError(f"no serving line:\n{served.stderr}") from None
        served.banner = banner.decode()
        try:
            yield served
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            tg.cancel_scope.cancel()


async def run_to_exit(*args: str, timeout: float = 60) -> tuple[int, str, str]:
    """Run ``wsrs serve ARGS`` to its end: status, stdout, stderr."""
    with anyio.fail_after(timeout):
        result = await anyio.run_process(command(*args), cwd=ROOT, check=False)
    return result.returncode, result.stdout.decode(), result.stderr.decode()
