"""Starlette on uvicorn (httptools, uvloop) serving ``POST /form`` with ``request.form()``.

The same answer as ``wsrs_form``: how many fields and files, and their bytes.
"""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from benches._harness import exit_after, server_arguments


async def form(request: Request) -> PlainTextResponse:
    async with request.form() as data:
        values = [value for _, value in data.multi_items()]
        files = [v for v in values if isinstance(v, UploadFile)]
        size = sum((v.size or 0) if isinstance(v, UploadFile) else len(v.encode()) for v in values)
    return PlainTextResponse(f"fields={len(values) - len(files)} files={len(files)} bytes={size}")


app = Starlette(routes=[Route("/form", form, methods=["POST"])])


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio")).parse_args()
    exit_after(args.lifetime)
    uvicorn.run(
        app,
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
