"""SocketWriter: a plain asyncio socket transport written with send(2) while nothing is buffered."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from wsrs._loop.transport import direct_write
from wsrs._wsrs import SocketWriter

pytestmark = pytest.mark.anyio

ASYNCIO_ONLY = pytest.mark.parametrize("anyio_backend", ["asyncio"], indirect=True)


class Holder(asyncio.Protocol):
    def __init__(self, made: asyncio.Future[asyncio.Transport]) -> None:
        self.made = made

    def connection_made(self, transport: Any) -> None:
        self.made.set_result(transport)


@asynccontextmanager
async def connected_pair() -> AsyncIterator[tuple[asyncio.Transport, asyncio.StreamReader]]:
    """A server-side transport and the reading end of its peer."""
    loop = asyncio.get_running_loop()
    made: asyncio.Future[asyncio.Transport] = loop.create_future()
    server = await loop.create_server(lambda: Holder(made), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        transport = await made
        try:
            yield transport, reader
        finally:
            transport.close()
            writer.close()
            await writer.wait_closed()


@ASYNCIO_ONLY
async def test_asyncio_plain_sockets_get_a_socket_writer() -> None:
    async with connected_pair() as (transport, _):
        assert type(direct_write(transport)) is SocketWriter


@ASYNCIO_ONLY
async def test_what_the_socket_does_not_take_is_buffered_and_everything_arrives_in_order() -> None:
    async with connected_pair() as (transport, reader):
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        write = direct_write(transport)
        pieces = [os.urandom(size) for size in (10, 200_000, 7, 65_536, 1, 300_000, 3)]
        for piece in pieces:
            write(piece)
        # The socket took part of it: the rest waits in the transport, behind which the small
        # pieces were queued, not sent ahead.
        assert transport.get_write_buffer_size() > 0
        received = await reader.readexactly(sum(map(len, pieces)))
        assert received == b"".join(pieces)


@ASYNCIO_ONLY
async def test_nothing_goes_to_the_socket_once_the_transport_is_aborted() -> None:
    async with connected_pair() as (transport, reader):
        write = direct_write(transport)
        write(b"before")
        # The socket stays open until the loop's next turn; the transport drops what comes.
        transport.abort()
        write(b"after abort")
        assert await reader.read() == b"before"
