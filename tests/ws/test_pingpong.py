"""`pinger` and `ponger` as reusable pieces, driven through memory streams."""

from __future__ import annotations

import math

import anyio
import pytest

from wsrs import CloseReason, Frame, FrameType, pinger, ponger

pytestmark = pytest.mark.anyio


async def test_ponger_answers_every_ping_with_its_payload() -> None:
    sent_in, sent_out = anyio.create_memory_object_stream[Frame](math.inf)
    with sent_in, sent_out:
        async with anyio.create_task_group() as tg:
            pings = ponger(tg, sent_in)
            for number in range(5):
                await pings.send(Frame.ping(b"%d" % number))
            pongs = [await sent_out.receive() for _ in range(5)]
            pings.close()
    assert [(pong.frame_type, pong.data) for pong in pongs] == [
        (FrameType.PONG, b"%d" % number) for number in range(5)
    ]


async def test_pinger_accepts_only_the_exact_pong_and_keeps_pinging() -> None:
    sent_in, sent_out = anyio.create_memory_object_stream[Frame](math.inf)
    timeouts: list[CloseReason] = []
    with sent_in, sent_out:
        async with anyio.create_task_group() as tg:
            pongs = pinger(tg, sent_in, 0.01, 1.0, timeouts.append)
            previous = b""
            for _ in range(3):
                ping = await sent_out.receive()
                assert ping.frame_type == FrameType.PING
                assert len(ping.data) == 76
                assert ping.data != previous
                previous = ping.data
                await pongs.send(Frame.pong(b"not it"))
                await pongs.send(Frame.pong(ping.data))
            pongs.close()
    assert timeouts == []


async def test_pinger_reports_a_timeout_once_and_stops() -> None:
    sent_in, sent_out = anyio.create_memory_object_stream[Frame](math.inf)
    timeouts: list[CloseReason] = []
    with sent_in, sent_out:
        async with anyio.create_task_group() as tg:
            pongs = pinger(tg, sent_in, 0.01, 0.05, timeouts.append)
            await sent_out.receive()
        with pytest.raises(anyio.WouldBlock):
            sent_out.receive_nowait()
        pongs.close()
    assert timeouts == [CloseReason(1011, "Ping timeout")]
