"""The control plane and the docs answer only to loopback or explicitly allowed host names.

DNS rebinding: a web page at evil.example re-points its own name at 127.0.0.1, then calls
``http://evil.example:PORT/_mock/...``. The browser sends ``Host: evil.example:PORT`` and, as the page
is same-origin with itself, often no Origin at all, or an Origin that equals the Host. So the Host
itself must be a name the mock was told it is: a loopback name or address, the bound host, or one
given with ``--allowed-host``. On the control plane an Origin, when present, must be such a host
too, on the same port (the mock's own pages); the docs stay readable by any page through such a Host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import Scope

CONTROL_PREFIX = "/_mock/"
GUARDED_PREFIXES = (CONTROL_PREFIX, "/docs/")
FLAG = "--allowed-host"


def split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6]:port`` as (lower-case name, port); None when it is not a host."""
    value = value.strip()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        name, _, port_text = value.partition(":")
    if port_text and not (port_text.isdigit() and len(port_text) <= 5):
        return None
    name = name.lower().rstrip(".")
    return (name, int(port_text) if port_text else None) if name else None


def is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback  # 127.0.0.0/8 and ::1
    except ValueError:
        return False


class HostGuard:
    """403 in the envelope for /_mock/ and /docs/ requests to a Host (or from an Origin) not allowed
    (asked first by the request pipeline, ``http/pipeline.py``)."""

    def __init__(self, allowed: Iterable[str]):
        names = (split_host(host) for host in allowed if host)
        self.allowed = frozenset(parsed[0] for parsed in names if parsed is not None)

    def allows(self, name: str) -> bool:
        return is_loopback(name) or name in self.allowed

    def refusal(self, scope: Scope) -> str | None:
        """Why this request may not reach a guarded path, or None."""
        hosts = [v.decode("latin-1") for k, v in scope["headers"] if k == b"host"]
        host = split_host(hosts[0]) if len(hosts) == 1 else None
        if host is None or not self.allows(host[0]):
            shown = hosts[0][:100] if len(hosts) == 1 else f"{len(hosts)} Host headers"
            return (f"Host {shown!r} is not allowed to reach the control plane or docs: they answer loopback "
                    f"names and addresses (localhost, 127.0.0.1, [::1]) and hosts named with {FLAG}")
        origins = [v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"]
        if not origins or not scope["path"].startswith(CONTROL_PREFIX):
            return None  # the docs are public: any page may read them through a loopback Host (CORS)
        origin = _origin_host(origins[0]) if len(origins) == 1 else None
        if origin is None or not self.allows(origin[0]) or origin[1] != (host[1] or _default_port(scope)):
            return (f"Origin {origins[0][:100]!r} may not call the control plane or docs: only pages served by "
                    f"this mock on a loopback host or one named with {FLAG} may")
        return None



def _default_port(scope: Scope) -> int:
    return 443 if scope.get("scheme") == "https" else 80


def _origin_host(origin: str) -> tuple[str, int] | None:
    """An Origin's (host name, port); None for ``null`` or anything not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip("."), port or (443 if parts.scheme == "https" else 80)
