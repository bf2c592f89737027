"""Building the connection scopes of HTTP requests and WebSockets, and the `tls` extension.

Types follow the spec: ports are ints, ``http_version`` is ``"1.0"`` or ``"1.1"``, ``path`` is
percent-decoded UTF-8 with ``root_path`` in front (as uvicorn does, so routers strip it again),
``raw_path`` and ``query_string`` are the bytes as sent, and the headers are the Rust parser's
ready-made list of lowercased-name and value byte strings in arrival order.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import unquote

from wsrs.http.messages import Request
from wsrs.server.asgi.types import ASGI_VERSION, Scope
from wsrs.ws.handshake import offered_subprotocols

__all__ = ["http_scope", "tls_extension", "websocket_scope"]

_TLS_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
_RDN_KEYS = {
    "commonName": "CN",
    "countryName": "C",
    "domainComponent": "DC",
    "localityName": "L",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "stateOrProvinceName": "ST",
    "streetAddress": "STREET",
    "userId": "UID",
}
_cipher_ids: dict[str, int] = {}


def _address(address: Any) -> tuple[str, int | None] | None:
    """``(host, port)`` of a socket address; a Unix socket's path with no port; None if unknown."""
    if isinstance(address, tuple) and len(address) >= 2:
        return (address[0], address[1])
    if isinstance(address, str) and address:
        return (address, None)
    return None


def _paths(target: str, root_path: str) -> tuple[str, bytes, bytes]:
    """``path``, ``raw_path`` and ``query_string`` of a request-target."""
    raw, _, query = target.partition("?")
    if not raw.startswith("/"):
        # absolute-form (RFC 9112 §3.2.2): drop the scheme and authority; `*` and authority-form
        # stay as they are
        scheme, sep, rest = raw.partition("://")
        if sep and scheme.isalpha():
            slash = rest.find("/")
            raw = rest[slash:] if slash >= 0 else "/"
    path = unquote(raw) if "%" in raw else raw
    if root_path:
        return root_path + path, (root_path + raw).encode("latin-1"), query.encode("latin-1")
    return path, raw.encode("latin-1"), query.encode("latin-1")


def http_scope(
    request: Request, root_path: str, state: dict[str, Any], extensions: dict[str, Any]
) -> Scope:
    """The scope of one HTTP request, built as one dict literal (it is made for every request)."""
    head = request.head
    target = head.asgi_target  # ready-made unless the path needs decoding
    if target is None or root_path:
        path, raw_path, query = _paths(head.target, root_path)
    else:
        path, raw_path, query = target
    tls = request.tls
    server = request.local_address
    client = request.remote_address
    return {
        "type": "http",
        "asgi": ASGI_VERSION.copy(),
        "http_version": head.version,
        "server": server[:2] if type(server) is tuple else _address(server),
        "client": client[:2] if type(client) is tuple else _address(client),
        "scheme": "https" if request.scheme == "https" else "http",
        "method": head.method,
        "root_path": root_path,
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "headers": head.asgi_headers,
        "state": state.copy(),
        "extensions": extensions.copy() if tls is None else _with_tls(extensions, tls),
    }


def websocket_scope(
    request: Request, root_path: str, state: dict[str, Any], extensions: dict[str, Any]
) -> Scope:
    """The scope of one WebSocket, from its opening handshake: an HTTP scope's keys, but no
    ``method``, a ``ws``/``wss`` scheme and the offered ``subprotocols``."""
    scope = http_scope(request, root_path, state, extensions)
    del scope["method"]
    scope["type"] = "websocket"
    scope["scheme"] = "wss" if scope["scheme"] == "https" else "ws"
    scope["subprotocols"] = offered_subprotocols(request.headers)
    return scope


def _with_tls(extensions: dict[str, Any], tls: ssl.SSLObject) -> dict[str, Any]:
    return {**extensions, "tls": tls_extension(tls)}


def tls_extension(tls: ssl.SSLObject) -> dict[str, Any]:
    """The ``tls`` extension of a scope (ASGI TLS extension 0.2) for a TLS connection."""
    chain = []
    name = None
    der = tls.getpeercert(binary_form=True)
    if der:
        chain.append(ssl.DER_cert_to_PEM_cert(der))
        subject = (tls.getpeercert() or {}).get("subject", ())
        # RFC 4514: the RDNs from the last one, short names, specials escaped
        name = ",".join(
            f"{_RDN_KEYS.get(key, key)}={_escape_rdn(value)}"
            for rdn in reversed(subject)
            for key, value in rdn
        )
    cipher = tls.cipher()
    version = tls.version()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(version) if version else None,
        "cipher_suite": _cipher_id(tls, cipher[0]) if cipher else None,
    }


def _cipher_id(tls: ssl.SSLObject, name: str) -> int | None:
    """The IANA number of an OpenSSL cipher name (the low 16 bits of OpenSSL's id)."""
    if not _cipher_ids:
        for cipher in tls.context.get_ciphers():
            _cipher_ids[cipher["name"]] = cipher["id"] & 0xFFFF
    return _cipher_ids.get(name)


def _escape_rdn(value: str) -> str:
    escaped = "".join("\\" + c if c in ',+"\\<>;=' else c for c in value)
    if escaped.startswith(("#", " ")):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped
