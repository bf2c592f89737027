"""The command line: ``wsrs serve`` runs the demo server, ``wsrs client URL`` is an
interactive client (lines you type are sent, messages received are printed)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

import anyio

from wsrs._wsrs import DEFAULT_MAX_FRAME_SIZE
from wsrs.client import connect
from wsrs.demo import demo_app
from wsrs.exceptions import ConnectionClosed, HandshakeError
from wsrs.server import serve
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["main"]

DEMO_MAX_FRAME_SIZE = 64 * 1024 * 1024
"""The demo echoes messages up to 64 MiB unless told otherwise."""


def _backend(name: str) -> tuple[str, dict[str, Any]]:
    if name == "uvloop":
        return "asyncio", {"use_uvloop": True}
    return name, {}


async def _serve(args: argparse.Namespace) -> None:
    async with serve(
        demo_app(), args.host, args.port, max_frame_size=args.max_frame_size
    ) as server:
        print(f"wsrs demo on http://{args.host}:{server.port}/ ({args.backend})", flush=True)
        await server.serve_forever()


async def _client(args: argparse.Namespace) -> None:
    try:
        async with connect(args.url, max_frame_size=args.max_frame_size) as ws:
            print(f"Connected to {args.url}.", flush=True)
            async with anyio.create_task_group() as tg:
                tg.start_soon(_print_incoming, ws, tg.cancel_scope)
                await _send_lines(ws)
                tg.cancel_scope.cancel()
    except HandshakeError as error:
        print(f"Failed to connect to {args.url}: {error}", file=sys.stderr)
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wsrs", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("serve", help="run the demo server")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8000)
    server.add_argument("--backend", choices=["asyncio", "uvloop", "trio"], default="asyncio")
    server.add_argument("--max-frame-size", type=int, default=DEMO_MAX_FRAME_SIZE)
    client = commands.add_parser("client", help="an interactive client")
    client.add_argument("url")
    client.add_argument("--backend", choices=["asyncio", "uvloop", "trio"], default="asyncio")
    client.add_argument("--max-frame-size", type=int, default=DEFAULT_MAX_FRAME_SIZE)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    backend, options = _backend(args.backend)
    run = _serve if args.command == "serve" else _client
    try:
        anyio.run(run, args, backend=backend, backend_options=options)
    except* KeyboardInterrupt:
        # Ctrl-C ends the command. On trio it can land in any task, so it may arrive wrapped in
        # an exception group from a nursery rather than on its own.
        pass
