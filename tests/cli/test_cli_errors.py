"""Bad arguments and apps that cannot be served: one clear line on stderr, status 2 for usage
and 1 for what fails at run time, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli.process import SAMPLE, run_to_exit

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nocolon"], "app must be MODULE:ATTR, not 'nocolon'"),
        (["--factory"], "--factory needs an app"),
        (["--uds", "/tmp/x.sock", "--fd", "3"], "--uds and --fd cannot be used together"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--reload", "--workers", "2", "--port", "1"], "--reload and --workers"),
        (["--port", "70000"], "--port must be 0 to 65535"),
        (["--ssl-keyfile", "key.pem"], "--ssl-keyfile and --ssl-certfile go together"),
        (["--env-file", "/nonexistent/.env"], "--env-file: no such file"),
        (["--root-path", "api"], "--root-path must start with '/'"),
        (["--limit-concurrency", "0"], "--limit-concurrency must be at least 1"),
        (["--backend", "tornado"], "invalid choice: 'tornado'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
async def test_bad_usage_exits_2_with_one_line(args: list[str], message: str) -> None:
    status, _, stderr = await run_to_exit(*args)
    assert status == 2
    assert message in stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith(("wsrs serve: error:", "wsrs: error:"))


@pytest.fixture
def broken_apps(tmp_path: Path) -> Path:
    (tmp_path / "raises_on_import.py").write_text("x = 1\nraise RuntimeError('no database')\n")
    (tmp_path / "bad_syntax.py").write_text("def f(:\n")
    (tmp_path / "not_an_app.py").write_text("app = 42\n\ndef make():\n    raise ValueError('x')\n")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_module:app"], "cannot import 'no_such_module': no such module"),
        (["raises_on_import:app"], "RuntimeError: no database"),
        (["bad_syntax:app"], "SyntaxError"),
        (["not_an_app:missing"], "module 'not_an_app' has no attribute 'missing'"),
        (["not_an_app:app"], "not_an_app:app is neither a wsrs.App nor an ASGI 3 app: int"),
        (["not_an_app:make"], "is it a factory (--factory)?"),
        (["--factory", "not_an_app:make"], "the factory not_an_app:make failed: ValueError: x"),
        (["--factory", "not_an_app:app"], "--factory: not_an_app:app is not callable"),
    ],
)
async def test_an_app_that_cannot_be_loaded_exits_1_with_one_line(
    broken_apps: Path, args: list[str], message: str
) -> None:
    status, _, stderr = await run_to_exit("--app-dir", str(broken_apps), "--port", "0", *args)
    assert status == 1
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [stderr.strip()]
    assert message in stderr


async def test_the_wrong_interface_is_refused() -> None:
    status, _, stderr = await run_to_exit("--interface", "asgi", "--port", "0", SAMPLE)
    assert status == 1
    assert "is a wsrs.App, not an ASGI app" in stderr


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_a_port_in_use_exits_1(workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        status, _, stderr = await run_to_exit("--port", port, "--workers", workers, SAMPLE)
    assert status == 1
    assert f"cannot listen on http://127.0.0.1:{port}/: Address already in use" in stderr
    assert "Traceback" not in stderr


async def test_a_bad_fd_exits_1() -> None:
    status, _, stderr = await run_to_exit("--fd", "97", SAMPLE)
    assert status == 1
    assert "--fd 97: Bad file descriptor" in stderr
