"""Inbox.read: a read's whole messages handed to the handler or queued from Rust, the rest to
the session; the queue's capacity pauses and resumes reading."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.ws.codec._ws_wire import frame
from wsrs._wsrs import Frame, FrameDecoder, FrameType, Inbox


class Session:
    """What an inbox calls back, recorded (the inbox is under test, not a session)."""

    def __init__(self) -> None:
        self.delivered: list[list[str | bytes | Frame]] = []
        self.failures: list[Exception] = []
        self.reading_updates = 0
        self.after_handler = 0
        self._writing_paused = False

    def _deliver(self, events: list[str | bytes | Frame]) -> None:
        self.delivered.append(events)

    def _handler_failed(self, error: Exception) -> None:
        self.failures.append(error)

    def _update_reading(self) -> None:
        self.reading_updates += 1

    def _after_handler(self) -> None:
        self.after_handler += 1


def new_inbox(
    decoder: FrameDecoder | None = None, capacity: int = 16
) -> tuple[Inbox[str | bytes], Session, FrameDecoder]:
    session = Session()
    decoder = decoder or FrameDecoder()
    inbox: Inbox[str | bytes] = Inbox(
        session, decoder, capacity=capacity, resume_below=max(1, capacity // 4)
    )
    return inbox, session, decoder


def read_into(inbox: Inbox[Any], decoder: FrameDecoder, data: bytes) -> None:
    """One read of `data` into the decoder's view, as a transport does, then `read`."""
    view = decoder.get_buffer(-1)
    view[: len(data)] = data
    inbox.read(len(data))


def drain(inbox: Inbox[str | bytes]) -> list[str | bytes]:
    return [inbox.popleft() for _ in range(len(inbox))]


def test_messages_are_queued_in_order_and_the_session_hears_nothing() -> None:
    inbox, session, decoder = new_inbox()
    wire = frame(0x81, b"one") + frame(0x82, b"\x00two") + frame(0x01, b"th") + frame(0x80, b"ree")
    read_into(inbox, decoder, wire)
    assert drain(inbox) == ["one", b"\x00two", "three"]
    assert session.delivered == []


def test_with_a_handler_messages_go_to_it_instead_of_the_queue() -> None:
    inbox, _, decoder = new_inbox()
    got: list[str | bytes] = []
    inbox.handler = got.append
    read_into(inbox, decoder, frame(0x81, b"a") + frame(0x82, b"b"))
    assert got == ["a", b"b"]
    assert len(inbox) == 0


def test_a_control_frame_and_everything_after_it_go_to_the_session_in_order() -> None:
    inbox, session, decoder = new_inbox()
    read_into(inbox, decoder, frame(0x81, b"before") + frame(0x89, b"ping") + frame(0x81, b"after"))
    assert drain(inbox) == ["before"]
    [rest] = session.delivered
    assert [type(event) for event in rest] == [Frame, str]
    assert isinstance(rest[0], Frame)
    assert rest[0].frame_type == FrameType.PING
    assert rest[1] == "after"


def test_a_violation_delivers_an_empty_rest_with_error_set_then_nothing_more_is_decoded() -> None:
    inbox, session, decoder = new_inbox()
    # A Text frame of invalid UTF-8 after a good one: 1007.
    read_into(inbox, decoder, frame(0x81, b"ok") + frame(0x81, b"\xff"))
    assert drain(inbox) == ["ok"]
    assert session.delivered == [[]]
    assert decoder.error is not None
    assert decoder.error.close_code == 1007
    read_into(inbox, decoder, frame(0x81, b"later"))
    assert len(inbox) == 0
    assert session.delivered == [[]]


def test_a_handler_exception_goes_to_the_session_and_drops_the_rest_of_the_read() -> None:
    inbox, session, decoder = new_inbox()
    got: list[str | bytes] = []

    def handler(message: str | bytes) -> None:
        got.append(message)
        if message == "boom":
            raise ValueError("handler failed")

    inbox.handler = handler
    read_into(inbox, decoder, frame(0x81, b"boom") + frame(0x81, b"dropped"))
    assert got == ["boom"]
    [failure] = session.failures
    assert isinstance(failure, ValueError)
    # Neither the inbox nor the decoder is left borrowed or broken: the next read decodes.
    read_into(inbox, decoder, frame(0x81, b"next"))
    assert got == ["boom", "next"]


def test_an_interrupt_out_of_the_handler_propagates() -> None:
    inbox, session, decoder = new_inbox()

    def handler(message: str | bytes) -> None:
        raise KeyboardInterrupt

    inbox.handler = handler
    with pytest.raises(KeyboardInterrupt):
        read_into(inbox, decoder, frame(0x81, b"x"))
    assert session.failures == []


def test_the_handler_may_use_the_decoder_and_the_inbox_while_it_is_called() -> None:
    inbox, _, decoder = new_inbox()
    sizes: list[int] = []

    def handler(message: str | bytes) -> None:
        sizes.append(decoder.max_frame_size)
        decoder.max_frame_size = 10
        inbox.handler = handler  # set again while it is called: later messages still go to it

    inbox.handler = handler
    read_into(inbox, decoder, frame(0x81, b"a") + frame(0x81, b"b"))
    assert sizes[1] == 10
    # The new cap holds for the next read: 11 bytes is over it (1009).
    read_into(inbox, decoder, frame(0x82, b"x" * 11))
    assert decoder.error is not None
    assert decoder.error.close_code == 1009


def test_with_writes_paused_the_handler_path_tells_the_session_after_the_read() -> None:
    inbox, session, decoder = new_inbox()
    inbox.handler = lambda message: None
    read_into(inbox, decoder, frame(0x81, b"a"))
    assert session.after_handler == 0
    session._writing_paused = True
    read_into(inbox, decoder, frame(0x81, b"b"))
    assert session.after_handler == 1


def test_a_full_inbox_pauses_reading_and_draining_to_a_quarter_resumes_it() -> None:
    inbox, session, decoder = new_inbox(capacity=8)
    paused: list[bool] = []
    read_into(inbox, decoder, b"".join(frame(0x81, b"%d" % n) for n in range(7)))
    paused.append(inbox.paused)
    read_into(inbox, decoder, frame(0x81, b"7"))
    paused.append(inbox.paused)
    assert session.reading_updates == 1
    for _ in range(5):
        inbox.popleft()
    paused.append(inbox.paused)  # 3 left: above resume_below (2)
    assert session.reading_updates == 1
    assert inbox.popleft() == "5"
    paused.append(inbox.paused)
    assert paused == [False, True, True, False]
    assert session.reading_updates == 2


def test_a_large_message_read_into_its_own_bytes_is_queued() -> None:
    payload = os.urandom(300_000)
    wire = frame(0x82, payload)
    inbox, _, decoder = new_inbox()
    for start in range(0, len(wire), 65_536):
        read_into(inbox, decoder, wire[start : start + 65_536])
    assert drain(inbox) == [payload]


def test_bytes_read_by_someone_else_are_decoded_as_fed() -> None:
    inbox, _, _ = new_inbox()
    wire = frame(0x81, b"fed") + frame(0x82, b"\x01")
    inbox.read(wire[:3])
    inbox.read(bytearray(wire[3:]))
    assert drain(inbox) == ["fed", b"\x01"]


def test_popping_an_empty_inbox_is_an_index_error() -> None:
    inbox, _, _ = new_inbox()
    with pytest.raises(IndexError):
        inbox.popleft()
