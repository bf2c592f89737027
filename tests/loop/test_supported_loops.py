"""Outside asyncio and trio, `serve` and `connect` say so at once instead of failing later; on
asyncio they work while another thread is still importing trio (to run its own loop)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Coroutine
from typing import Any

import pytest

import wsrs


def run_without_asyncio_or_trio(coroutine: Coroutine[Any, Any, object]) -> object:
    """A minimal coroutine runner of its own (as curio or a hand-rolled loop is): no asyncio loop
    and no trio task is running while it steps the coroutine."""
    try:
        while True:
            coroutine.send(None)
    except StopIteration as done:
        return done.value
    finally:
        coroutine.close()


async def enter_server() -> None:
    async with wsrs.serve(wsrs.App(), "127.0.0.1", 0):
        pass


async def open_client() -> None:
    async with wsrs.connect("ws://127.0.0.1:9/"):
        pass


@pytest.mark.parametrize(
    ("entry", "api"), [(enter_server, "wsrs.serve"), (open_client, "wsrs.connect")]
)
def test_entry_points_refuse_a_foreign_coroutine_runner_with_a_clear_error(
    entry: Any, api: str
) -> None:
    with pytest.raises(wsrs.UnsupportedEventLoop, match=f"^{api} runs on asyncio") as raised:
        run_without_asyncio_or_trio(entry())
    assert isinstance(raised.value, RuntimeError)
    assert isinstance(raised.value, wsrs.WsrsError)


# A thread starts importing trio and is held inside it (trio is in sys.modules, half made) while
# the main thread serves on asyncio.
SERVE_WHILE_TRIO_IMPORTS = """
import asyncio, importlib.abc, importlib.machinery, sys, threading
import wsrs

inside, release = threading.Event(), threading.Event()

class HoldTrioImport(importlib.abc.MetaPathFinder):
    # Held while trio._core runs, outside the import system's global lock.
    def find_spec(self, name, path, target=None):
        if name != "trio._core":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module

        def exec_module(module):
            inside.set()
            release.wait(30)
            run(module)

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, HoldTrioImport())
importer = threading.Thread(target=__import__, args=("trio",))
importer.start()
assert inside.wait(30)
assert "trio" in sys.modules

async def main():
    async with wsrs.serve(wsrs.App(), "127.0.0.1", 0):
        pass

try:
    asyncio.run(main())
finally:
    release.set()
    importer.join()
print("served")
"""


def test_asyncio_serves_while_another_thread_is_importing_trio() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_WHILE_TRIO_IMPORTS],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "served\n"
