"""`StreamTransport` over a real TCP connection: what a consumer is handed and when.

A buffered consumer (`get_buffer`/`buffer_updated`, as sessions are) is read into its own memory
on trio's plain sockets; a plain consumer gets `bytes`. Either way every byte arrives in order,
EOF is reported, reading stops while paused, and `connection_lost` runs exactly once.
"""

from __future__ import annotations

import os
import socket
import struct

import anyio
import anyio.abc
import anyio.lowlevel
import pytest

from tests.helpers import tcp_pair
from wsrs._loop.sync import running_trio
from wsrs._loop.transport import StreamTransport

pytestmark = pytest.mark.anyio


class Plain:
    """A consumer of `bytes` (`data_received`) that records what happens to it."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.eof = anyio.Event()
        self.lost: list[Exception | None] = []
        self.reads = 0

    def data_received(self, data: bytes) -> None:
        self.data += data
        self.reads += 1

    def eof_received(self) -> bool | None:
        self.eof.set()
        return True  # stay half-open: the test closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.append(exc)

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass


class Buffered(Plain):
    """A buffered consumer: reads land in a small buffer of its own (`get_buffer`)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.buffer = bytearray(size)
        self.updates = 0

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(self.buffer)

    def buffer_updated(self, nbytes: int) -> None:
        self.data += self.buffer[:nbytes]
        self.updates += 1


async def _run(transport: StreamTransport, done: anyio.Event) -> None:
    await transport.run()
    done.set()


async def deliver(consumer: Plain, payload: bytes) -> None:
    """Send `payload` and EOF over TCP to a `StreamTransport` feeding `consumer`, until it ends."""
    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        transport = StreamTransport(server, consumer, tg.start_soon)
        done = anyio.Event()
        tg.start_soon(_run, transport, done)
        await client.send(payload)
        await client.send_eof()
        await consumer.eof.wait()
        transport.close()
        await done.wait()


async def test_a_buffered_consumer_gets_every_byte_in_its_own_memory_on_trio() -> None:
    payload = os.urandom(300_000)
    consumer = Buffered(4096)
    await deliver(consumer, payload)
    assert bytes(consumer.data) == payload
    assert consumer.lost == [None]
    if running_trio():
        # Read into the consumer's 4 KiB buffer: many reads, none through `data_received`.
        assert consumer.updates >= len(payload) // 4096
        assert consumer.reads == 0
    else:
        assert consumer.updates == 0  # asyncio's streams hand over bytes


async def test_a_plain_consumer_gets_every_byte_and_eof() -> None:
    payload = os.urandom(200_000)
    consumer = Plain()
    await deliver(consumer, payload)
    assert bytes(consumer.data) == payload
    assert consumer.lost == [None]


async def test_nothing_is_handed_over_while_reading_is_paused() -> None:
    consumer = Buffered(65536)
    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        transport = StreamTransport(server, consumer, tg.start_soon)
        transport.pause_reading()
        done = anyio.Event()
        tg.start_soon(_run, transport, done)
        await client.send(b"held")
        if running_trio():  # asyncio's transport owns its socket's readiness
            await anyio.wait_readable(server.extra(anyio.abc.SocketAttribute.raw_socket))
        # A paused reader that read anyway would have within a few trips round the loop.
        for _ in range(20):
            await anyio.lowlevel.checkpoint()
        assert consumer.data == b""
        transport.resume_reading()
        await client.send_eof()
        await consumer.eof.wait()
        assert consumer.data == b"held"
        transport.close()
        await done.wait()
    assert consumer.lost == [None]


async def test_the_peer_resetting_ends_the_transport_once_with_the_error() -> None:
    consumer = Buffered(65536)
    async with tcp_pair() as (client, server), anyio.create_task_group() as tg:
        transport = StreamTransport(server, consumer, tg.start_soon)
        done = anyio.Event()
        tg.start_soon(_run, transport, done)
        raw = client.extra(anyio.abc.SocketAttribute.raw_socket)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await client.aclose()  # linger 0: an RST, not a FIN
        await done.wait()
    assert len(consumer.lost) == 1
    assert isinstance(consumer.lost[0], OSError | anyio.BrokenResourceError)
