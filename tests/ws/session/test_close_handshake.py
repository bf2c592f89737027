"""The close handshake and `close_reason` on every path, seen from a hand-written client."""

from __future__ import annotations

import anyio
import pytest

from tests.helpers import serving, websocket_app
from tests.wire import RawClient, close_payload, frame
from wsrs import CloseReason, ConnectionClosed, ConnectionClosedError, DefaultWebSocketSession

pytestmark = pytest.mark.anyio

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Recorder:
    """Runs as the server's handler and keeps what the test needs to look at afterwards."""

    def __init__(self) -> None:
        self.session: DefaultWebSocketSession | None = None
        self.received: list[str | bytes] = []
        self.error: BaseException | None = None
        self.done = anyio.Event()
        self.reason: CloseReason | None = None

    async def __call__(self, ws: DefaultWebSocketSession) -> None:
        self.session = ws
        try:
            async for message in ws:
                self.received.append(message)
        except ConnectionClosed as error:
            self.error = error
        finally:
            self.reason = await ws.close_reason
            self.done.set()


async def test_peer_close_is_echoed_and_settles_close_reason() -> None:
    recorder = Recorder()
    async with (
        serving(websocket_app(recorder)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(TEXT, b"hi"))
        await client.send(frame(CLOSE, close_payload(1001, "leaving")))
        echo = await client.expect_close(1001)
        assert echo.payload == close_payload(1001, "leaving")
        await recorder.done.wait()
    assert recorder.received == ["hi"]
    assert recorder.error is None
    assert recorder.reason == CloseReason(1001, "leaving")


async def test_empty_peer_close_is_echoed_empty_and_reported_as_1005() -> None:
    recorder = Recorder()
    async with (
        serving(websocket_app(recorder)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(CLOSE))
        echo = await client.read_frame()
        assert (echo.opcode, echo.payload) == (CLOSE, b"")
        await recorder.done.wait()
    assert recorder.reason == CloseReason(1005, "")


async def test_server_close_waits_for_the_peer_and_then_closes_tcp() -> None:
    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.send("bye soon")
        await ws.close(CloseReason(4000, "done"))

    async with (
        serving(websocket_app(handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        message = await client.read_frame()
        assert (message.opcode, message.payload) == (TEXT, b"bye soon")
        close = await client.read_frame()
        assert close.payload == close_payload(4000, "done")
        await client.send(frame(CLOSE, close.payload))
        assert await client.read_until_closed() == b""


async def test_connection_dropped_without_close_reports_1006() -> None:
    recorder = Recorder()
    async with serving(websocket_app(recorder)) as server:
        client = await RawClient.connect(server.port, "/ws")
        await client.send(frame(TEXT, b"last words"))
        await client.aclose()
        await recorder.done.wait()
    assert recorder.received == ["last words"]
    assert isinstance(recorder.error, ConnectionClosedError)
    assert recorder.error.code == 1006
    assert recorder.reason is not None
    assert recorder.reason.code == 1006


async def test_close_times_out_when_the_peer_never_answers() -> None:
    closed = anyio.Event()

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.close()
        closed.set()

    app = websocket_app(handler)
    async with (
        serving(app, close_timeout=0.2) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        close = await client.read_frame()
        assert close.close_code == 1000
        with anyio.fail_after(5):
            await closed.wait()
        assert await client.read_until_closed() == b""


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        pytest.param(frame(TEXT, b"x", mask=None), 1002, id="unmasked-client-frame"),
        pytest.param(frame(0x3, b"x"), 1002, id="reserved-opcode"),
        pytest.param(frame(TEXT, b"x", rsv=4), 1002, id="rsv1-without-extension"),
        pytest.param(frame(PING, b"x", fin=False), 1002, id="fragmented-ping"),
        pytest.param(frame(PING, b"x" * 126), 1002, id="oversize-ping"),
        pytest.param(frame(0x0, b"x"), 1002, id="continuation-without-start"),
        pytest.param(frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"), 1002, id="new-data-frame"),
        pytest.param(frame(CLOSE, b"\x03"), 1002, id="one-byte-close"),
        pytest.param(frame(CLOSE, close_payload(1005)), 1002, id="reserved-close-code"),
        pytest.param(frame(TEXT, b"\xff"), 1007, id="invalid-utf8"),
        pytest.param(frame(TEXT, b"\xce", fin=False) + frame(0x0, b"\x00"), 1007, id="split-utf8"),
        pytest.param(frame(CLOSE, close_payload(1000) + b"\xff"), 1007, id="invalid-utf8-reason"),
        pytest.param(frame(BINARY, b"x" * 1025), 1009, id="oversize-frame"),
        pytest.param(
            frame(BINARY, b"x" * 600, fin=False) + frame(0x0, b"x" * 600),
            1009,
            id="oversize-message",
        ),
    ],
)
async def test_violations_fail_the_connection_with_their_code(wire: bytes, code: int) -> None:
    recorder = Recorder()
    app = websocket_app(recorder)
    async with (
        serving(app, max_frame_size=1024) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(wire)
        await client.expect_close(code)
        await recorder.done.wait()
    assert isinstance(recorder.error, ConnectionClosedError)
    assert recorder.reason is not None
    assert recorder.reason.code == code
    assert recorder.error.sent == recorder.reason


async def test_frames_queued_before_close_are_sent_before_it() -> None:
    async def handler(ws: DefaultWebSocketSession) -> None:
        for number in range(100):
            await ws.send(str(number))
        await ws.close()

    async with (
        serving(websocket_app(handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        texts = [(await client.read_frame()).payload for _ in range(100)]
        assert texts == [str(number).encode() for number in range(100)]
        assert (await client.read_frame()).close_code == 1000


async def test_send_after_close_raises_connection_closed() -> None:
    outcome: list[ConnectionClosed] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.close()
        try:
            await ws.send("too late")
        except ConnectionClosed as error:
            outcome.append(error)

    async with (
        serving(websocket_app(handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        close = await client.read_frame()
        await client.send(frame(CLOSE, close.payload))
        await client.read_until_closed()
    assert len(outcome) == 1
    assert outcome[0].code == 1000


async def test_terminate_drops_the_connection_at_once() -> None:
    reasons: list[CloseReason] = []

    async def handler(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        ws.terminate()
        reasons.append(await ws.close_reason)

    async with (
        serving(websocket_app(handler)) as server,
        await RawClient.connect(server.port, "/ws") as client,
    ):
        await client.send(frame(TEXT, b"terminate me"))
        assert await client.read_until_closed() == b""
    assert [reason.code for reason in reasons] == [1006]


async def test_a_served_handler_that_raises_closes_with_1011_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing(ws: DefaultWebSocketSession) -> None:
        await ws.receive()
        raise KeyError("broken handler")

    with caplog.at_level("ERROR", logger="wsrs"):
        async with (
            serving(websocket_app(failing)) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            await client.send(frame(TEXT, b"go"))
            close = await client.read_frame()
            assert close.payload == close_payload(1011, "'broken handler'")
            await client.send(frame(CLOSE, close_payload(1011)))
            assert await client.read_until_closed() == b""
        # Shut down without waiting for the session: it counted itself out when it ended.
    failures = [r for r in caplog.records if r.getMessage().startswith("WebSocket handler failed")]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert failures[0].exc_info[0] is KeyError


async def test_a_served_handler_that_lets_the_close_out_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ended = anyio.Event()

    async def reader(ws: DefaultWebSocketSession) -> None:
        try:
            while True:
                await ws.receive()  # raises ConnectionClosed once the peer's Close is in
        finally:
            ended.set()

    with caplog.at_level("DEBUG", logger="wsrs"):
        async with (
            serving(websocket_app(reader)) as server,
            await RawClient.connect(server.port, "/ws") as client,
        ):
            await client.send(frame(CLOSE, close_payload(1001, "bye")))
            await client.expect_close(1001)
            await ended.wait()
    assert not [r for r in caplog.records if r.levelno >= 30]
