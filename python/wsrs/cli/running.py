"""Running ``wsrs serve``: one server in this process, or a supervisor with worker processes.

Signals: SIGTERM and SIGINT shut a server down gracefully (no new connections, in-flight requests
finish, sessions closed with 1001, `--timeout-graceful-shutdown` at most) and exit 0; SIGUSR1
does the same with 1012 (a supervisor's rolling restart). Failing before the server listens
(the app cannot be loaded, the address is taken) prints one line on stderr and exits 1, or
`BOOT_FAILED` in a worker so that its supervisor does not restart it in a loop.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import anyio

from wsrs.broker.base import Broker
from wsrs.broker.redis import RedisBroker
from wsrs.cli.loading import AppLoadError, load_app, load_env_file
from wsrs.cli.options import ServeConfig
from wsrs.demo import demo_app
from wsrs.exceptions import LifespanError
from wsrs.server import Server
from wsrs.server.listeners import REUSE_PORT, bind_tcp, bind_unix, from_fd, remove_unix
from wsrs.server.server import GOING_AWAY, RESTARTING
from wsrs.server.workers import BOOT_FAILED, Supervisor
from wsrs.ws.deflate import DEFAULT_COMPRESSION

__all__ = ["loop_backend", "run", "run_worker", "setup_logging"]

logger = logging.getLogger("wsrs")
TRACE = 5
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)


class _StartupExit(BaseException):
    """A stop signal arrived before the server listened: nothing to shut down gracefully."""


def run(config: ServeConfig) -> int:
    """Serve as `config` says; the process's exit status."""
    setup_logging(config.log_level)
    if config.workers == 1 and not config.reload:
        return _run_here(config)
    try:
        sock, holder = _supervisor_socket(config)
    except OSError as error:
        return _fail(f"cannot listen on {config.where()}: {_reason(error)}")
    port = holder.getsockname()[1] if holder is not None else config.port
    config = config.replace(port=port)
    count = f"{config.workers} worker{'s' if config.workers > 1 else ''}"
    mode = "reloading" if config.reload else count

    def announce() -> None:
        print(f"wsrs: serving {_name(config)} on {config.where()} ({config.backend}, {mode})")
        sys.stdout.flush()

    supervisor = Supervisor(
        run_worker,
        (config, sock),
        workers=config.workers,
        shutdown_timeout=config.timeout_graceful_shutdown,
        on_ready=announce,
        on_failure=_fail,
        watch=config.reload_dirs if config.reload else (),
    )
    try:
        return supervisor.run()
    finally:
        for held in (sock, holder):
            if held is not None:
                held.close()
        if config.uds is not None:
            remove_unix(config.uds)


def run_worker(config: ServeConfig, sock: socket.socket | None, channel: Connection) -> None:
    """A worker process's entry point: serve until told to stop; the supervisor hears of the
    server listening (or failing to) over `channel`, and the worker stops if it goes away."""
    setup_logging(config.log_level)
    threading.Thread(target=_stop_when_orphaned, args=(channel,), daemon=True).start()

    def failed(message: str) -> int:
        channel.send(("failed", message))  # the supervisor says it, once for all workers
        return 1

    if sock is None:
        try:
            sock = bind_tcp(config.host, config.port, reuse_port=True, backlog=config.backlog)
        except OSError as error:
            failed(f"cannot listen on {config.where()}: {_reason(error)}")
            raise SystemExit(BOOT_FAILED) from None

    def ready(server: Server) -> None:
        channel.send(("ready", os.getpid()))

    code = _serve_process(config, sock, ready, own_socket=False, fail=failed)
    raise SystemExit(BOOT_FAILED if code == 1 else code)


def _run_here(config: ServeConfig) -> int:
    def announce(server: Server) -> None:
        where = config.where(server.port)
        print(f"wsrs: serving {_name(config)} on {where} ({config.backend})", flush=True)

    sock = None
    if config.fd is not None:
        try:
            sock = from_fd(config.fd)
        except OSError as error:
            return _fail(f"--fd {config.fd}: {_reason(error)}")
    return _serve_process(config, sock, announce, own_socket=True, fail=_fail)


def _serve_process(
    config: ServeConfig,
    sock: socket.socket | None,
    on_ready: Callable[[Server], None],
    *,
    own_socket: bool,
    fail: Callable[[str], int],
) -> int:
    """Load the app and serve it on this process's event loop; the exit status."""
    previous = {
        signum: signal.signal(signum, _exit_during_startup)
        for signum in (signal.SIGTERM, signal.SIGUSR1)
    }
    try:
        if config.env_file is not None:
            load_env_file(config.env_file)
        app = _app(config)
        options = _server_options(config)
        if own_socket and sock is None and config.uds is not None:
            options["uds"] = config.uds
        backend, backend_options = loop_backend(config.backend)
        anyio.run(_serve, config, app, sock, options, on_ready, backend=backend,
                  backend_options=backend_options)  # fmt: skip
    except (_StartupExit, KeyboardInterrupt):
        return 0
    except AppLoadError as error:
        return fail(str(error))
    except LifespanError as error:
        # Frameworks put a whole traceback in the message: its last line says what failed.
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return fail(f"the app's lifespan startup failed: {lines[-1] if lines else error}")
    except OSError as error:
        return fail(f"cannot listen on {config.where()}: {_reason(error)}")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


async def _serve(
    config: ServeConfig,
    app: Any,
    sock: socket.socket | None,
    options: dict[str, Any],
    on_ready: Callable[[Server], None],
) -> None:
    with anyio.open_signal_receiver(*_STOP_SIGNALS) as signals:
        async with Server(app, config.host, config.port, sock=sock, **options) as server:
            on_ready(server)
            async for signum in signals:
                reason = RESTARTING if signum == signal.SIGUSR1 else GOING_AWAY
                logger.info("%s: shutting down", signal.Signals(signum).name)
                await server.shutdown(reason)
                break


def _exit_during_startup(signum: int, frame: object) -> None:
    raise _StartupExit


def _app(config: ServeConfig) -> Any:
    if config.app is None:
        return demo_app()
    return load_app(
        config.app,
        factory=config.factory,
        interface=config.interface,
        app_dir=config.app_dir,
        root_path=config.root_path,
    )


def _server_options(config: ServeConfig) -> dict[str, Any]:
    return {
        "idle_timeout": config.timeout_keep_alive or None,
        "head_timeout": config.timeout_request_head or None,
        "shutdown_timeout": config.timeout_graceful_shutdown,
        "backlog": config.backlog,
        "proxy_headers": config.proxy_headers,
        "forwarded_allow_ips": config.forwarded_allow_ips,
        "limit_concurrency": config.limit_concurrency,
        "access_log": config.access_log,
        "ssl": _ssl_context(config),
        "max_frame_size": config.ws_max_size,
        "ping_interval": config.ws_ping_interval,
        "timeout": config.ws_ping_timeout,
        "compression": DEFAULT_COMPRESSION if config.ws_compression else None,
        "broker": _broker(config),
    }


def _broker(config: ServeConfig) -> Broker | None:
    """The Redis broker of ``--broker``, made in the process that serves (one per process)."""
    if config.broker is None:
        return None
    return RedisBroker(config.broker)


def _ssl_context(config: ServeConfig) -> ssl.SSLContext | None:
    if config.ssl_certfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(config.ssl_certfile, config.ssl_keyfile)
    except (OSError, ssl.SSLError) as error:
        raise AppLoadError(f"cannot load the TLS certificate or key: {error}") from None
    return context


def _supervisor_socket(
    config: ServeConfig,
) -> tuple[socket.socket | None, socket.socket | None]:
    """The listening socket every worker shares, or (Linux, TCP) a bound socket that holds the
    port while each worker binds its own ``SO_REUSEPORT`` listener."""
    if config.uds is not None:
        return bind_unix(config.uds, backlog=config.backlog), None
    if config.fd is not None:
        return from_fd(config.fd), None
    if REUSE_PORT:
        return None, bind_tcp(config.host, config.port, reuse_port=True, listen=False)
    shared = bind_tcp(config.host, config.port, backlog=config.backlog)
    return shared, shared


def _stop_when_orphaned(channel: Connection) -> None:
    """Block on the supervisor's end of `channel`; when it closes, stop this worker."""
    try:
        while True:
            channel.recv()
    except (EOFError, OSError):
        os.kill(os.getpid(), signal.SIGTERM)


def loop_backend(name: str) -> tuple[str, dict[str, Any]]:
    """anyio's backend name and options for ``--backend`` `name`."""
    if name == "uvloop":
        return "asyncio", {"use_uvloop": True}
    return name, {}


def _name(config: ServeConfig) -> str:
    return config.app if config.app is not None else "the demo"


def _reason(error: OSError) -> str:
    """What went wrong, as the system says it ("Address already in use")."""
    return os.strerror(error.errno) if error.errno else str(error)


def _fail(message: str) -> int:
    print(f"wsrs: error: {message}", file=sys.stderr, flush=True)
    return 1


def setup_logging(level: str) -> None:
    """Log to stderr at `level` (``trace`` is below ``debug``)."""
    logging.addLevelName(TRACE, "TRACE")
    number = TRACE if level == "trace" else getattr(logging, level.upper())
    logging.basicConfig(level=number, format="%(levelname)s %(name)s: %(message)s", force=True)
