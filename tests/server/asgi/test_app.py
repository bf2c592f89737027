"""Telling an ASGI application from a wsrs `App` (what ``--interface auto`` relies on)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from wsrs import App, AsgiApp, is_asgi_app
from wsrs.server.asgi.types import Receive, Scope, Send


async def asgi_function(scope: Scope, receive: Receive, send: Send) -> None:
    pass


class AsgiInstance:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pass


def factory() -> Any:
    return asgi_function


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (asgi_function, True),
        (AsgiInstance(), True),
        (Starlette(), True),
        (App(), False),
        (AsgiApp(asgi_function), False),
        (AsgiInstance, False),
        (factory, False),
        ("module:attr", False),
    ],
    ids=["function", "instance", "starlette", "wsrs-app", "adapter", "class", "factory", "str"],
)
def test_is_asgi_app_tells_an_asgi_callable_from_other_objects(
    candidate: object, expected: bool
) -> None:
    assert is_asgi_app(candidate) is expected


def test_an_unknown_lifespan_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="lifespan"):
        AsgiApp(asgi_function, lifespan="maybe")  # type: ignore[arg-type]
