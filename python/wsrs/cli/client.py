"""``wsrs client URL``: an interactive client; lines typed are sent, messages received printed."""

from __future__ import annotations

import argparse
import sys

import anyio

from wsrs.client import connect
from wsrs.exceptions import ConnectionClosed, HandshakeError
from wsrs.ws.deflate import DEFAULT_COMPRESSION
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["run_client"]


async def run_client(args: argparse.Namespace) -> None:
    """Connect to ``args.url`` and relay standard input and the messages received."""
    try:
        compression = DEFAULT_COMPRESSION if args.compression else None
        async with connect(
            args.url, max_frame_size=args.max_frame_size, compression=compression
        ) as ws:
            print(f"Connected to {args.url}.", flush=True)
            async with anyio.create_task_group() as tg:
                tg.start_soon(_print_incoming, ws, tg.cancel_scope)
                await _send_lines(ws)
                tg.cancel_scope.cancel()
    except HandshakeError as error:
        print(f"Failed to connect to {args.url}: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as error:
        print(f"Failed to connect to {args.url}: {error.strerror or error}", file=sys.stderr)
        raise SystemExit(1) from None
    except ConnectionClosed as closed:
        print(f"Connection closed: {closed}", file=sys.stderr)


async def _print_incoming(ws: DefaultWebSocketSession, scope: anyio.CancelScope) -> None:
    try:
        async for message in ws:
            if isinstance(message, str):
                print(f"< {message}", flush=True)
            else:
                print(f"< (binary) {len(message)} bytes: {message[:32].hex()}", flush=True)
    except ConnectionClosed:
        pass
    reason = await ws.close_reason
    print(f"Connection closed: {reason.code} {reason.message}".rstrip(), flush=True)
    scope.cancel()


async def _send_lines(ws: DefaultWebSocketSession) -> None:
    while True:
        line = await anyio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)
        if not line:
            return
        await ws.send(line.rstrip("\n"))
