"""The Autobahn TestSuite (through kosoku) against the wsrs server and the wsrs client.

Every case outside 12.* and 13.* (permessage-deflate, which wsrs does not negotiate) must end
OK or INFORMATIONAL, for the messages and for the close: no FAILED, no UNCLEAN, no WRONG CODE,
and no NON-STRICT either, since UTF-8 is validated as bytes arrive. kosoku runs on an asyncio
loop in a worker thread, so the wsrs side runs on asyncio and on trio.
"""

from __future__ import annotations

from typing import Any

import kosoku
import pytest

from tests.helpers import asyncio_thread, serving, websocket_app
from wsrs import ConnectionClosed, DefaultWebSocketSession, connect

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

EXCLUDED = ["12.*", "13.*"]
STRICT = {"OK", "INFORMATIONAL"}
MAX_SIZE = 64 * 1024 * 1024


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
        results: list[Any] = await kosoku.run_fuzzingclient(
            url, exclude_cases=EXCLUDED, concurrency=4
        )
    except kosoku.FailureError as failure:
        return failure.results
    return results


async def test_server_passes_every_case_strictly() -> None:
    app = websocket_app(echo, "/")
    async with serving(app, max_frame_size=MAX_SIZE, ping_interval=None) as server:
        with asyncio_thread() as thread:
            results = await thread.call(fuzzingclient(f"ws://127.0.0.1:{server.port}/"), 900)
    assert len(results) > 200
    assert verdicts(results) == []


async def test_client_passes_every_case_strictly() -> None:
    with asyncio_thread() as thread:
        fuzzer = kosoku.run_fuzzingserver(exclude_cases=EXCLUDED, port=0)
        await thread.call(fuzzer.__aenter__())
        try:
            base = f"ws://127.0.0.1:{fuzzer.port}"
            async with connect(f"{base}/getCaseCount") as ws:
                count = int(await ws.receive())
            for case in range(1, count + 1):
                url = f"{base}/runCase?case={case}&agent=wsrs"
                async with connect(url, max_frame_size=MAX_SIZE, ping_interval=None) as ws:
                    try:
                        async for message in ws:
                            await ws.send(message)
                    except ConnectionClosed:
                        pass
            async with connect(f"{base}/updateReports?agent=wsrs"):
                pass
            results: list[Any] = await thread.call(fuzzer.get_result(), 300)
        finally:
            await thread.call(fuzzer.__aexit__(None, None, None))
    assert len(results) == count
    assert verdicts(results) == []
