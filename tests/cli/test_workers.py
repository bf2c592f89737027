"""`wsrs serve --workers N` and `--reload` as processes: respawning, graceful stops, rolling
restarts, and files picked up on change."""

from __future__ import annotations

import os
import signal
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import httpx
import pytest

from tests.cli.process import SAMPLE, wsrs_serve
from wsrs import ConnectionClosed, DefaultWebSocketSession, connect

pytestmark = pytest.mark.anyio

Sessions = dict[int, list[DefaultWebSocketSession]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def get_text(url: str) -> str:
    """GET `url` on a new connection."""
    async with httpx.AsyncClient() as http:
        return (await http.get(url)).text


async def open_sessions(port: int, stack: AsyncExitStack, count: int) -> Sessions:
    """`count` WebSocket sessions, grouped by the pid of the worker that serves each."""
    by_pid: Sessions = {}
    for _ in range(count):
        ws = await stack.enter_async_context(connect(f"ws://127.0.0.1:{port}/ws"))
        await ws.send("pid")
        pid = int(await ws.receive())
        by_pid.setdefault(pid, []).append(ws)
    return by_pid


@pytest.mark.parametrize("backend", ["uvloop", "trio"])
async def test_a_killed_worker_is_respawned_and_the_others_sessions_go_on(backend: str) -> None:
    args = ("--port", "0", "--workers", "2", "--backend", backend, SAMPLE)
    async with wsrs_serve(*args) as served:
        assert f"({backend}, 2 workers)" in served.banner
        await served.wait_for_log("listening (pid", count=2)
        async with AsyncExitStack() as stack:
            by_pid: Sessions = {}
            while len(by_pid) < 2:  # connections spread over both workers' listeners
                for pid, sessions in (await open_sessions(served.port, stack, 4)).items():
                    by_pid.setdefault(pid, []).extend(sessions)
            victim, survivor = sorted(by_pid)
            os.kill(victim, signal.SIGKILL)
            for ws in by_pid[victim]:
                with pytest.raises(ConnectionClosed):
                    await ws.receive()
                assert (await ws.close_reason).code == 1006
            for ws in by_pid[survivor]:
                await ws.send("still here")
                assert await ws.receive() == "still here"
            await served.wait_for_log("exited with status -9; restarting it")
            await served.wait_for_log("listening (pid", count=3)
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"{served.url}/hello")).status_code == 200
        assert await served.stop() == 0


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_sigterm_closes_every_open_session_with_1001_and_exits_0(workers: str) -> None:
    async with wsrs_serve("--port", "0", "--workers", workers, SAMPLE) as served:
        if workers != "1":  # one worker runs in the process itself
            await served.wait_for_log("listening (pid", count=int(workers))
        async with AsyncExitStack() as stack:
            by_pid = await open_sessions(served.port, stack, 6)
            served.process.send_signal(signal.SIGTERM)
            for sessions in by_pid.values():
                for ws in sessions:
                    with anyio.fail_after(30), pytest.raises(ConnectionClosed):
                        await ws.receive()
                    assert (await ws.close_reason).code == 1001
        with anyio.fail_after(30):
            assert await served.process.wait() == 0


async def test_sighup_restarts_the_workers_one_by_one_with_1012() -> None:
    async with wsrs_serve("--port", "0", "--workers", "2", SAMPLE) as served:
        await served.wait_for_log("listening (pid", count=2)
        async with AsyncExitStack() as stack:
            before = await open_sessions(served.port, stack, 4)
            served.process.send_signal(signal.SIGHUP)
            await served.wait_for_log("restarted (pid", count=2)
            await served.wait_for_log(") stopped", count=2)  # only the new workers listen now
            for sessions in before.values():
                for ws in sessions:
                    with anyio.fail_after(30), pytest.raises(ConnectionClosed):
                        await ws.receive()
                    assert (await ws.close_reason).code == 1012
            after = await open_sessions(served.port, stack, 4)
        assert await served.stop() == 0
    assert not set(after) & set(before)


async def test_a_worker_that_cannot_load_the_app_stops_the_supervisor(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise ImportError('missing driver')\n")
    from tests.cli.process import run_to_exit

    status, _, stderr = await run_to_exit(
        "--port", "0", "--workers", "2", "--app-dir", str(tmp_path), "broken:app"
    )
    assert status == 1
    assert stderr.count("wsrs: error: cannot import 'broken': ImportError: missing driver") == 1
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr


async def test_reload_picks_up_an_edited_file(tmp_path: Path) -> None:
    module = tmp_path / "reloaded_app.py"
    source = (Path(__file__).parent / "sample_app.py").read_text()
    module.write_text(source)
    args = ("--port", "0", "--reload", "--reload-dir", str(tmp_path))
    async with wsrs_serve(*args, "--app-dir", str(tmp_path), "reloaded_app:app") as served:
        assert "reloading" in served.banner
        await served.wait_for_log("listening (pid")
        before = await get_text(f"{served.url}/hello")
        module.write_text(source.replace("Hello, World!", "Edited!"))
        await served.wait_for_log(") stopped")  # the new worker listens, the old one is gone
        after = await get_text(f"{served.url}/hello")
        module.write_text("def broken(:\n")
        await served.wait_for_log("keeping the running workers")
        still = await get_text(f"{served.url}/hello")
        assert await served.stop() == 0
    assert (before, after, still) == ("Hello, World!", "Edited!", "Edited!")
    assert "before listening: cannot import 'reloaded_app': SyntaxError" in served.stderr


def pids_of_slot(stderr: str, slot: int) -> list[int]:
    """The pids the supervisor reported listening for worker `slot`, in order."""
    marker = f"worker {slot} listening (pid "
    return [
        int(line.split(marker, 1)[1].rstrip(")")) for line in stderr.splitlines() if marker in line
    ]


async def test_a_worker_dying_again_and_again_is_restarted_ever_later() -> None:
    async with wsrs_serve("--port", "0", "--workers", "2", SAMPLE) as served:
        await served.wait_for_log("worker 0 listening (pid")
        for crash, delay in enumerate(("0.5", "1.0", "2.0"), 1):
            os.kill(pids_of_slot(served.stderr, 0)[-1], signal.SIGKILL)
            await served.wait_for_log(f"; restarting it in {delay} s")
            await served.wait_for_log("worker 0 listening (pid", count=crash + 1)
        assert len(set(pids_of_slot(served.stderr, 0))) == 4
        assert await served.stop() == 0
