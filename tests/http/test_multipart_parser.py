"""MultipartParser through the Python binding: RFC tables, every failure mode, any split."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.http.multipart_bodies import FAILURES, RFC_2046, RFC_7578, field, form_body
from wsrs import (
    Epilogue,
    Headers,
    MultipartError,
    MultipartLimits,
    MultipartParser,
    PartBegin,
    PartData,
    PartEnd,
    Preamble,
)

Seen = tuple[str, object]


def normalise(events: list[object]) -> list[Seen]:
    """Events as comparable tuples, adjacent content joined."""
    out: list[Seen] = []
    for event in events:
        match event:
            case PartData(data=data):
                if out and out[-1][0] == "data":
                    out[-1] = ("data", out[-1][1] + data)  # type: ignore[operator]
                else:
                    out.append(("data", data))
            case PartBegin():
                begin = (event.name, event.filename, event.filename_star, event.content_type)
                out.append(("begin", (*begin, event.charset, event.headers.items())))
            case PartEnd():
                out.append(("end", None))
            case Preamble(data=data):
                out.append(("preamble", data))
            case Epilogue(data=data):
                out.append(("epilogue", data))
    return out


def scan(
    boundary: str, body: bytes, cuts: list[int], limits: MultipartLimits | None = None
) -> tuple[list[Seen], int | None]:
    """The events of `body` cut at `cuts`, and the status of the error that stopped it."""
    parser = MultipartParser(boundary, limits=limits)
    events: list[object] = []
    start = 0
    try:
        for end in [*cuts, len(body)]:
            events += parser.feed(body[start:end])
            start = end
        events += parser.finish()
    except MultipartError as error:
        recorded = parser.error
        return normalise(events), error.status_hint if recorded is error else -1
    return normalise(events), None


def test_rfc_2046_example() -> None:
    events, error = scan("simple boundary", RFC_2046, [])
    assert error is None
    assert events[0] == ("preamble", b"This is the preamble.\r\n")
    assert events[-1] == ("epilogue", b"\r\nThis is the epilogue.\r\n")
    datas = [value for kind, value in events if kind == "data"]
    assert datas == [
        b"This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.",
        b"This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n",
    ]


def test_rfc_7578_example_names_files_and_charsets() -> None:
    parser = MultipartParser.from_content_type("multipart/form-data; boundary=AaB03x")
    events = parser.feed(RFC_7578) + parser.finish()
    begins = [e for e in events if isinstance(e, PartBegin)]
    assert [(b.name, b.filename, b.content_type, b.charset) for b in begins] == [
        ("field1", None, "text/plain", "utf-8"),
        ("pics", "file1.txt", "text/plain", None),
    ]
    assert isinstance(begins[0].headers, Headers)
    assert begins[0].headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert begins[0].disposition == "form-data"
    assert parser.finished
    assert parser.closed


def test_filename_star_never_replaces_the_plain_filename() -> None:
    header = (
        "Content-Disposition: form-data; name=\"comment\"; name*=utf-8''role; "
        "filename=\"safe.txt\"; filename*=UTF-8''%e2%82%ac.php"
    )
    parser = MultipartParser("b")
    begin = parser.feed(form_body("b", [([header], b"x")]))[0]
    assert isinstance(begin, PartBegin)
    assert (begin.name, begin.filename, begin.filename_star) == ("comment", "safe.txt", "€.php")


@pytest.mark.parametrize(("name", "boundary", "body", "limits", "status"), FAILURES)
def test_each_failure_has_its_status_whatever_the_split(
    name: str, boundary: str, body: bytes, limits: MultipartLimits | None, status: int
) -> None:
    whole = scan(boundary, body, [], limits)
    assert whole[1] == status, name
    assert scan(boundary, body, list(range(1, len(body))), limits) == whole
    for cut in range(1, len(body), max(1, len(body) // 64)):
        assert scan(boundary, body, [cut], limits) == whole


@given(st.lists(st.integers(min_value=0, max_value=len(RFC_7578)), max_size=8))
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    assert scan("AaB03x", RFC_7578, sorted(cuts)) == scan("AaB03x", RFC_7578, [])


def test_events_before_a_violation_come_first_then_it_is_raised() -> None:
    parser = MultipartParser("b")
    events = parser.feed(b"--b\r\n\r\nabc\r\n--bx")
    assert [type(e) for e in events] == [PartBegin, PartData, PartEnd]
    error = parser.error
    assert isinstance(error, MultipartError)
    assert error.status_hint == 400
    with pytest.raises(MultipartError) as raised:
        parser.feed(b"more")
    assert raised.value is error
    with pytest.raises(MultipartError) as raised:
        MultipartParser("b").feed(b"--bx")
    assert raised.value.status_hint == 400


def test_a_whole_read_of_content_is_handed_back_without_a_copy() -> None:
    parser = MultipartParser("b")
    parser.feed(b"--b\r\n" + field("f").encode() + b"\r\n\r\n")
    chunk = bytes(range(200)) * 300
    (data,) = parser.feed(chunk)
    assert isinstance(data, PartData)
    assert data.data is chunk
    (copied,) = parser.feed(bytearray(b"xyz"))
    assert isinstance(copied, PartData)
    assert copied.data == b"xyz"


def test_content_types_and_boundaries() -> None:
    with pytest.raises(MultipartError) as raised:
        MultipartParser.from_content_type("application/json")
    assert raised.value.status_hint == 415
    for value in (
        "multipart/form-data",
        'multipart/mixed; boundary=""',
        "multipart/x; boundary=a\\",
    ):
        with pytest.raises(MultipartError) as raised:
            MultipartParser.from_content_type(value)
        assert raised.value.status_hint == 400
    with pytest.raises(MultipartError):
        MultipartParser("x" * 71)
    assert MultipartParser("x" * 71, limits=MultipartLimits(max_boundary_size=80)).closed is False


def test_finish_twice_or_feed_after_finish_is_a_usage_error() -> None:
    parser = MultipartParser("b")
    assert parser.feed(b"--b--\r\n") == []
    assert parser.finish() == []
    with pytest.raises(ValueError, match="finished"):
        parser.feed(b"x")


def test_limits_have_documented_defaults() -> None:
    limits = MultipartLimits()
    assert (limits.max_boundary_size, limits.max_header_line_size, limits.max_header_count) == (
        70,
        4224,
        8,
    )
    assert (limits.max_parts, limits.max_part_size, limits.allow_bare_lf) == (1000, None, False)
    assert "max_parts=1000" in repr(limits)
