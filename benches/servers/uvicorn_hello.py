"""uvicorn with httptools on uvloop serving the raw ASGI hello app (no framework).

Access log off, log level warning, lifespan off, one process.
"""

from __future__ import annotations

import uvicorn

from benches._harness import exit_after, server_arguments
from benches.servers.hello_apps import asgi_app


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio")).parse_args()
    exit_after(args.lifetime)
    uvicorn.run(
        asgi_app,
        host=args.host,
        port=args.port,
        loop=args.loop,
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
