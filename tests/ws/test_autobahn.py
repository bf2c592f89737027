"""The Autobahn TestSuite (through kosoku) against the wsrs server and the wsrs client.

Every case must end OK or INFORMATIONAL, for the messages and for the close: no FAILED, no
UNCLEAN, no WRONG CODE, and no NON-STRICT either, since UTF-8 is validated as bytes arrive. The
compression cases (12.* and 13.*: permessage-deflate with windows 9 and 15, context takeover
kept and reset, several offers) run with every message compressed (`min_size=0`): kosoku's
12/13 cases also fail on an echo that comes back uncompressed, which a smaller message would.

`make test` runs cases 1-10 and a slice of 12 and 13 (one case per kind of offer, data and
fragmentation); `make autobahn` (``AUTOBAHN=full``) runs all of them. kosoku runs on an asyncio
loop in a worker thread, so the wsrs side runs on asyncio, uvloop and trio.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
import kosoku
import pytest

from tests.every_loop import every_loop  # noqa: F401 (the fixture, by import)
from tests.helpers import asyncio_thread, serving, websocket_app
from wsrs import ConnectionClosed, DefaultWebSocketSession, Deflate, connect

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    # kosoku's 12/13 cases read their data files without closing them.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in.*autobahntestsuite/testdata"
        ":pytest.PytestUnraisableExceptionWarning"
    ),
]

PLAIN = ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"]
COMPRESSION_SLICE = [
    "12.1.1",  # JSON, 16 B
    "12.2.11",  # a bitmap, 8 KiB in 256-byte fragments
    "12.3.5",  # prose, 4 KiB
    "13.2.3",  # no context takeover asked for
    "13.3.4",  # window 9
    "13.4.6",  # window 15, 8 KiB
    "13.5.12",  # window 9 and no context takeover, fragmented
    "13.7.2",  # three offers, the first one accepted
]
FULL = os.environ.get("AUTOBAHN") == "full"
CASES = [*PLAIN, "12.*", "13.*"] if FULL else PLAIN + COMPRESSION_SLICE
STRICT = {"OK", "INFORMATIONAL"}
MAX_SIZE = 64 * 1024 * 1024
EVERY_MESSAGE = Deflate(min_size=0)
CLIENT_CONCURRENCY = 4


def verdicts(results: list[Any]) -> list[str]:
    """Every case that is not strictly OK, as 'case: behavior / close' lines."""
    return [
        f"{result.case_id}: {result.behavior.value} / {result.behavior_close.value}"
        for result in results
        if result.behavior.value not in STRICT or result.behavior_close.value not in STRICT
    ]


async def echo(ws: DefaultWebSocketSession) -> None:
    async for message in ws:
        await ws.send(message)


async def fuzzingclient(url: str) -> list[Any]:
    try:
        results: list[Any] = await kosoku.run_fuzzingclient(url, cases=CASES, concurrency=4)
    except kosoku.FailureError as failure:
        return failure.results
    return results


async def test_server_passes_every_case_strictly() -> None:
    app = websocket_app(echo, "/")
    options = {"max_frame_size": MAX_SIZE, "ping_interval": None, "compression": EVERY_MESSAGE}
    async with serving(app, **options) as server:
        with asyncio_thread() as thread:
            results = await thread.call(fuzzingclient(f"ws://127.0.0.1:{server.port}/"), 3600)
    assert len(results) > 200
    assert verdicts(results) == []


RESET_ASKED = ["13.2.*", "13.5.*", "13.6.*"] if FULL else ["13.2.3", "13.5.12"]
"""Cases whose fuzzing server accepts an offer only if it carries `client_no_context_takeover`
(Autobahn reads it as the client's consent to be asked to reset): the client offers it there."""


async def run_case(url: str, compression: Deflate) -> None:
    """Echo what the fuzzing server sends for one case, until it closes."""
    async with connect(
        url, max_frame_size=MAX_SIZE, ping_interval=None, compression=compression
    ) as ws:
        try:
            async for message in ws:
                await ws.send(message)
        except ConnectionClosed:
            pass


async def client_run(
    cases: list[str], exclude: list[str], compression: Deflate
) -> tuple[int, list[Any]]:
    """The case count and results of one fuzzing server run against the wsrs client."""
    with asyncio_thread() as thread:
        fuzzer = kosoku.run_fuzzingserver(cases=cases, exclude_cases=exclude, port=0)
        await thread.call(fuzzer.__aenter__())
        try:
            base = f"ws://127.0.0.1:{fuzzer.port}"
            async with connect(f"{base}/getCaseCount") as ws:
                count = int(await ws.receive())
            slots = anyio.Semaphore(CLIENT_CONCURRENCY)

            async def case(number: int) -> None:
                async with slots:
                    await run_case(f"{base}/runCase?case={number}&agent=wsrs", compression)

            async with anyio.create_task_group() as tasks:
                for number in range(1, count + 1):
                    tasks.start_soon(case, number)
            async with connect(f"{base}/updateReports?agent=wsrs"):
                pass
            results: list[Any] = await thread.call(fuzzer.get_result(), 300)
        finally:
            await thread.call(fuzzer.__aexit__(None, None, None))
    return count, results


async def test_client_passes_every_case_strictly() -> None:
    plain_count, plain = await client_run(CASES, RESET_ASKED, EVERY_MESSAGE)
    reset = Deflate(min_size=0, client_no_context_takeover=True)
    reset_count, resetting = await client_run(RESET_ASKED, [], reset)
    results = plain + resetting
    assert len(results) == plain_count + reset_count > 200
    assert verdicts(results) == []
