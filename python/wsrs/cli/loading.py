"""Finding the app to serve: ``MODULE:ATTR`` imported (or called, with ``--factory``), its kind
told apart (a `wsrs.App`, or an ASGI 3 callable), and the ``--env-file`` read before the import.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from typing import Any

from wsrs.server.app import App
from wsrs.server.asgi import AsgiApp, is_asgi_app

__all__ = ["AppLoadError", "load_app", "load_env_file"]


class AppLoadError(Exception):
    """The app cannot be imported or is not something wsrs can serve (exit status 1)."""


def load_env_file(path: str) -> None:
    """Set the ``NAME=value`` lines of `path` in the environment, keeping values already set.

    Blank lines and ``#`` comments are skipped; ``export`` and matching quotes are allowed.
    """
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            line = line.removeprefix("export ").lstrip()
            name, equals, value = line.partition("=")
            name, value = name.strip(), value.strip()
            if not equals or not name.isidentifier():
                raise AppLoadError(f"{path}:{number}: expected NAME=value, got {line!r}")
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            elif " #" in value:
                value = value.split(" #", 1)[0].rstrip()
            os.environ.setdefault(name, value)


def load_app(spec: str, *, factory: bool, interface: str, app_dir: str, root_path: str = "") -> Any:
    """Import ``MODULE:ATTR`` and return what the server is given: a `wsrs.App` or an ASGI app
    wrapped for the server.

    Raises:
        AppLoadError: with one line saying what is wrong.
    """
    module_name, _, attribute = spec.partition(":")
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and module_name.startswith(error.name):
            raise AppLoadError(f"cannot import {module_name!r}: no such module") from None
        raise AppLoadError(f"cannot import {module_name!r}: {_where(error)}") from None
    except Exception as error:
        raise AppLoadError(f"cannot import {module_name!r}: {_where(error)}") from None
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AppLoadError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if factory:
        if not callable(target):
            raise AppLoadError(f"--factory: {spec} is not callable")
        try:
            target = target()
        except Exception as error:
            raise AppLoadError(f"the factory {spec} failed: {_where(error)}") from None
    return _for_interface(target, spec, interface, root_path)


def _for_interface(app: Any, spec: str, interface: str, root_path: str) -> Any:
    if isinstance(app, App):
        if interface == "asgi":
            raise AppLoadError(f"{spec} is a wsrs.App, not an ASGI app (--interface asgi)")
        return app
    if interface == "wsrs":
        raise AppLoadError(f"{spec} is not a wsrs.App (--interface wsrs): {type(app).__name__}")
    if not is_asgi_app(app):
        kind = type(app).__name__
        hint = "; is it a factory (--factory)?" if _takes_no_arguments(app) else ""
        raise AppLoadError(f"{spec} is neither a wsrs.App nor an ASGI 3 app: {kind}{hint}")
    return AsgiApp(app, root_path=root_path)


def _takes_no_arguments(app: Any) -> bool:
    try:
        return not inspect.signature(app).parameters
    except (TypeError, ValueError):
        return False


def _where(error: BaseException) -> str:
    """The error and the line of the app's code that raised it, on one line."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = os.path.dirname(os.path.dirname(__file__))
    outside = [frame for frame in frames if not frame.filename.startswith(ours)]
    if isinstance(error, SyntaxError) and error.filename:
        return f"SyntaxError: {error.msg} ({error.filename}, line {error.lineno})"
    message = f"{type(error).__name__}: {error}"
    if outside:
        frame = outside[-1]
        message += f" ({frame.filename}, line {frame.lineno})"
    return message
