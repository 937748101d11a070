"""Who may talk to the emulator from a browser.

It listens on a developer's machine with a public development key, so a web page the developer
happens to visit must not be able to use it: browsers attach an `Origin` to cross-origin requests
and WebSocket upgrades, and only loopback origins (plus any given with `--allow-origin`) are let
in. The `Host` header is checked too, against DNS rebinding: a hostile name that resolves to
127.0.0.1 would otherwise make its pages same-origin with the emulator.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def _ip(host: str):
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_loopback_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = _ip(host)
    return ip is not None and ip.is_loopback


def exposure_warning(bind_host: str) -> str | None:
    """A loud warning when the emulator would be reachable from other machines."""
    if is_loopback_host(bind_host):
        return None
    return (
        f"WARNING: the Ably emulator is listening on {bind_host}, beyond this machine. Anyone who can\n"
        f"reach it can use its apps with the public development key. Use --host 127.0.0.1 unless you\n"
        f"need this, and only on a network you trust."
    )


def normalise_origin(origin: str) -> str | None:
    """`scheme://host[:port]`, lower-cased, or None if it is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


class AccessPolicy:
    def __init__(self, bind_host: str = "127.0.0.1", allowed_origins: tuple[str, ...] = ()):
        self.allowed_origins = set()
        for origin in allowed_origins:
            normal = normalise_origin(origin)
            if normal is None:
                raise ValueError(f"not an http(s) origin: {origin!r}")
            self.allowed_origins.add(normal)
        # Names (not addresses) a request may be addressed to: rebinding needs a name.
        self.allowed_hosts = {urlsplit(origin).hostname for origin in self.allowed_origins}
        self.allowed_hosts.add(bind_host.lower().strip("[]"))

    def origin_allowed(self, origin: str) -> bool:
        normal = normalise_origin(origin)
        if normal is None:
            return False
        host = urlsplit(normal).hostname
        return normal in self.allowed_origins or (host is not None and is_loopback_host(host))

    def host_allowed(self, host_header: str | None) -> bool:
        if not host_header:
            return True  # HTTP/1.0 clients send none; browsers always do
        try:
            host = urlsplit(f"//{host_header}").hostname
        except ValueError:
            return False
        if host is None:
            return False
        return is_loopback_host(host) or _ip(host) is not None or host in self.allowed_hosts
