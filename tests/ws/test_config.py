"""Session settings refused up front: a bad timing would otherwise surface as a dead timer task."""

from __future__ import annotations

import math

import pytest

from tests.helpers import serving, websocket_app
from wsrs import DefaultWebSocketSession, SessionConfig, connect


@pytest.mark.parametrize(
    "setting",
    [
        {"ping_interval": 0},
        {"ping_interval": math.nan},
        {"timeout": -1},
        {"timeout": math.nan},
        {"close_timeout": -0.1},
        {"close_timeout": math.nan},
    ],
    ids=repr,
)
def test_a_timing_that_is_not_a_positive_number_is_refused(
    setting: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match="must be"):
        SessionConfig(**setting)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_live_sessions_ping_timing_refuses_nan() -> None:
    refused: list[str] = []

    async def session(ws: DefaultWebSocketSession) -> None:
        for name in ("ping_interval", "timeout"):
            with pytest.raises(ValueError, match="must be positive"):
                setattr(ws, name, math.nan)
            refused.append(name)

    async with (
        serving(websocket_app(session)) as server,
        connect(f"ws://127.0.0.1:{server.port}/ws") as client,
    ):
        await client.wait_closed()
    assert refused == ["ping_interval", "timeout"]
