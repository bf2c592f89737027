"""Debian's headless Chromium under Playwright, for the demo page tests."""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, Playwright

CHROMIUM = shutil.which("chromium")


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium (Debian's build; `make system-deps` installs it)."""
    assert CHROMIUM is not None, "Debian's chromium is required: make system-deps installs it"
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
