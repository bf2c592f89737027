"""The command line's flags: uvicorn's names and meanings where uvicorn has them, and the
`ServeConfig` they make (plain data, so worker processes can be handed a copy)."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
from dataclasses import dataclass
from typing import Any

from wsrs._wsrs import DEFAULT_MAX_FRAME_SIZE, __version__

__all__ = ["DEMO_MAX_FRAME_SIZE", "ServeConfig", "UsageError", "parser", "serve_config"]

DEMO_MAX_FRAME_SIZE = 64 * 1024 * 1024
"""The demo echoes messages up to 64 MiB unless told otherwise."""
BACKENDS = ("asyncio", "uvloop", "trio")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class UsageError(Exception):
    """A flag or combination of flags that cannot work (exit status 2)."""


@dataclass(frozen=True)
class ServeConfig:
    """Everything ``wsrs serve`` was told, checked."""

    app: str | None
    """``MODULE:ATTR``, or None for the demo."""
    factory: bool
    interface: str
    host: str
    port: int
    uds: str | None
    fd: int | None
    backend: str
    workers: int
    reload: bool
    reload_dirs: tuple[str, ...]
    root_path: str
    proxy_headers: bool
    forwarded_allow_ips: str
    limit_concurrency: int | None
    backlog: int
    timeout_keep_alive: float
    timeout_request_head: float
    timeout_graceful_shutdown: float
    ws_max_size: int
    ws_ping_interval: float | None
    ws_ping_timeout: float
    ws_compression: bool
    """Negotiate permessage-deflate (``--no-compression`` turns it off)."""
    log_level: str
    access_log: bool
    ssl_keyfile: str | None
    ssl_certfile: str | None
    env_file: str | None
    app_dir: str
    broker: str | None
    """A ``redis://`` URL whose Redis shares topics between servers, or None (in memory)."""

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_certfile else "http"

    def where(self, port: int | None = None) -> str:
        """The address in the "listening" line: a URL, or the socket path or descriptor."""
        if self.uds is not None:
            return f"unix:{self.uds}"
        if self.fd is not None:
            return f"fd {self.fd}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port if port is None else port}/"

    def replace(self, **changes: Any) -> ServeConfig:
        return dataclasses.replace(self, **changes)


def _default_backend() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def _web_concurrency() -> int:
    """``$WEB_CONCURRENCY`` (as uvicorn and gunicorn read it), else 1."""
    value = os.environ.get("WEB_CONCURRENCY", "1")
    return int(value) if value.strip().isdigit() else 1


def _seconds_or_none(text: str) -> float | None:
    value = float(text)
    return None if value <= 0 else value


class _HelpFormatter(argparse.HelpFormatter):
    """One line per flag, with its default where it has one."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=42, width=112)

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        default = action.default
        if (
            default in (None, False, "", argparse.SUPPRESS)
            or action.option_strings == []
            or action.nargs == 0  # an on/off flag: its default is what it does not do
        ):
            return help_text
        return f"{help_text} (default: {default})"


def parser() -> argparse.ArgumentParser:
    """The ``wsrs`` parser with its ``serve`` and ``client`` commands."""
    top = argparse.ArgumentParser(
        prog="wsrs",
        description="Fast, strict WebSocket and HTTP/1.1 server and client.",
        epilog="Run `wsrs serve --help` for the server's flags.",
    )
    top.add_argument("--version", action="version", version=f"wsrs {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve an app (a wsrs.App or an ASGI app), or the demo without one",
        description="Serve MODULE:ATTR (a wsrs.App or an ASGI 3 app), or the demo without it.",
        usage="wsrs serve [OPTIONS] [MODULE:ATTR]",
        formatter_class=_HelpFormatter,
    )
    _serve_flags(serve)
    client = commands.add_parser(
        "client",
        help="an interactive WebSocket client",
        description="Send the lines typed and print the messages received.",
        formatter_class=_HelpFormatter,
    )
    client.add_argument("url", help="ws:// or wss:// URL")
    client.add_argument("--backend", choices=BACKENDS, default="asyncio", help="event loop")
    client.add_argument(
        "--max-frame-size", type=int, default=DEFAULT_MAX_FRAME_SIZE, help="largest message"
    )
    client.add_argument(
        "--no-compression",
        dest="compression",
        action="store_false",
        help="do not offer permessage-deflate",
    )
    return top


def _serve_flags(serve: argparse.ArgumentParser) -> None:
    add = serve.add_argument
    add("app", nargs="?", metavar="MODULE:ATTR", help="the app to serve; the demo without it")
    add("--factory", action="store_true", help="MODULE:ATTR is a function returning the app")
    add("--interface", choices=("auto", "wsrs", "asgi"), default="auto", help="app interface")
    add(
        "--app-dir",
        default=".",
        metavar="DIR",
        help="directory put first on sys.path to import the app",
    )
    add("--host", default="127.0.0.1", help="address to bind")
    add("--port", type=int, default=8000, help="port to bind (0: any free port)")
    add("--uds", metavar="PATH", help="bind a Unix socket at PATH instead of host and port")
    add("--fd", type=int, metavar="FD", help="serve on the listening socket inherited as FD")
    add("--backend", choices=BACKENDS, default=_default_backend(), help="event loop")
    add(
        "--workers",
        type=int,
        default=_web_concurrency(),
        metavar="N",
        help="worker processes ($WEB_CONCURRENCY)",
    )
    add("--reload", action="store_true", help="restart when a Python file changes (watchfiles)")
    add("--reload-dir", action="append", dest="reload_dirs", metavar="DIR", help="watch DIR")
    add(
        "--root-path",
        default="",
        metavar="PATH",
        help="path prefix the app is mounted at (ASGI root_path)",
    )
    add("--proxy-headers", action="store_true", help="trust X-Forwarded-For/-Proto from proxies")
    add(
        "--forwarded-allow-ips",
        default=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        metavar="IPS",
        help="proxies trusted: addresses, networks, or *",
    )
    add("--limit-concurrency", type=int, metavar="N", help="503 past N connections and sessions")
    add("--backlog", type=int, default=1024, metavar="N", help="listen backlog")
    seconds: dict[str, Any] = {"type": float, "metavar": "SECONDS"}
    add("--timeout-keep-alive", default=45.0, help="idle time between requests", **seconds)
    add("--timeout-request-head", default=10.0, help="time to send a request head", **seconds)
    add("--timeout-graceful-shutdown", default=5.0, help="time to finish on stop", **seconds)
    add(
        "--ws-max-size",
        dest="ws_max_size",
        type=int,
        metavar="BYTES",
        help=f"largest message (demo {DEMO_MAX_FRAME_SIZE}, apps {DEFAULT_MAX_FRAME_SIZE})",
    )
    add("--max-frame-size", dest="ws_max_size", type=int, help=argparse.SUPPRESS)
    add(
        "--ws-ping-interval",
        type=_seconds_or_none,
        default=20.0,
        metavar="SECONDS",
        help="ping period; 0 sends none",
    )
    add("--ws-ping-timeout", default=20.0, help="time a pong may take", **seconds)
    add(
        "--no-compression",
        dest="ws_compression",
        action="store_false",
        help="decline permessage-deflate offers",
    )
    add(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        metavar="LEVEL",
        help=", ".join(LOG_LEVELS),
    )
    add(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="log one line per response",
    )
    add("--ssl-keyfile", metavar="PATH", help="TLS private key (PEM)")
    add("--ssl-certfile", metavar="PATH", help="TLS certificate chain (PEM)")
    add("--env-file", metavar="PATH", help="load environment variables from PATH first")
    add(
        "--broker",
        type=_redis_url,
        metavar="redis://HOST:PORT/DB",
        help="share topics (the demo's chat rooms) with every server on this Redis",
    )


def _redis_url(value: str) -> str:
    if not value.startswith(("redis://", "rediss://")):
        raise argparse.ArgumentTypeError(f"a broker is a redis:// URL, not {value!r}")
    return value


def serve_config(args: argparse.Namespace) -> ServeConfig:
    """Check the ``serve`` flags together.

    Raises:
        UsageError: flags that contradict each other or values out of range.
    """
    if args.app is not None and ":" not in args.app:
        raise UsageError(f"app must be MODULE:ATTR, not {args.app!r}")
    if args.app is None and args.factory:
        raise UsageError("--factory needs an app (MODULE:ATTR)")
    if args.uds is not None and args.fd is not None:
        raise UsageError("--uds and --fd cannot be used together")
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, not {args.workers}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, not {args.port}")
    if args.reload and args.workers > 1:
        raise UsageError("--reload and --workers cannot be used together")
    if bool(args.ssl_keyfile) != bool(args.ssl_certfile):
        raise UsageError("--ssl-keyfile and --ssl-certfile go together")
    if args.limit_concurrency is not None and args.limit_concurrency < 1:
        raise UsageError("--limit-concurrency must be at least 1")
    for name in ("ssl_keyfile", "ssl_certfile", "env_file"):
        path = getattr(args, name)
        if path is not None and not os.path.isfile(path):
            raise UsageError(f"--{name.replace('_', '-')}: no such file: {path}")
    if args.root_path and not args.root_path.startswith("/"):
        raise UsageError(f"--root-path must start with '/', not {args.root_path!r}")
    max_size = args.ws_max_size
    if max_size is None:
        max_size = DEMO_MAX_FRAME_SIZE if args.app is None else DEFAULT_MAX_FRAME_SIZE
    if max_size < 1 or args.ws_ping_timeout <= 0:
        raise UsageError("--ws-max-size and --ws-ping-timeout must be positive")
    return ServeConfig(
        app=args.app,
        factory=args.factory,
        interface=args.interface,
        host=args.host,
        port=args.port,
        uds=args.uds,
        fd=args.fd,
        backend=args.backend,
        workers=args.workers,
        reload=args.reload,
        reload_dirs=tuple(args.reload_dirs or [os.getcwd()]),
        root_path=args.root_path.rstrip("/"),
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        limit_concurrency=args.limit_concurrency,
        backlog=args.backlog,
        timeout_keep_alive=args.timeout_keep_alive,
        timeout_request_head=args.timeout_request_head,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        ws_max_size=max_size,
        ws_ping_interval=args.ws_ping_interval,
        ws_ping_timeout=args.ws_ping_timeout,
        ws_compression=args.ws_compression,
        log_level=args.log_level,
        access_log=args.access_log,
        ssl_keyfile=args.ssl_keyfile,
        ssl_certfile=args.ssl_certfile,
        env_file=args.env_file,
        app_dir=os.path.abspath(args.app_dir),
        broker=args.broker,
    )
