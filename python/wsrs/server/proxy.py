"""Proxy headers: the client's address and scheme as a trusted reverse proxy reports them.

Behind a proxy every connection comes from the proxy, so ``X-Forwarded-For`` and
``X-Forwarded-Proto`` are taken from peers in `forwarded_allow_ips` only (uvicorn's
``--proxy-headers`` and ``--forwarded-allow-ips``, with the same meaning). The client is the
rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from wsrs.http.messages import Request

__all__ = ["ProxyHeaders"]

_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


class ProxyHeaders:
    """Rewrites a request's `remote_address` and `scheme` from a trusted proxy's headers.

    `trusted` holds addresses and networks (``"127.0.0.1"``, ``"10.0.0.0/8"``, ``"::1"``), as
    an iterable or one comma-separated string; ``"*"`` trusts every peer, Unix sockets included.
    """

    def __init__(self, trusted: str | Iterable[str] = ("127.0.0.1",)) -> None:
        entries = trusted.split(",") if isinstance(trusted, str) else list(trusted)
        entries = [entry.strip() for entry in entries if entry.strip()]
        self.trust_all = "*" in entries
        self._hosts: set[str] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            if entry == "*":
                continue
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._hosts.add(entry)  # a literal that is not an address, e.g. a host name

    def trusts(self, host: str | None) -> bool:
        """True when `host` (None for a Unix socket peer) is a trusted proxy."""
        if self.trust_all:
            return True
        if host is None:
            return False
        if host in self._hosts:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def apply(self, request: Request) -> None:
        """Take the client's address and scheme from the headers if the peer is trusted."""
        peer = request.remote_address
        host = peer[0] if isinstance(peer, tuple) and peer else None
        if not self.trusts(host):
            return
        headers = request.headers
        proto = headers.get("X-Forwarded-Proto")
        if proto is not None:
            scheme = _SCHEMES.get(proto.rsplit(",", 1)[-1].strip().lower())
            if scheme is not None:
                request.scheme = scheme
        forwarded = headers.get_all("X-Forwarded-For")
        if forwarded:
            hops = [hop.strip() for value in forwarded for hop in value.split(",") if hop.strip()]
            client = next((hop for hop in reversed(hops) if not self.trusts(hop)), None)
            if client is None and hops:
                client = hops[0]
            if client is not None:
                request.remote_address = (client, 0)
