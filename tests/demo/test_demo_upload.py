"""The demo's ``POST /upload``: Chromium submitting the page's form as a real FormData; curl -F."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import anyio
import pytest
from playwright.sync_api import FilePayload, Page

from tests.demo.browser import chromium_page
from tests.helpers import serving
from wsrs import HttpLimits
from wsrs.demo import demo_app

pytestmark = pytest.mark.anyio

CURL = shutil.which("curl")
FILES = [("hello.txt", b"hello from chromium\n"), ("caf\u00e9 \u2713.bin", os.urandom(300_000))]


def expected_rows() -> list[list[str]]:
    """The table rows, in the form's order: the picked files, then the note."""
    note = "a \u2713".encode()
    rows = [
        ["files", name, str(len(data)), hashlib.sha256(data).hexdigest()] for name, data in FILES
    ]
    return [*rows, ["note", "", str(len(note)), hashlib.sha256(note).hexdigest()]]


def submit_the_form(page: Page, url: str) -> None:
    """Pick the files in the page's form, fill its note and submit it."""
    payloads: list[FilePayload] = [
        {"name": name, "mimeType": "application/octet-stream", "buffer": data}
        for name, data in FILES
    ]
    page.goto(url)
    page.fill("input[name=note]", "a \u2713")
    page.set_input_files("#files", payloads)
    page.click("#upload button")


def upload_from_the_page(url: str) -> list[list[str]]:
    """Submit the form and read the table the page fills."""
    with chromium_page() as page:
        submit_the_form(page, url)
        page.wait_for_selector("#uploads .uploaded")
        rows = page.locator("#uploads tbody tr")
        return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


@pytest.mark.browser
async def test_the_page_uploads_files_and_shows_their_sha256() -> None:
    async with serving(demo_app()) as server:
        url = f"http://127.0.0.1:{server.port}/"
        rows = await anyio.to_thread.run_sync(upload_from_the_page, url)
    assert rows == expected_rows()


def refused_upload(url: str) -> tuple[str, int]:
    """Submit the form to a server that refuses it: what the page says, and its table's rows."""
    with chromium_page() as page:
        submit_the_form(page, url)
        page.wait_for_function(
            "document.getElementById('upload-state').textContent.startsWith('refused')"
        )
        return page.inner_text("#upload-state"), page.locator("#uploads tbody tr").count()


@pytest.mark.browser
async def test_the_page_shows_why_an_upload_over_the_body_limit_was_refused() -> None:
    async with serving(demo_app(), limits=HttpLimits(max_body_size=100_000)) as server:
        url = f"http://127.0.0.1:{server.port}/"
        state, rows = await anyio.to_thread.run_sync(refused_upload, url)
    assert state.startswith("refused: 413 ")
    assert rows == 0


async def test_curl_can_post_to_the_same_endpoint(tmp_path: Path) -> None:
    assert CURL is not None
    data = os.urandom(1 << 20)
    upload = tmp_path / "data.bin"
    upload.write_bytes(data)
    async with serving(demo_app()) as server:
        url = f"http://127.0.0.1:{server.port}/upload"
        done = await anyio.run_process([CURL, "-sS", "-F", f"f=@{upload}", "-F", "n=x", url])
    assert json.loads(done.stdout) == {
        "parts": [
            {
                "name": "f",
                "filename": "data.bin",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            {"name": "n", "filename": None, "size": 1, "sha256": hashlib.sha256(b"x").hexdigest()},
        ]
    }
