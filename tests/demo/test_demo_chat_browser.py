"""The demo's chat in headless Chromium: two pages on two servers that share a Redis broker."""

from __future__ import annotations

import anyio
import pytest
from playwright.sync_api import Page

from tests.demo.browser import chromium_browser
from tests.helpers import serving
from tests.redis_server import RedisServer
from wsrs import RedisBroker
from wsrs.demo import demo_app

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


def _join(page: Page, url: str, room: str) -> None:
    page.goto(url)
    page.fill("#chat-room", room)
    page.press("#chat-room", "Enter")
    page.wait_for_function(f"document.getElementById('chat-state').textContent === 'in {room}'")


def chat_across_servers(first_url: str, second_url: str) -> tuple[list[str], list[str], str, str]:
    """Join one room from a page on each server, say a line on each; return both logs and the
    member counts each page shows."""
    with chromium_browser() as browser:
        first, second = browser.new_page(), browser.new_page()
        _join(first, first_url, "lobby")
        _join(second, second_url, "lobby")
        for page in (first, second):
            page.wait_for_function("document.getElementById('chat-members').textContent === '2'")
        first.fill("#chat-message", "hello from the first ✓")
        first.press("#chat-message", "Enter")
        second.wait_for_selector("#chat-log .chat-message")
        second.fill("#chat-message", "and from the second")
        second.press("#chat-message", "Enter")
        for page in (first, second):
            page.wait_for_function("document.querySelectorAll('#chat-log div').length === 2")
        logs = [page.locator("#chat-log div").all_inner_texts() for page in (first, second)]
        counts = [page.inner_text("#chat-members") for page in (first, second)]
    return logs[0], logs[1], counts[0], counts[1]


async def test_two_pages_on_two_servers_chat_in_one_room(redis_server: RedisServer) -> None:
    async with (
        serving(demo_app(), broker=RedisBroker(redis_server.url)) as one,
        serving(demo_app(), broker=RedisBroker(redis_server.url)) as two,
    ):
        first, second, count_one, count_two = await anyio.to_thread.run_sync(
            chat_across_servers, f"http://127.0.0.1:{one.port}/", f"http://127.0.0.1:{two.port}/"
        )
    expected = ["hello from the first ✓", "and from the second"]
    assert first == expected
    assert second == expected
    assert (count_one, count_two) == ("2", "2")
