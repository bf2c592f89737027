"""The demo page in headless Chromium (Debian's), talking to the demo server over a WebSocket."""

from __future__ import annotations

import anyio
import pytest

from tests.demo.browser import chromium_page
from tests.helpers import serving
from wsrs.demo import demo_app

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


def type_and_read_echo(url: str) -> tuple[str, list[str]]:
    """Open the page, wait for the socket, send a line; return the state and the log lines."""
    with chromium_page() as page:
        page.goto(url)
        page.wait_for_function("document.getElementById('state').textContent === 'connected'")
        page.fill("#message", "hello from chromium ✓")
        page.press("#message", "Enter")
        page.wait_for_selector("#log .received")
        return page.inner_text("#state"), page.locator("#log div").all_inner_texts()


async def test_demo_page_echoes_what_you_type() -> None:
    async with serving(demo_app()) as server:
        url = f"http://127.0.0.1:{server.port}/"
        state, lines = await anyio.to_thread.run_sync(type_and_read_echo, url)
    assert state == "connected"
    assert lines == ["> hello from chromium ✓", "< hello from chromium ✓"]
