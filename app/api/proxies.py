"""The client address of a request: ``X-Forwarded-For`` is believed only from trusted proxies.

Anyone can write an ``X-Forwarded-For`` header, so it says who the client is only when the
request came from a reverse proxy the operator named in ``Settings.trusted_proxies``
(``PARKSITE_TRUSTED_PROXIES``: IP addresses or networks, comma-separated; default none). Then the
header is read from the right — the entry the nearest proxy appended — skipping further trusted
proxies; the first address that is not a trusted proxy is the client. Entries to the left of it
were written by the client and are ignored. From any other peer the header is ignored and the
client is the peer (the TCP connection's address).

``parksite serve`` runs uvicorn with ``proxy_headers=False``, so uvicorn does not rewrite the
peer from the header on its own (by default it trusts 127.0.0.1, so a client on the same host —
or any client behind a local proxy that passes the header on — could name itself any address);
the app alone decides, here. Run the app under another ASGI server the same way (uvicorn:
``--no-proxy-headers``).

For counting failed logins (:mod:`app.api.throttle`) an IPv6 client is counted by its /64 network
(:func:`address_key`): one host usually holds a whole /64 and could otherwise step through it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Header entries longer than this are not addresses (kept short in the throttle's keys).
MAX_ENTRY = 100


def parse_networks(entries: Iterable[str]) -> list[IPNetwork]:
    """Return the networks of ``entries`` (addresses or CIDR networks); ValueError naming a bad one."""
    out = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(
                f"{text!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return out


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address in a header entry or peer host (``[v6]:port`` and ``v4:port`` too)."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def forwarded_for(values: Iterable[str]) -> list[str]:
    """Return the entries of one or more ``X-Forwarded-For`` header values, left to right."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class TrustedProxies:
    """The reverse proxies whose ``X-Forwarded-For`` is believed (see the module docstring)."""

    def __init__(self, entries: Iterable[str] = ()):
        self.networks = parse_networks(entries)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, host: str | None) -> bool:
        """Return whether ``host`` (an address; anything else is never trusted) is a trusted proxy."""
        ip = _ip(host) if host else None
        return ip is not None and any(ip in net for net in self.networks)

    def client(self, peer: str | None, forwarded: list[str]) -> str:
        """Return the client's address given the peer and the ``X-Forwarded-For`` entries.

        The peer when it is not a trusted proxy (or there are no entries); else the rightmost
        entry that is not a trusted proxy; else (every entry a trusted proxy) the leftmost.
        """
        peer = peer or "unknown"
        if not forwarded or not self.trusts(peer):
            return peer
        for entry in reversed(forwarded):
            if not self.trusts(entry):
                ip = _ip(entry)
                return str(ip) if ip is not None else entry[:MAX_ENTRY]
        return str(_ip(forwarded[0]))

    def client_of(self, request: Request) -> str:
        """Return the client's address of a Starlette/FastAPI ``request``."""
        peer = request.client.host if request.client else None
        return self.client(peer, forwarded_for(request.headers.getlist("x-forwarded-for")))


def address_key(address: str) -> str:
    """Return the key failed logins of ``address`` are counted under: an IPv4 address as it is
    (IPv4-mapped IPv6 too), an IPv6 address as its /64 network, anything else unchanged."""
    ip = _ip(address)
    if ip is None:
        return address[:MAX_ENTRY]
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
