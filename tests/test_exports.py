"""The public surface: `__all__`, the stub and the runtime stay in step."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import wsrs
import wsrs.exceptions


def test_every_name_in_all_exists() -> None:
    missing = [name for name in wsrs.__all__ if not hasattr(wsrs, name)]
    assert missing == []


def test_all_re_exports_every_exception() -> None:
    assert set(wsrs.exceptions.__all__) <= set(wsrs.__all__)


def test_protocol_error_is_abstract() -> None:
    with pytest.raises(TypeError):
        wsrs.ProtocolError("x")
    assert isinstance(wsrs.LocalProtocolError("x"), wsrs.ProtocolError)


def test_remote_protocol_error_carries_its_answers() -> None:
    too_big = wsrs.PayloadTooBig("frame too big")
    assert (too_big.close_code, too_big.status_hint) == (1009, 413)
    bad_utf8 = wsrs.RemoteProtocolError("bad utf-8", 1007)
    assert (bad_utf8.close_code, bad_utf8.status_hint) == (1007, 400)


def test_multipart_errors_are_remote_protocol_errors_with_their_status() -> None:
    error = wsrs.MultipartError("part larger than the limit", None, 413)
    assert isinstance(error, wsrs.RemoteProtocolError)
    assert error.status_hint == 413
    assert wsrs.MultipartError("malformed").status_hint == 400


def test_the_multipart_surface_is_exported() -> None:
    names = {"MultipartParser", "MultipartLimits", "PartBegin", "PartData", "PartEnd"}
    names |= {"Preamble", "Epilogue", "MultipartPart", "MultipartReader", "parse_multipart"}
    names |= {"FormData", "FormLimits", "UploadFile", "MultipartError"}
    assert names <= set(wsrs.__all__)


@pytest.mark.parametrize("room", ["wsrs.broker", "wsrs.http", "wsrs.server", "wsrs.ws"])
def test_each_room_re_exports_its_public_names_at_the_top(room: str) -> None:
    module = importlib.import_module(room)
    assert set(module.__all__) <= set(wsrs.__all__)
    for name in module.__all__:
        assert getattr(wsrs, name) is getattr(module, name)


RANKS = {
    "_loop": 0,
    "http": 1,
    "ws": 2,
    "broker": 3,
    "client": 3,
    "server": 4,
    "demo": 5,
    "cli": 6,
}
"""Imports run one way: a room may import only rooms of a lower rank (and the leaves)."""


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "wsrs" and parts[1] in RANKS else None


def _imported_rooms(path: Path) -> set[str]:
    rooms: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        rooms.update(room for name in names if (room := _room(name)) is not None)
    return rooms


PACKAGE = Path(wsrs.__file__).parent


def _module_name(path: Path) -> str:
    return ".".join(("wsrs", *path.relative_to(PACKAGE).with_suffix("").parts))


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _room(_module_name(p)))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way_between_rooms(path: Path) -> None:
    own = _room(_module_name(path))
    assert own is not None
    upward = {room for room in _imported_rooms(path) if RANKS[room] > RANKS[own]}
    assert upward == set()
