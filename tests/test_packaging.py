"""What an installed wsrs carries: the stub, `py.typed`, the demo page, the licence, its metadata.

`make test-wheel` runs the whole suite against the built wheel in a fresh virtual environment
(with ``WSRS_TEST_INSTALLED=1``); there these tests check the wheel itself.
"""

from __future__ import annotations

import os
import sysconfig
from importlib import metadata, resources
from pathlib import Path

import pytest

import wsrs

DATA_FILES = [
    "py.typed",
    "_wsrs.pyi",
    "demo/static/index.html",
    "demo/static/app.js",
    "demo/static/style.css",
]


@pytest.mark.parametrize("name", DATA_FILES)
def test_package_carries_its_data_files(name: str) -> None:
    assert (resources.files("wsrs") / name).is_file()


def test_distribution_carries_the_mit_licence() -> None:
    files = metadata.files("wsrs") or []
    licences = [f for f in files if f.name == "LICENSE"]
    assert len(licences) == 1
    assert "MIT License" in licences[0].read_text()
    assert metadata.metadata("wsrs")["License-Expression"] == "MIT"


def test_metadata_has_what_a_pypi_page_needs() -> None:
    meta = metadata.metadata("wsrs")
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(urls)
    assert "websocket" in meta["Keywords"].split(",")
    assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"].startswith("text/markdown")
    assert "## A server" in str(meta.json["description"])


@pytest.mark.skipif(
    not os.environ.get("WSRS_TEST_INSTALLED"), reason="checks an installed wheel (make test-wheel)"
)
def test_suite_runs_against_the_installed_wheel_not_the_source_tree() -> None:
    site_packages = Path(sysconfig.get_path("platlib")).resolve()
    assert site_packages in Path(wsrs.__file__).resolve().parents
