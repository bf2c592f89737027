"""The inbox under stress: cancelled and concurrent receivers, handlers switched mid-read, a
violation behind queued messages, the end of a session while tasks wait, and what is collected."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BACKENDS, UVLOOP
from tests.helpers import serving, websocket_app
from tests.wire import RawClient, frame
from wsrs import DefaultWebSocketSession

pytestmark = pytest.mark.anyio

TEXT, CLOSE = 0x1, 0x8


@pytest.fixture(params=[*BACKENDS, UVLOOP])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """asyncio, trio and uvloop: the inbox resumes receivers differently on each."""
    backend: tuple[str, dict[str, object]] = request.param
    return backend


def texts(*words: str) -> bytes:
    """Text frames of `words`, as one write (one read on the server, as a rule)."""
    return b"".join(frame(TEXT, word.encode()) for word in words)


async def test_a_failing_handler_is_logged_once_with_its_own_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_handler(message: str | bytes) -> None:
        raise ValueError(f"cannot take {message!r}")

    async def app(ws: DefaultWebSocketSession) -> None:
        ws.set_message_handler(broken_handler)
        await ws.wait_closed()

    with caplog.at_level(logging.ERROR, logger="wsrs"):
        async with (
            serving(websocket_app(app)) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            await client.send(texts("x", "y"))
            await client.expect_close(1011)
    failures = [r for r in caplog.records if r.getMessage() == "WebSocket message handler failed"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    error = failures[0].exc_info[1]
    assert isinstance(error, ValueError)
    assert "broken_handler" in caplog.text
    assert error.__traceback__ is not None
