"""permessage-deflate through real sessions: what each side agrees, what goes on the wire, and how
large messages, cancellation and compression bombs are handled."""

from __future__ import annotations

import os
import resource
import time
import zlib
from collections.abc import Callable
from contextlib import suppress

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from tests.ws.session.test_close_handshake import BINARY, CLOSE
from wsrs import App, DefaultWebSocketSession, Deflate, Frame, PerMessageDeflate, connect

pytestmark = pytest.mark.anyio

OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
TAIL = b"\x00\x00\xff\xff"
AGREED = PerMessageDeflate(server_max_window_bits=12, client_max_window_bits=12)


async def echo(ws: DefaultWebSocketSession) -> None:
    async for message in ws:
        await ws.send(message)


def prose(size: int) -> str:
    """Varied text, slow enough to compress at level 9 to make compression take a while."""
    words = ["deflate", "window", "session", "message", "frame", "context", "zlib", "socket"]
    out: list[str] = []
    length, n = 0, 0
    while length < size:
        word = words[(n * 7919 + n // 3) % len(words)] + str(n % 97)
        out.append(word)
        length += len(word) + 1
        n += 1
    return " ".join(out)[:size]


async def test_server_and_client_agree_and_messages_round_trip() -> None:
    seen: list[PerMessageDeflate | None] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        seen.append(ws.compression)
        await echo(ws)

    messages: list[str | bytes] = ["", "é" * 5000, b"\x00" * 70_000, prose(300_000), b"\xff"]
    async with (
        serving(websocket_app(handler)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
    ):
        assert ws.compression == AGREED
        for message in messages:
            await ws.send(message)
            assert await ws.receive() == message
        await ws.send(Frame.text("frag", fin=False))
        await ws.send(Frame.text("mented"))
        assert await ws.receive() == "fragmented"
    assert seen == [AGREED]


@pytest.mark.parametrize(
    ("server_side", "client_side"),
    [(None, Deflate()), (Deflate(), None)],
    ids=["server-off", "client-off"],
)
async def test_either_side_can_turn_it_off(
    server_side: Deflate | None, client_side: Deflate | None
) -> None:
    async with (
        serving(websocket_app(echo), compression=server_side) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws", compression=client_side) as ws,
    ):
        assert ws.compression is None
        await ws.send("x" * 1000)
        assert await ws.receive() == "x" * 1000


async def test_the_policy_decides_what_goes_compressed() -> None:
    async def sender(ws: DefaultWebSocketSession) -> None:
        await ws.send("short")
        await ws.send("x" * 1000)
        await ws.send("y" * 1000, compress=False)
        await ws.send("z", compress=True)
        await ws.send(b"\x89PNG" + bytes(1000))
        ws.send_nowait(b"jpeg" + bytes(1000))
        await ws.send(b"forced" + bytes(1000), compress=True)

    compression = Deflate(predicate=lambda message: not isinstance(message, bytes))
    async with (
        serving(websocket_app(sender), compression=compression) as server,
        await RawClient.connect(server.port, "/ws", OFFER) as client,
    ):
        inflater = zlib.decompressobj(-12)
        received = []
        for _ in range(7):
            got = await client.read_frame()
            payload = inflater.decompress(got.payload + TAIL) if got.rsv else got.payload
            received.append((bool(got.rsv), payload[:6]))
    assert received == [
        (False, b"short"),
        (True, b"xxxxxx"),
        (False, b"yyyyyy"),
        (True, b"z"),
        (False, b"\x89PNG\x00\x00"),
        (False, b"jpeg\x00\x00"),
        (True, b"forced"),
    ]


async def test_the_predicate_judges_only_messages_that_min_size_lets_through() -> None:
    judged: list[str | bytes] = []

    def predicate(message: str | bytes) -> bool:
        judged.append(message)
        return True

    async def sender(ws: DefaultWebSocketSession) -> None:
        for message in ("short", "éééééé", b"0" * 10, "abc", "x" * 9):
            await ws.send(message)

    compression = Deflate(min_size=10, predicate=predicate)
    async with (
        serving(websocket_app(sender), compression=compression) as server,
        await RawClient.connect(server.port, "/ws", OFFER) as client,
    ):
        compressed = [bool((await client.read_frame()).rsv) for _ in range(5)]
    # Six characters of two UTF-8 bytes each are 12 bytes on the wire: past a min_size of 10.
    assert judged == ["éééééé", b"0" * 10]
    assert compressed == [False, True, True, False, False]


async def wait_until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until `condition` holds (at most about five seconds)."""
    for _ in range(5000):
        if condition():
            return
        await anyio.sleep(0.001)
    raise AssertionError("condition never held")


async def test_a_large_message_is_compressed_without_stalling_other_sessions() -> None:
    big = prose(8 << 20)
    sending = anyio.Event()
    sent = anyio.Event()
    app = App()

    @app.websocket("/big")
    async def send_big(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        sending.set()
        await ws.send(big)
        sent.set()
        await echo(ws)

    app.websocket("/echo")(echo)
    async with serving(app, compression=Deflate(level=9)) as server:
        base = f"ws://127.0.0.1:{server.port}"
        async with connect(f"{base}/big") as slow, connect(f"{base}/echo") as fast:
            await slow.send("go")
            await sending.wait()
            during = 0
            for n in range(20):
                await fast.send(f"ping {n}")
                assert await fast.receive() == f"ping {n}"
                during += not sent.is_set()
            assert await slow.receive() == big
    # Each round trip takes milliseconds; compressing 8 MiB at level 9 takes far longer.
    assert during >= 15, f"only {during} of 20 round trips while the big message compressed"


async def test_a_send_cancelled_while_compressing_still_delivers_it_whole() -> None:
    big = prose(4 << 20)
    cancelled: list[bool] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        with anyio.move_on_after(0.005) as scope:
            await ws.send(big)
        cancelled.append(scope.cancel_called)
        await ws.send("next")
        await echo(ws)

    async with (
        serving(websocket_app(handler), compression=Deflate(level=9)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
    ):
        await ws.send("go")
        assert await ws.receive() == big
        assert await ws.receive() == "next"
        await ws.send("still in step")
        assert await ws.receive() == "still in step"
    assert cancelled == [True]


async def test_messages_sent_while_one_compresses_follow_it_in_order() -> None:
    big = prose(2 << 20)

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ws.send, big)
            await wait_until(lambda: ws._compressing)
            ws.send_nowait("held 1")
            ws.send_nowait(b"held 2" * 100)
            tasks.start_soon(ws.send, "queued 3")
        await echo(ws)

    async with (
        serving(websocket_app(handler), compression=Deflate(level=9)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws") as ws,
    ):
        await ws.send("go")
        received = [await ws.receive() for _ in range(4)]
    assert received == [big, "held 1", b"held 2" * 100, "queued 3"]


async def test_a_compression_bomb_closes_with_1009_in_milliseconds() -> None:
    # 1 GiB of zeros compresses to about 1 MB: sent as 64 KiB fragments, the server with a
    # 1 MiB limit must fail on the first, after inflating at most the limit plus one buffer.
    # Once the window is all zeros, each further MiB compresses to the same sync-flushed bytes.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first, steady, again = (
        compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH) for _ in range(3)
    )
    assert steady == again
    bomb = (first + steady * 1023)[:-4]
    assert len(bomb) < 1_100_000
    pieces = [bomb[at : at + 65536] for at in range(0, len(bomb), 65536)]
    wire = frame(BINARY, pieces[0], fin=False, rsv=4, mask=bytes(4))
    wire += b"".join(frame(0, piece, fin=False, mask=bytes(4)) for piece in pieces[1:-1])
    wire += frame(0, pieces[-1], mask=bytes(4))
    async with serving(websocket_app(echo), max_frame_size=1 << 20) as server:
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        async with await RawClient.connect(server.port, "/ws", OFFER) as client:
            started = time.perf_counter()
            # The server may close before it has read everything: the rest is lost, not an error.
            with suppress(anyio.BrokenResourceError, OSError):
                await client.send(wire)
            closing = await client.read_frame()
            elapsed = time.perf_counter() - started
        peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert closing.opcode == CLOSE
    assert closing.close_code == 1009
    assert elapsed < 1.0, f"{elapsed:.3f} s"
    assert peak_after - peak_before < 64 * 1024, "peak RSS (KiB) grew by more than 64 MiB"


async def test_what_compressing_would_grow_goes_out_as_it_is_and_the_windows_stay_in_step() -> None:
    # Random bytes do not compress: zlib-rs' level 1 would make them about 5 % bigger. Whole
    # messages go out uncompressed then, on the loop and off it; the peer's window never sees
    # them, and ours forgets them, so the next compressed message still inflates.
    small, big = os.urandom(5000), os.urandom(400_000)
    text = prose(10_000)

    async def sender(ws: DefaultWebSocketSession) -> None:
        for message in (text, small, text, big, text):
            await ws.send(message)

    async with (
        serving(websocket_app(sender)) as server,
        await RawClient.connect(server.port, "/ws", OFFER) as client,
    ):
        inflater = zlib.decompressobj(-12)
        received = []
        for _ in range(5):
            got = await client.read_frame()
            payload = inflater.decompress(got.payload + TAIL) if got.rsv else got.payload
            received.append((got.rsv, payload))
    assert received == [
        (4, text.encode()),
        (0, small),
        (4, text.encode()),
        (0, big),
        (4, text.encode()),
    ]


async def test_an_incompressible_message_at_the_size_limit_is_not_refused() -> None:
    limit = 1 << 20
    message = os.urandom(limit)
    async with (
        serving(websocket_app(echo), max_frame_size=limit) as server,
        connect(
            f"ws://127.0.0.1:{server.port}/ws",
            max_frame_size=limit,
            compression=Deflate(),
        ) as ws,
    ):
        await ws.send(message)
        assert await ws.receive() == message
