"""granian serving the raw RSGI or ASGI hello app, in its most minimal configuration.

One worker, one runtime thread, one blocking thread, HTTP/1 only, WebSockets off, access log off,
log level warning. Granian runs the app in a worker process it forks; the harness kills the whole
process group.
"""

from __future__ import annotations

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.log import LogLevels

from benches._harness import exit_after, server_arguments

TARGETS = {
    "rsgi": ("benches.servers.hello_apps:rsgi_app", Interfaces.RSGI),
    "asgi": ("benches.servers.hello_apps:asgi_app", Interfaces.ASGI),
}


def main() -> None:
    parser = server_arguments(__doc__ or "", ("uvloop", "asyncio"))
    parser.add_argument("--interface", choices=sorted(TARGETS), default="rsgi")
    args = parser.parse_args()
    exit_after(args.lifetime)
    target, interface = TARGETS[args.interface]
    Granian(
        target,
        address=args.host,
        port=args.port,
        interface=interface,
        workers=1,
        runtime_threads=1,
        blocking_threads=1,
        loop=Loops(args.loop),
        http=HTTPModes.http1,
        websockets=False,
        log_level=LogLevels.warning,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
