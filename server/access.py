"""Who may talk to the server: Host headers (against DNS rebinding, a page on another name
reaching a server on loopback), WebSocket origins (against any web page driving a local server)
and how many WebSocket connections one client may hold."""

from __future__ import annotations

import ipaddress
import socket
from collections import Counter
from urllib.parse import urlsplit

from errorscape.server.settings import Settings

# Where a WebSocket's scope holds the server's transport for it (uvicorn's protocol object is
# the owner of the ASGI `send` it hands the app): the one way to drop a connection whose
# client stopped reading, since a polite close waits behind the unread data.
TRANSPORT_KEY = "errorscape.transport"

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "[::]"})


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


def host_name(host_header: str) -> str:
    """The name part of a Host header: ``[::1]:8000`` → ``::1``, ``Lab.Example:80`` → ``lab.example``."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def is_loopback(name: str) -> bool:
    ip = _ip(name)
    return name in LOOPBACK_NAMES or (ip is not None and ip.is_loopback)


def host_allowed(host_header: str | None, settings: Settings) -> bool:
    if not host_header:
        return False
    name = host_name(host_header)
    if is_loopback(name) or "*" in settings.allowed_hosts or name in {h.lower() for h in settings.allowed_hosts}:
        return True
    bind = host_name(settings.bind_host) if settings.bind_host not in WILDCARD_BINDS else settings.bind_host
    if bind in WILDCARD_BINDS:
        # Listening on every interface: an address typed as an IP literal cannot be a
        # rebinding attack's name; neither can this machine's own name.
        return _ip(name) is not None or name == socket.gethostname().lower()
    return name == bind


def origin_allowed(origin: str | None, host_header: str | None, settings: Settings) -> bool:
    """A WebSocket handshake's Origin: absent (not a browser), the page's own (same host and
    port as the request), or configured.  ``null`` and ``file://`` pages are refused."""
    if origin is None:
        return True
    if origin in settings.allowed_origins:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or not host_header:
        return False
    return parts.netloc.lower() == host_header.strip().lower()


class ConnectionCount:
    """WebSocket connections open now, in all and per client address."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.by_client: Counter[str] = Counter()

    def admit(self, client: str) -> str | None:
        """None if admitted (then ``release`` must follow), else why not."""
        if sum(self.by_client.values()) >= self.total:
            return f"too many connections: the server holds at most {self.total}; retry later"
        if self.by_client[client] >= self.per_client:
            return f"too many connections from one client: at most {self.per_client}"
        self.by_client[client] += 1
        return None

    def release(self, client: str) -> None:
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]

    @property
    def open(self) -> int:
        return sum(self.by_client.values())
