"""wsrs serving ``POST /form``: reads the form with ``request.form()`` and answers its sizes."""

from __future__ import annotations

import anyio

from benches._harness import exit_after, raise_nofile_limit, server_arguments
from wsrs import App, Request, Response, UploadFile, serve


def form_app() -> App:
    app = App()

    @app.route("/form", methods=["POST"])
    async def form(request: Request) -> Response:
        async with await request.form() as data:
            values = [value for _, value in data.multi_items()]
        files = [v for v in values if isinstance(v, UploadFile)]
        size = sum(v.size if isinstance(v, UploadFile) else len(v) for v in values)
        return Response.text(f"fields={len(values) - len(files)} files={len(files)} bytes={size}")

    return app


async def serve_forms(host: str, port: int) -> None:
    async with serve(form_app(), host, port) as server:
        await server.serve_forever()


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio", "trio")).parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()
    backend, options = (
        ("asyncio", {"use_uvloop": True}) if args.loop == "uvloop" else (args.loop, {})
    )
    anyio.run(serve_forms, args.host, args.port, backend=backend, backend_options=options)


if __name__ == "__main__":
    main()
