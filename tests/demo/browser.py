"""Headless Chromium (Debian's package, driven by playwright) for the demo page's tests."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium")


@contextlib.contextmanager
def chromium_browser() -> Iterator[Browser]:
    """A headless Chromium that is closed afterwards (call it in a thread)."""
    assert CHROMIUM is not None, "Debian's chromium is required: make system-deps installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page() -> Iterator[Page]:
    """A fresh page in a headless Chromium that is closed afterwards (call it in a thread)."""
    with chromium_browser() as browser:
        yield browser.new_page()
