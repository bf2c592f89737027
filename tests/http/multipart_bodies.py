"""Multipart bodies shared by the multipart tests: RFC examples, browser shapes, peers' failures.

Each failure is ``(id, boundary, body, limits, status)``: the body must be refused with that
status however it is split, by the parser and by a server reading it as a form.
"""

from __future__ import annotations

from wsrs import MultipartLimits


def crlf(text: str) -> bytes:
    """`text` with every line ending made CRLF."""
    return text.replace("\n", "\r\n").encode()


def form_body(boundary: str, parts: list[tuple[list[str], bytes]]) -> bytes:
    """A body of parts given as (header lines, content), closed with the close delimiter."""
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n".encode()
        out += "".join(f"{h}\r\n" for h in headers).encode() + b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def field(name: str) -> str:
    """A form-data Content-Disposition for the field `name`."""
    return f'Content-Disposition: form-data; name="{name}"'


RFC_2046 = crlf(
    "This is the preamble.\n"
    "\n"
    "--simple boundary\n"
    "\n"
    "This is implicitly typed plain US-ASCII text.\n"
    "It does NOT end with a linebreak.\n"
    "--simple boundary\n"
    "Content-type: text/plain; charset=us-ascii\n"
    "\n"
    "This is explicitly typed plain US-ASCII text.\n"
    "It DOES end with a linebreak.\n"
    "\n"
    "--simple boundary--\n"
    "\n"
    "This is the epilogue.\n"
)

RFC_7578 = crlf(
    "--AaB03x\n"
    'content-disposition: form-data; name="field1"\n'
    "content-type: text/plain;charset=UTF-8\n"
    "\n"
    "Joe owes =E2=82=AC100.\n"
    "--AaB03x\n"
    'Content-Disposition: form-data; name="pics"; filename="file1.txt"\n'
    "Content-Type: text/plain\n"
    "\n"
    "... contents of file1.txt ...\n"
    "--AaB03x--\n"
)

SMALL = MultipartLimits(max_part_size=4, max_parts=1, max_preamble_size=3)

FAILURES: list[tuple[str, str, bytes, MultipartLimits | None, int]] = [
    ("truncated-content", "b", b"--b\r\n\r\nabc", None, 400),
    ("truncated-headers", "b", b"--b\r\n" + field("a").encode(), None, 400),
    ("truncated-close", "b", b"--b\r\n\r\nabc\r\n--b-", None, 400),
    ("no-delimiter", "b", b"just text\r\n", None, 400),
    ("delimiter-junk", "b", b"--b\r\n\r\nabc\r\n--bogus\r\n", None, 400),
    ("close-junk", "b", b"--b\r\n\r\nabc\r\n--b--junk", None, 400),
    ("header-line-bomb", "b", b"--b\r\nX: " + b"a" * 10_000 + b"\r\n\r\n\r\n--b--", None, 413),
    ("header-count-bomb", "b", b"--b\r\n" + b"X: 1\r\n" * 9 + b"\r\n\r\n--b--", None, 413),
    (
        "obs-fold",
        "b",
        b"--b\r\n" + field("a").encode() + b"\r\n folded\r\n\r\n\r\n--b--",
        None,
        400,
    ),
    ("bare-lf-header", "b", b"--b\r\n" + field("a").encode() + b"\n\n\r\n--b--", None, 400),
    ("bare-cr-header", "b", b"--b\r\nX: a\rb\r\n\r\n\r\n--b--", None, 400),
    (
        "duplicate-name",
        "b",
        form_body("b", [(['Content-Disposition: form-data; name="a"; name="b"'], b"")]),
        None,
        400,
    ),
    (
        "two-dispositions",
        "b",
        form_body("b", [([field("a"), field("b")], b"")]),
        None,
        400,
    ),
    ("too-many-parts", "b", form_body("b", [([field("a")], b""), ([field("b")], b"")]), SMALL, 413),
    ("part-too-large", "b", form_body("b", [([field("a")], b"12345")]), SMALL, 413),
    ("preamble-too-large", "b", b"junk\r\n" + form_body("b", [([field("a")], b"")]), SMALL, 413),
    ("padding-bomb", "b", b"--b" + b" " * 5000 + b"\r\n\r\n\r\n--b--", None, 413),
]
