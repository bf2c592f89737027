"""A minimal Django ASGI project served by wsrs, driven by httpx.

The project (settings and URLs) is written by the test into a temporary directory. Django's ASGI
handler is asyncio-only, so the server runs on asyncio and uvloop; it does not speak the lifespan
protocol, which wsrs's ``auto`` mode then goes without.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from tests.conftest import UVLOOP
from tests.server.asgi.asgi_helpers import errors, serving_asgi
from wsrs.server.asgi.types import AsgiCallable

pytestmark = pytest.mark.anyio

SETTINGS = """
SECRET_KEY = "not secret: a test project"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "wsrs_django_urls"
INSTALLED_APPS = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {}
USE_TZ = True
"""

URLS = """
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path


async def hello(request):
    return JsonResponse({"hello": "django", "method": request.method})


async def item(request, id):
    return JsonResponse({"id": id, "q": request.GET.get("q"), "path": request.path})


async def stream(request):
    async def lines():
        for i in range(20):
            yield f"line {i}\\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")


async def echo(request):
    return HttpResponse(request.body, content_type="application/octet-stream")


async def form(request):
    upload = request.FILES["upload"]
    size = len(upload.read())
    return JsonResponse({"name": request.POST["name"], "filename": upload.name, "size": size})


def blocking(request):
    return HttpResponse(f"sync view for {request.META['REMOTE_ADDR']}")


urlpatterns = [
    path("hello", hello),
    path("items/<int:id>", item),
    path("stream", stream),
    path("echo", echo),
    path("form", form),
    path("sync", blocking),
]
"""


@pytest.fixture(params=[pytest.param(("asyncio", {"use_uvloop": False}), id="asyncio"), UVLOOP])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    backend: tuple[str, dict[str, object]] = request.param
    return backend


@pytest.fixture(scope="module")
def django_app(tmp_path_factory: pytest.TempPathFactory) -> AsgiCallable:
    project: Path = tmp_path_factory.mktemp("django_project")
    (project / "wsrs_django_settings.py").write_text(textwrap.dedent(SETTINGS))
    (project / "wsrs_django_urls.py").write_text(textwrap.dedent(URLS))
    sys.path.insert(0, str(project))
    os.environ["DJANGO_SETTINGS_MODULE"] = "wsrs_django_settings"
    from django.core.asgi import get_asgi_application  # type: ignore[import-untyped]

    app: AsgiCallable = get_asgi_application()
    return app


async def test_a_django_project_serves_its_views(
    django_app: AsgiCallable, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        serving_asgi(django_app) as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client,
    ):
        hello = await client.get("/hello")
        assert hello.json() == {"hello": "django", "method": "GET"}
        item = await client.get("/items/7", params={"q": "é"})
        assert item.json() == {"id": 7, "q": "é", "path": "/items/7"}
        async with client.stream("GET", "/stream") as streamed:
            text = "".join([piece async for piece in streamed.aiter_text()])
        assert text == "".join(f"line {i}\n" for i in range(20))
        echoed = await client.post("/echo", content=b"y" * 300_000)
        assert echoed.content == b"y" * 300_000
        assert (await client.get("/sync")).text == "sync view for 127.0.0.1"
        upload = bytes(range(256)) * 4000
        form = await client.post(
            "/form", data={"name": "Zoë"}, files={"upload": ("a.bin", upload, "x/y")}
        )
        assert form.json() == {"name": "Zoë", "filename": "a.bin", "size": len(upload)}
        assert (await client.get("/nowhere")).status_code == 404
        # CommonMiddleware's APPEND_SLASH answers with a redirect, through the same engine
        assert (await client.get("/items/7/")).status_code in (301, 404)
    assert errors(caplog) == []


async def test_django_sees_the_root_path_as_its_script_name(django_app: AsgiCallable) -> None:
    async with (
        serving_asgi(django_app, root_path="/app") as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client,
    ):
        item = await client.get("/items/3", params={"q": "x"})
    assert item.json() == {"id": 3, "q": "x", "path": "/app/items/3"}
