"""Worker processes: a supervisor that starts N workers, restarts the ones that die, and stops
or replaces them on signals.

- Each worker is a fresh interpreter (``spawn``) running `target(*args, channel)`; it sends
  ``("ready", pid)`` over `channel` once it listens, and exits `BOOT_FAILED` if it cannot start.
  It stops by itself when the supervisor's end of `channel` closes (the supervisor died).
- A worker that dies is restarted; one that dies within `CRASH_WINDOW` seconds of starting is
  restarted after a backoff that doubles up to `MAX_BACKOFF`.
- SIGTERM/SIGINT: every worker gets SIGTERM (a graceful shutdown), and whatever still runs after
  `shutdown_timeout` plus `KILL_MARGIN` gets SIGKILL; the supervisor then returns 0.
- SIGHUP (and a change under `watch`, with watchfiles): workers are replaced one by one, each
  new one listening before the old one gets SIGUSR1 (a graceful shutdown closing WebSocket
  sessions with 1012). A replacement that fails to start ends the round; the old ones stay.
- If a worker cannot start during the first start, the supervisor stops the others and
  returns 1: a bad app or a taken address does not become a restart loop.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["BOOT_FAILED", "Supervisor"]

logger = logging.getLogger("wsrs.supervisor")

BOOT_FAILED = 3
"""A worker's exit status when it could not start (its reason is already on stderr)."""
CRASH_WINDOW = 5.0
"""A worker dying this soon after it started counts towards a crash loop."""
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
KILL_MARGIN = 5.0
"""Seconds past the graceful-shutdown timeout before a worker is killed."""


@dataclass(eq=False)
class _Worker:
    slot: int
    process: BaseProcess
    channel: Connection
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    failure: str | None = None
    """Why it could not start, as it said over its channel."""


class Supervisor:
    """Runs `workers` copies of `target(*args, channel)` in child processes; see the module."""

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[Any, ...],
        *,
        workers: int,
        shutdown_timeout: float,
        on_ready: Callable[[], None] | None = None,
        on_failure: Callable[[str], object] | None = None,
        watch: Sequence[str] = (),
    ) -> None:
        self._target = target
        self._args = args
        self._count = workers
        self._shutdown_timeout = shutdown_timeout
        self._on_ready = on_ready
        self._on_failure = on_failure
        self._watch = tuple(watch)
        self._context = multiprocessing.get_context("spawn")
        self._current: dict[int, _Worker] = {}
        self._replacement: _Worker | None = None
        self._retiring: list[_Worker] = []
        self._respawn_at: dict[int, float] = {}
        self._failures: dict[int, int] = {}
        self._restart_queue: deque[int] = deque()
        self._requests: deque[str | None] = deque()
        """Restart rounds asked for (with why), or None: stop."""
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._booted = False

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> int:
        """Supervise until SIGTERM or SIGINT; 0 after a graceful stop, 1 if workers cannot start."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        }
        stop_watching = threading.Event()
        try:
            if self._watch:
                threading.Thread(
                    target=self._watch_files, args=(stop_watching,), daemon=True
                ).start()
            for slot in range(self._count):
                self._current[slot] = self._spawn(slot)
            return self._loop()
        finally:
            stop_watching.set()
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(self._wake_read)
            os.close(self._wake_write)

    def _loop(self) -> int:
        while True:
            now = time.monotonic()
            for slot, due in list(self._respawn_at.items()):
                if due <= now:
                    del self._respawn_at[slot]
                    self._current[slot] = self._spawn(slot)
            timeout = min((due - now for due in self._respawn_at.values()), default=None)
            workers = self._workers()
            waitables: list[Any] = [self._wake_read]
            waitables += [w.process.sentinel for w in workers]
            waitables += [w.channel for w in workers if not w.ready]
            wait(waitables, timeout=None if timeout is None else max(timeout, 0.0))
            while self._requests:
                why = self._requests.popleft()
                if why is None:
                    return 0
                self._begin_restart(why)
            _drain(self._wake_read)
            for worker in workers:
                if not worker.ready and worker.channel.poll():
                    self._on_message(worker)
            for worker in workers:
                if not worker.process.is_alive() and self._on_exit(worker):
                    return 1

    def _workers(self) -> list[_Worker]:
        workers = [*self._current.values(), *self._retiring]
        if self._replacement is not None:
            workers.append(self._replacement)
        return workers

    def _spawn(self, slot: int) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=self._target, args=(*self._args, theirs), name=f"wsrs-worker-{slot}"
        )
        process.start()
        theirs.close()
        return _Worker(slot, process, ours)

    def _on_message(self, worker: _Worker) -> bool:
        """Take in what `worker` said; False once its channel has ended."""
        try:
            message = worker.channel.recv()
        except (EOFError, OSError):
            return False  # it died: its exit is handled next
        if not isinstance(message, tuple) or not message:
            return True
        if message[0] == "failed":
            worker.failure = str(message[1])
            return True
        if message[0] != "ready":
            return True
        worker.ready = True
        logger.info("worker %d listening (pid %d)", worker.slot, worker.process.pid)
        if worker is self._replacement:
            old = self._current[worker.slot]
            self._current[worker.slot] = worker
            self._replacement = None
            self._retire(old, signal.SIGUSR1)
            logger.info("worker %d restarted (pid %d)", worker.slot, worker.process.pid)
            self._next_restart()
        elif not self._booted and all(w.ready for w in self._current.values()):
            self._booted = True
            if self._on_ready is not None:
                self._on_ready()
        return True

    def _on_exit(self, worker: _Worker) -> bool:
        """Handle a worker that exited; True when the supervisor must give up."""
        while worker.channel.poll() and self._on_message(worker):
            pass  # what it said just before it exited
        worker.process.join()
        worker.channel.close()
        code = worker.process.exitcode
        why = f": {worker.failure}" if worker.failure else ""
        if worker in self._retiring:
            self._retiring.remove(worker)
            logger.info("worker %d (pid %s) stopped", worker.slot, worker.process.pid)
            return False
        if worker is self._replacement:
            self._replacement = None
            self._restart_queue.clear()
            logger.error(
                "the new worker %d exited with status %s before listening%s; "
                "keeping the running workers",
                worker.slot,
                code,
                why,
            )
            return False
        del self._current[worker.slot]
        if not self._booted:
            if worker.failure is not None and self._on_failure is not None:
                self._on_failure(worker.failure)
            else:
                logger.error("worker %d could not start (status %s)", worker.slot, code)
            if self._watch:
                logger.info("waiting for a change to start again")
                return False
            return True
        quick = time.monotonic() - worker.started < CRASH_WINDOW
        failures = self._failures.get(worker.slot, 0) + 1 if quick else 0
        self._failures[worker.slot] = failures
        delay = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF) if failures else 0.0
        logger.error(
            "worker %d (pid %s) exited with status %s%s; restarting it in %.1f s",
            worker.slot,
            worker.process.pid,
            code,
            why,
            delay,
        )
        self._respawn_at[worker.slot] = time.monotonic() + delay
        return False

    # --- restarting and stopping --------------------------------------------------------

    def _begin_restart(self, why: str) -> None:
        if self._restart_queue or self._replacement is not None:
            return  # a round is already going on
        if not self._booted:  # a first start that failed (with --reload): try it again
            for slot in range(self._count):
                if slot not in self._current:
                    self._current[slot] = self._spawn(slot)
            return
        logger.info("%s: restarting the workers one by one", why)
        self._restart_queue.extend(sorted(self._current))
        self._next_restart()

    def _next_restart(self) -> None:
        while self._restart_queue:
            slot = self._restart_queue.popleft()
            if slot in self._current:
                self._replacement = self._spawn(slot)
                return

    def _retire(self, worker: _Worker, signum: int) -> None:
        self._retiring.append(worker)
        _signal(worker, signum)

    def _stop_all(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still running after the timeout."""
        workers = self._workers()
        for worker in workers:
            _signal(worker, signal.SIGTERM)
        deadline = time.monotonic() + self._shutdown_timeout + KILL_MARGIN
        for worker in workers:
            worker.process.join(max(deadline - time.monotonic(), 0.0))
            if worker.process.is_alive():
                logger.warning("worker %d did not stop in time: killing it", worker.slot)
                worker.process.kill()
                worker.process.join()
            worker.channel.close()
        self._current.clear()
        self._retiring.clear()
        self._replacement = None

    # --- requests from signal handlers and the file watcher --------------------------------

    def _on_signal(self, signum: int, frame: object) -> None:
        self._request(signal.Signals(signum).name if signum == signal.SIGHUP else None)

    def _request(self, restart_why: str | None) -> None:
        """Ask the loop for a restart round (saying why), or with None to stop."""
        self._requests.append(restart_why)
        with contextlib.suppress(BlockingIOError):  # the loop is already due to wake up
            os.write(self._wake_write, b"!")

    def _watch_files(self, stop: threading.Event) -> None:
        import watchfiles  # only with --reload

        for changes in watchfiles.watch(
            *self._watch, watch_filter=watchfiles.PythonFilter(), stop_event=stop
        ):
            here = os.getcwd() + os.sep
            paths = sorted({path.removeprefix(here) for _, path in changes})
            self._request(f"changed: {', '.join(paths)}")


def _signal(worker: _Worker, signum: int) -> None:
    if worker.process.pid is not None and worker.process.is_alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.process.pid, signum)


def _drain(fd: int) -> None:
    """Read every wake-up byte written so far."""
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 512):
            pass
