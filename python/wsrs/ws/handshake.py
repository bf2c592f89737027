"""The WebSocket opening handshake (RFC 6455 §4): checking and answering it on both sides.

The server accepts a request only when it is a GET over HTTP/1.1 with ``Upgrade: websocket``,
``Connection: upgrade``, a ``Sec-WebSocket-Key`` that is 16 bytes in base64 and
``Sec-WebSocket-Version: 13``; anything else is refused with a status and a reason (400, or 426
with the versions we speak). The one extension spoken is permessage-deflate (`deflate`); other
offers are declined by not answering them, as §9.1 allows. The client checks the server's
``Sec-WebSocket-Accept``, that the subprotocol is one it offered, and that the only extension
accepted is the permessage-deflate it offered, within its offer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Sequence

from wsrs._wsrs import PerMessageDeflate, ResponseHead
from wsrs.exceptions import HandshakeError
from wsrs.http.messages import Headers, Request
from wsrs.ws.deflate import Deflate

__all__ = [
    "accept_key",
    "check_request",
    "check_response",
    "client_headers",
    "header_tokens",
    "new_key",
    "select_subprotocol",
]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WEBSOCKET_VERSION = "13"


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value answering `key` (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((key + _GUID).encode("ascii"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def new_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes in base64."""
    return base64.b64encode(secrets.token_bytes(16)).decode("ascii")


def header_tokens(headers: Headers, name: str) -> list[str]:
    """The comma-separated tokens of every `name` field, stripped and lowercased."""
    return [token.lower() for token in offered_subprotocols(headers, name)]


def is_upgrade_request(request: Request) -> bool:
    """True when the request asks to switch to WebSocket at all (well-formed or not)."""
    upgrade = request.head.upgrade
    return upgrade is not None and "websocket" in upgrade.lower()


def check_request(request: Request) -> str:
    """The client's key when `request` is a valid opening handshake; `HandshakeError` if not."""
    headers = request.headers
    if not is_upgrade_request(request):
        raise HandshakeError(
            "this resource speaks WebSocket only: send an Upgrade: websocket request",
            status=426,
            headers=[("Upgrade", "websocket"), ("Sec-WebSocket-Version", WEBSOCKET_VERSION)],
        )
    if request.method != "GET":
        raise HandshakeError("a WebSocket handshake must use GET", status=405)
    if request.version != "1.1":
        raise HandshakeError("a WebSocket handshake needs HTTP/1.1", status=400)
    if "upgrade" not in header_tokens(headers, "Connection"):
        raise HandshakeError("missing 'upgrade' in the Connection header", status=400)
    versions = headers.get_all("Sec-WebSocket-Version")
    if versions != [WEBSOCKET_VERSION]:
        raise HandshakeError(
            "unsupported Sec-WebSocket-Version: only 13 is spoken",
            status=426,
            headers=[("Sec-WebSocket-Version", WEBSOCKET_VERSION)],
        )
    keys = headers.get_all("Sec-WebSocket-Key")
    if len(keys) != 1 or not _is_valid_key(keys[0]):
        raise HandshakeError("Sec-WebSocket-Key must be one base64-encoded 16-byte value")
    return keys[0].strip()


def _is_valid_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key.strip(), validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def select_subprotocol(offered: Sequence[str], supported: Sequence[str]) -> str | None:
    """The first subprotocol in the server's preference order that the client offered."""
    offered_set = set(offered)
    for subprotocol in supported:
        if subprotocol in offered_set:
            return subprotocol
    return None


def offered_subprotocols(headers: Headers, name: str = "Sec-WebSocket-Protocol") -> list[str]:
    """The comma-separated tokens of every `name` field, stripped, in order (by default the
    subprotocols a handshake request offers, in the client's order)."""
    return [
        token.strip()
        for value in headers.get_all(name)
        for token in value.split(",")
        if token.strip()
    ]


def client_headers(
    host: str,
    key: str,
    *,
    subprotocols: Sequence[str] = (),
    origin: str | None = None,
    extra: Sequence[tuple[str, str]] = (),
    compression: Deflate | None = None,
) -> list[tuple[str, str]]:
    """The header fields of a client's opening handshake (offering `compression` if given)."""
    headers = [
        ("Host", host),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", WEBSOCKET_VERSION),
    ]
    if origin is not None:
        headers.append(("Origin", origin))
    if subprotocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    if compression is not None:
        headers.append(("Sec-WebSocket-Extensions", compression.offer()))
    headers.extend(extra)
    return headers


def check_response(
    response: ResponseHead,
    key: str,
    subprotocols: Sequence[str],
    body: bytes = b"",
    compression: Deflate | None = None,
) -> tuple[str | None, PerMessageDeflate | None]:
    """The agreed subprotocol and compression when `response` accepts our handshake (made with
    `compression` offered, if given); `HandshakeError` if not."""
    headers = Headers(response.headers)
    if response.status != 101:
        raise HandshakeError(
            f"the server refused the WebSocket handshake: {response.status} {response.reason}",
            status=response.status,
            headers=response.headers,
            body=body,
        )
    if "websocket" not in header_tokens(headers, "Upgrade"):
        raise HandshakeError("the server's 101 response lacks Upgrade: websocket", status=101)
    if "upgrade" not in header_tokens(headers, "Connection"):
        raise HandshakeError("the server's 101 response lacks Connection: upgrade", status=101)
    if headers.get_all("Sec-WebSocket-Accept") != [accept_key(key)]:
        raise HandshakeError("the server's Sec-WebSocket-Accept does not match our key", status=101)
    extensions = headers.get_all("Sec-WebSocket-Extensions")
    agreement = None
    if compression is not None:
        agreement = compression.accept(extensions)
    elif any(value.strip(" \t,") for value in extensions):
        # A field of empty list elements names nothing (RFC 9110 §5.6.1), as when offered.
        raise HandshakeError("the server named an extension we did not offer", status=101)
    chosen = offered_subprotocols(headers)
    if not chosen:
        return None, agreement
    if len(chosen) != 1 or chosen[0] not in subprotocols:
        raise HandshakeError(f"the server chose a subprotocol not offered: {chosen}", status=101)
    return chosen[0], agreement
