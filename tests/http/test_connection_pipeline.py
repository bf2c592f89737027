"""`start_connection_pipeline` and the chunked streams over plain anyio byte streams (real TCP)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.abc
import pytest

from tests.helpers import read_until_closed, tcp_pair
from wsrs import (
    RemoteProtocolError,
    Request,
    Response,
    TimeoutQueue,
    Timers,
    decode_chunked,
    encode_chunked,
    start_connection_pipeline,
)
from wsrs.http._connection import _shared_local

pytestmark = pytest.mark.anyio


async def test_pipeline_over_byte_streams_answers_in_order_and_times_out_when_idle() -> None:
    async def handler(request: Request) -> Response:
        if request.path == "/slow":
            await anyio.sleep(0.05)
        return Response.text(request.path)

    async with (
        tcp_pair() as (client, server),
        Timers.open() as timers,
        anyio.create_task_group() as tg,
    ):
        job = start_connection_pipeline(
            tg, server, server, TimeoutQueue(0.2, timers), handler, timers=timers
        )
        await client.send(
            b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        with anyio.fail_after(5):
            data = await read_until_closed(client)
            await job.wait()
    assert data.index(b"/slow") < data.index(b"/fast")
    assert data.count(b"HTTP/1.1 200 OK") == 2


async def test_decode_chunked_streams_the_data_and_keeps_what_follows() -> None:
    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        job = decode_chunked(tg, server)
        await client.send(b'5;name="va lue"\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\nNEXT')
        body = b""
        async for piece in job.channel:
            body += piece
        await job.done
    assert body == b"hello world"
    assert job.trailers.get("x-sum") == "1"
    assert job.remaining == b"NEXT"


async def test_decode_chunked_fails_the_stream_on_malformed_input() -> None:
    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        job = decode_chunked(tg, server)
        await client.send(b"5\r\nhelloXX0\r\n\r\n")
        with pytest.raises(RemoteProtocolError):
            async for _ in job.channel:
                pass


async def test_decode_chunked_fails_when_the_input_ends_early() -> None:
    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        job = decode_chunked(tg, server)
        await client.send(b"5\r\nhel")
        await client.send_eof()
        with pytest.raises(RemoteProtocolError):
            async for _ in job.channel:
                pass


async def test_encode_chunked_round_trips_through_decode_chunked() -> None:
    pieces = [b"123", b"", b"45", b"6" * 70000]

    async def source() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        job = decode_chunked(tg, server)
        await encode_chunked(client, source(), [("X-Done", "yes")])
        body = b""
        async for piece in job.channel:
            body += piece
    assert body == b"".join(pieces)
    assert job.trailers.get("X-Done") == "yes"


def test_local_addresses_are_shared_after_many_listeners_came_and_went() -> None:
    for port in range(1000, 1200):
        _shared_local(("127.0.0.1", port))
    first = _shared_local(("127.0.0.1", 8080))
    again = _shared_local(("127.0.0.1", 8080))
    assert again == ("127.0.0.1", 8080)
    assert again is first
