"""The demo page in headless Chromium (Debian's), talking to the demo server over a WebSocket."""

from __future__ import annotations

import anyio
import pytest

from tests.demo.browser import chromium_page
from tests.helpers import serving
from wsrs.demo import demo_app

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

MESSAGE = " ".join(["hello from chromium ✓"] * 20)
"""Long enough to be compressed (over `Deflate.min_size`)."""


def type_and_read_echo(url: str) -> tuple[str, str, str, list[str]]:
    """Open the page, wait for the socket, send a line; return the state, the socket's
    `extensions` as the page reads them and shows them, and the log lines."""
    with chromium_page() as page:
        page.goto(url)
        page.wait_for_function("document.getElementById('state').textContent === 'connected'")
        page.fill("#message", MESSAGE)
        page.press("#message", "Enter")
        page.wait_for_selector("#log .received")
        state = page.inner_text("#state")
        extensions = page.evaluate("socket.extensions")
        shown = page.inner_text("#compression")
        return state, extensions, shown, page.locator("#log div").all_inner_texts()


async def test_demo_page_echoes_what_you_type_compressed() -> None:
    async with serving(demo_app()) as server:
        url = f"http://127.0.0.1:{server.port}/"
        state, extensions, shown, lines = await anyio.to_thread.run_sync(type_and_read_echo, url)
    assert state == "connected"
    # Chromium offers client_max_window_bits; the server limits both windows to 12 bits.
    assert extensions == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    assert shown == extensions
    assert lines == [f"> {MESSAGE}", f"< {MESSAGE}"]


async def test_demo_page_without_compression() -> None:
    async with serving(demo_app(), compression=None) as server:
        url = f"http://127.0.0.1:{server.port}/"
        state, extensions, shown, lines = await anyio.to_thread.run_sync(type_and_read_echo, url)
    assert (state, extensions, shown) == ("connected", "", "off")
    assert lines == [f"> {MESSAGE}", f"< {MESSAGE}"]
