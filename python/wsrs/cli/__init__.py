"""The command line: ``wsrs serve [MODULE:ATTR]`` runs an app (a `wsrs.App` or an ASGI app; the
demo without one) on one process or several, ``wsrs client URL`` is an interactive client.

Its rooms: `options` (the flags and the `ServeConfig` they make), `loading` (importing the app),
`running` (one server, or a supervisor and its workers) and `client`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence

import anyio

from wsrs.cli.client import run_client
from wsrs.cli.options import UsageError, parser, serve_config
from wsrs.cli.running import loop_backend, run, setup_logging

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line; exits 2 on bad usage, 1 when serving cannot start."""
    command_line = parser()
    args = command_line.parse_args(argv)
    if args.command == "client":
        setup_logging("warning")
        backend, options = loop_backend(args.backend)
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(run_client, args, backend=backend, backend_options=options)
        return
    try:
        config = serve_config(args)
    except UsageError as error:
        command_line.exit(2, f"wsrs serve: error: {error}\n")
    sys.exit(run(config))
