"""The functions' settings, from the environment (and `.env`, if present), checked as they are read."""

import os
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

from dotenv import load_dotenv

# Every variable the functions read (besides VERCEL_ENV, which Vercel sets).
VARIABLES = ("ABLY_API_KEY", "ABLY_ENDPOINT", "ABLY_TOKEN_TTL", "SESSION_SECRET", "REDIS_URL", "LOOPBACK_HOSTS_ONLY")
_DEPLOYED = ("production", "preview")  # VERCEL_ENV on Vercel; `vercel dev` sets "development"
_KEY_PATTERN = re.compile(r"^(?P<name>[^\s.:]+\.[^\s.:]+):(?P<secret>\S+)$")


class ConfigError(Exception):
    """The deployment is misconfigured. The message names the variable, never its value."""


class Endpoint(NamedTuple):
    """A local Ably-compatible service reached over plain HTTP and WebSocket."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    """Everything the functions read from the environment, checked once when a function loads."""

    ably_key_name: str
    ably_key_secret: str = field(repr=False)  # keeps the secret out of logs and tracebacks
    ably_endpoint: Endpoint | None = None  # None means Ably's cloud
    browser_token_ttl_s: int = 600
    session_secret: str | None = field(default=None, repr=False)  # None: derived from the Ably key
    redis_url: str | None = field(default=None, repr=False)  # None: counts in memory; may hold a password
    # Only Vercel's edge sets X-Forwarded-For and X-Real-IP itself; anywhere else a caller could.
    trust_proxy_headers: bool = False
    # `make dev` sets LOOPBACK_HOSTS_ONLY=1: a page on a hostile name that resolves to 127.0.0.1 (DNS
    # rebinding) must not get tokens signed with a developer's key. Never on a deployment.
    loopback_hosts_only: bool = False

    @property
    def ably_key(self) -> str:
        return f"{self.ably_key_name}:{self.ably_key_secret}"

    @classmethod
    def from_environment(cls, environ=None) -> "Settings":
        """From `environ`, or from the process environment and `.env` (real variables win)."""
        if environ is None:
            load_dotenv()  # never overrides variables that are already set
            environ = os.environ
        key_name, key_secret = parse_key(environ.get("ABLY_API_KEY"))
        return cls(
            key_name,
            key_secret,
            ably_endpoint=parse_endpoint(environ.get("ABLY_ENDPOINT")),
            browser_token_ttl_s=parse_token_ttl(environ.get("ABLY_TOKEN_TTL")),
            session_secret=parse_session_secret(environ.get("SESSION_SECRET")),
            redis_url=parse_redis_url(environ.get("REDIS_URL")),
            trust_proxy_headers=environ.get("VERCEL_ENV") in _DEPLOYED,
            loopback_hosts_only=(
                parse_flag("LOOPBACK_HOSTS_ONLY", environ) and environ.get("VERCEL_ENV") not in _DEPLOYED
            ),
        )


def parse_key(value: str | None) -> tuple[str, str]:
    if not value or not value.strip():
        raise ConfigError("ABLY_API_KEY is not set")
    match = _KEY_PATTERN.match(value.strip())
    if not match:
        raise ConfigError("ABLY_API_KEY is malformed: expected the form appId.keyId:secret")
    return match["name"], match["secret"]


def parse_endpoint(value: str | None) -> Endpoint | None:
    if not value or not value.strip():
        return None
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ConfigError("ABLY_ENDPOINT is malformed: expected http://host:port")
    return Endpoint(parts.hostname, port)


def parse_token_ttl(value: str | None) -> int:
    """At most 10 minutes: tokens are not revoked, so a short life is what ends them (chat/sessions.py)."""
    if not value or not value.strip():
        return 600
    if not re.fullmatch(r"[0-9]+", value.strip()) or not 5 <= int(value) <= 600:
        raise ConfigError("ABLY_TOKEN_TTL is malformed: expected whole seconds from 5 to 600")
    return int(value)


def parse_session_secret(value: str | None) -> str | None:
    """None means: derive the session key from ABLY_API_KEY's secret."""
    if not value or not value.strip():
        return None
    if len(value.strip()) < 32:
        raise ConfigError("SESSION_SECRET is malformed: expected at least 32 characters")
    return value.strip()


def parse_flag(name: str, environ) -> bool:
    value = (environ.get(name) or "").strip()
    if value not in ("", "1"):
        raise ConfigError(f"{name} is malformed: expected 1, or nothing")
    return value == "1"


def parse_redis_url(value: str | None) -> str | None:
    """redis://[user:password@]host[:port][/db] or rediss:// (TLS); None means counts in memory."""
    if not value or not value.strip():
        return None
    parts = urlsplit(value.strip())
    try:
        _ = parts.port  # urlsplit checks the port only when it is read
    except ValueError:
        raise ConfigError("REDIS_URL is malformed: the port is not a number from 1 to 65535") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname or not re.fullmatch(r"/?[0-9]*", parts.path or ""):
        raise ConfigError("REDIS_URL is malformed: expected redis://host:port or rediss://host:port")
    return value.strip()


def check_environment(environ) -> None:
    """Raise the first ConfigError in `environ` (a mapping of variable names to values), as a
    function would report it. For checking a configuration before anything starts."""
    Settings.from_environment(environ)
