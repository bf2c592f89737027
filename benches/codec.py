"""WebSocket codec benchmark: wsrs against its peers, side by side in one run.

Run with ``python -m benches.codec`` (about a minute). Every number is the median of a few
rounds whose loop counts are calibrated to a fixed time; compare ratios, not absolute values,
which move by tens of percent between runs and machines.

- Masking: wsrs ``apply_mask`` (returns a new ``bytes``) against websockets' C
  ``speedups.apply_mask`` (same contract), aiohttp's Cython ``_websocket_mask_cython`` (masks a
  ``bytearray`` in place, so it is timed with the ``bytearray`` copy that gives it its input),
  picows (which has no mask function: timed through a client ``WSTransport.send`` into a fake
  transport, i.e. header + mask into its buffer + one copy into ``bytes``), and a plain copy of
  the same size (``memoryview.tobytes``: allocate a ``bytes`` and memcpy, the fastest copy
  CPython offers), the physical bound.
- Decoding: one buffer of 10,000 masked binary frames of 16-256 B, the same with text frames
  (ASCII and Greek, so UTF-8 work counts), and one masked 16 MiB frame, as a server reads them:
  wsrs ``FrameDecoder.feed`` (whole messages; and raw frames as ``Frame`` objects) against
  websockets' ``Frame.parse`` driven by its ``StreamReader`` (plus ``bytes.decode`` for text, as
  its assembler does) and wsproto's ``FrameProtocol.receive_bytes`` + ``received_frames`` (which
  decodes text itself).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from wsrs._wsrs import FrameDecoder, FrameEncoder, apply_mask

ROUNDS = 5
ROUND_SECONDS = 0.15
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])
SMALL_FRAMES = 10_000
BIG_FRAME = 16 * 1024 * 1024


def per_call(fn: Callable[[], object], round_seconds: float = ROUND_SECONDS) -> float:
    """Seconds per call of `fn`: median of `ROUNDS` rounds, each calibrated to `round_seconds`."""
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(round_seconds / once))
    timings = []
    for _ in range(ROUNDS):
        gc.collect()
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        timings.append((time.perf_counter() - start) / loops)
    return statistics.median(timings)


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """Print a left-aligned first column and right-aligned numbers under `title`."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells))


def ratio(a: float, b: float | None) -> str:
    return "n/a" if b is None else f"{a / b:.2f}x"


# --- Masking ------------------------------------------------------------------------------------


def aiohttp_mask() -> Callable[[bytes, bytearray], None] | None:
    try:
        module = importlib.import_module("aiohttp._websocket.mask")
    except ImportError:
        return None
    fn: Callable[[bytes, bytearray], None] = module._websocket_mask_cython
    return fn


class _FakeTransport:
    """Just enough of an asyncio transport for picows' WSTransport; writes are dropped.

    It reports an SSL object so that picows skips its direct ``send()`` on the socket and hands
    the masked frame to ``write`` as a new ``bytes``.
    """

    class _Socket:
        def fileno(self) -> int:
            return -1

    def get_extra_info(self, name: str) -> object:
        return {"socket": self._Socket(), "ssl_object": object()}.get(name)

    def get_write_buffer_size(self) -> int:
        return 0

    def write(self, data: bytes) -> None:
        pass


def picows_send(loop: asyncio.AbstractEventLoop) -> Callable[[bytes], None] | None:
    try:
        picows = importlib.import_module("picows")
    except ImportError:
        return None
    transport = picows.WSTransport(True, _FakeTransport(), logging.getLogger("bench"), loop)
    binary = picows.WSMsgType.BINARY

    def send(data: bytes) -> None:
        transport.send(binary, data)

    return send


def copy_and_mask(mask: Callable[[bytes, bytearray], None], data: bytes) -> None:
    """aiohttp's contract: mask a ``bytearray`` in place, here a fresh copy of the payload."""
    mask(KEY, bytearray(data))


def bench_masking() -> tuple[list[list[str]], dict[int, float]]:
    from websockets.speedups import apply_mask as ws_apply_mask

    aio_mask = aiohttp_mask()
    loop = asyncio.new_event_loop()
    picows = picows_send(loop)
    rows = []
    of_memcpy = {}
    for size, label in [(1024, "1 KiB"), (64 * 1024, "64 KiB"), (1024 * 1024, "1 MiB")]:
        data = random.Random(size).randbytes(size)
        assert apply_mask(data, KEY) == ws_apply_mask(data, KEY)
        # Every contender is called through a partial, so each pays the same call overhead.
        contenders: dict[str, Callable[[], object]] = {
            "memcpy": partial(memoryview(data).tobytes),
            "wsrs": partial(apply_mask, data, KEY),
            "websockets": partial(ws_apply_mask, data, KEY),
        }
        if aio_mask is not None:
            contenders["aiohttp"] = partial(copy_and_mask, aio_mask, data)
        if picows is not None:
            contenders["picows"] = partial(picows, data)
        gbps = {name: size / per_call(fn) / 1e9 for name, fn in contenders.items()}
        wsrs = gbps["wsrs"]
        of_memcpy[size] = wsrs / gbps["memcpy"]
        rows.append(
            [
                label,
                *(f"{gbps[name]:.2f}" if name in gbps else "n/a" for name in PEERS_MASK),
                f"{of_memcpy[size]:.0%}",
                *(ratio(wsrs, gbps.get(name)) for name in PEERS_MASK[2:]),
            ]
        )
    loop.close()
    return rows, of_memcpy


PEERS_MASK = ["memcpy", "wsrs", "websockets", "aiohttp", "picows"]


# --- Decoding -----------------------------------------------------------------------------------


def masked_frames(payloads: Sequence[bytes | str]) -> bytes:
    """The payloads as masked frames (text for `str`), as a client sends them."""
    encoded: bytes = FrameEncoder(masking=True).encode_batch(payloads)
    return encoded


def websockets_parser(count: int) -> Callable[[bytes], list[Any]]:
    from websockets.frames import Frame
    from websockets.streams import StreamReader

    def parse(buffer: bytes) -> list[Any]:
        reader = StreamReader()
        reader.feed_data(buffer)
        frames = []
        for _ in range(count):
            parser = Frame.parse(reader.read_exact, mask=True)
            try:
                next(parser)
            except StopIteration as done:
                frames.append(done.value)
            else:
                raise AssertionError("incomplete frame")
        return frames

    return parse


def wsproto_parser(buffer: bytes) -> list[Any]:
    from wsproto.frame_protocol import FrameProtocol

    protocol = FrameProtocol(client=False, extensions=[])
    protocol.receive_bytes(buffer)
    return list(protocol.received_frames())


def bench_decode(
    payloads: Sequence[bytes | str], round_seconds: float
) -> tuple[list[list[str]], float, int]:
    """Rows of frames/s, MB/s of payload and time ratios; websockets' time over ours; wire size."""
    buffer = masked_frames(payloads)
    count = len(payloads)
    total = sum(len(p.encode() if isinstance(p, str) else p) for p in payloads)
    ws_parse = websockets_parser(count)

    def ws_text(buffer: bytes) -> list[Any]:
        # websockets' assembler decodes text with a UTF-8 decoder once the frame is in.
        return [frame.data.decode() for frame in ws_parse(buffer)]

    text = isinstance(payloads[0], str)
    decoders: dict[str, Callable[[bytes], list[Any]]] = {
        "wsrs": lambda b: FrameDecoder().feed(b),
        "wsrs (raw frames)": lambda b: FrameDecoder(reassemble=False).feed(b),
        "websockets": ws_text if text else ws_parse,
        "wsproto": wsproto_parser,
    }
    assert FrameDecoder().feed(buffer) == list(payloads)
    assert [frame.data for frame in ws_parse(buffer)] == [
        p.encode() if isinstance(p, str) else p for p in payloads
    ]
    assert [frame.payload for frame in wsproto_parser(buffer)] == list(payloads)
    seconds = {name: per_call(partial(fn, buffer), round_seconds) for name, fn in decoders.items()}
    rows = [
        [name, f"{count / s:,.0f}", f"{total / s / 1e6:,.0f}", ratio(s, seconds["wsrs"])]
        for name, s in seconds.items()
    ]
    return rows, seconds["websockets"] / seconds["wsrs"], len(buffer)


def main() -> None:
    started = time.perf_counter()
    avx2 = "unknown"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as cpuinfo:
            avx2 = "yes" if " avx2" in cpuinfo.read() else "no"
    print(
        f"wsrs codec benchmark: Python {platform.python_version()}, {platform.machine()}, "
        f"AVX2 {avx2}, {os.cpu_count()} CPUs; median of {ROUNDS} rounds"
    )

    mask_rows, of_memcpy = bench_masking()
    table(
        "Masking throughput, GB/s (ratio = wsrs speed / peer speed)",
        ["payload", *PEERS_MASK, "wsrs/memcpy", "vs websockets", "vs aiohttp", "vs picows"],
        mask_rows,
    )

    rng = random.Random(6455)
    header = ["decoder (server side)", "frames/s", "MB/s", "time / wsrs time"]
    small = [rng.randbytes(rng.randint(16, 256)) for _ in range(SMALL_FRAMES)]
    rows, small_speedup, wire = bench_decode(small, 0.3)
    table(
        f"Decode one buffer of {SMALL_FRAMES:,} masked binary frames of 16-256 B ({wire:,} B)",
        header,
        rows,
    )
    alphabet = "abcdefghij κόσμε"
    texts = ["".join(rng.choices(alphabet, k=rng.randint(12, 180))) for _ in range(SMALL_FRAMES)]
    rows, _, wire = bench_decode(texts, 0.3)
    table(
        f"Decode one buffer of {SMALL_FRAMES:,} masked text frames, ASCII and Greek ({wire:,} B)",
        header,
        rows,
    )
    rows, _, wire = bench_decode([rng.randbytes(BIG_FRAME)], 0.5)
    table(f"Decode one masked 16 MiB binary frame ({wire:,} B)", header, rows)

    print("\nTargets")
    for size, label in [(64 * 1024, "64 KiB"), (1024 * 1024, "1 MiB")]:
        met = "met" if of_memcpy[size] >= 0.5 else "NOT met"
        print(f"  masking >= 50% of memcpy at {label}: {of_memcpy[size]:.0%} ({met})")
    met = "met" if small_speedup >= 10 else "NOT met"
    print(f"  small-frame decode >= 10x websockets: {small_speedup:.1f}x ({met})")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
