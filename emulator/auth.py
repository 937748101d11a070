"""Keys, capabilities, TokenRequest verification and tokens (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from dataclasses import dataclass

from .errors import AblyError, bad_request, unauthorized
from .io_ports import Clock, IdSource

# How far a TokenRequest's timestamp may be from the emulator's clock (`--token-timestamp-window`).
DEFAULT_TIMESTAMP_WINDOW_MS = 2 * 60 * 1000

ALL_OPERATIONS = (
    "publish",
    "subscribe",
    "presence",
    "history",
    "stats",
    "channel-metadata",
    "push-subscribe",
    "push-admin",
    "object-subscribe",
    "object-publish",
    "annotation-publish",
    "annotation-subscribe",
    "message-update-own",
    "message-update-any",
    "message-delete-own",
    "message-delete-any",
    "privileged-headers",
)
DEFAULT_TTL_MS = 60 * 60 * 1000
MAX_TTL_MS = 24 * 60 * 60 * 1000
MAX_NONCES = 100_000
MAX_TOKENS = 100_000
# An emulator token is `<keyName>~<random>~<tag>`, the tag an HMAC of the rest with the key's secret. A
# token this process does not hold but that one of its keys signed was issued before a restart: unknown
# (40143, which the SDKs answer by renewing). Anything else is not a token issued here (40101), as
# Ably answers a made-up token string.
TOKEN_SEPARATOR = "~"


# ---------------------------------------------------------------- capability


def _invalid_capability(reason: str) -> AblyError:
    # Ably answers a malformed capability with the generic 40000 (ably-python's capability tests check it).
    return bad_request(f"Invalid capability: {reason}", 40000)


def parse_capability(text) -> dict[str, list[str]]:
    """Parse and validate a capability JSON string (or object) into {resource: [ops]}."""
    if isinstance(text, dict):
        cap = text
    else:
        try:
            cap = json.loads(text)
        except (TypeError, ValueError):
            raise _invalid_capability("not JSON") from None
    if not isinstance(cap, dict) or not cap:
        raise _invalid_capability("expected a non-empty object")
    for resource, ops in cap.items():
        if not resource:
            raise _invalid_capability("empty resource name")
        if not isinstance(ops, list) or not ops or not all(isinstance(o, str) for o in ops):
            raise _invalid_capability(f"resource '{resource}' needs a non-empty list of operations")
        if "*" in ops and len(ops) > 1:
            raise _invalid_capability(f"resource '{resource}' mixes '*' with other operations")
        unknown = [o for o in ops if o != "*" and o not in ALL_OPERATIONS]
        if unknown:
            raise _invalid_capability(f"unknown operation '{unknown[0]}' for resource '{resource}'")
    return {r: list(ops) for r, ops in cap.items()}


def resource_covers(resource: str, channel: str) -> bool:
    """`*` matches every plain channel and `ns:*` every channel of namespace `ns`; a metachannel
    (`[meta]…`) only `[meta]…` resources and `[*]*`, which matches everything."""
    if resource == "[*]*":
        return True
    if channel.startswith("[") != resource.startswith("["):
        return False
    if resource.endswith("*"):
        return channel.startswith(resource[:-1])
    return resource == channel


def operations_for(cap: dict[str, list[str]], channel: str) -> set[str]:
    ops: set[str] = set()
    for resource, allowed in cap.items():
        if resource_covers(resource, channel):
            ops.update(ALL_OPERATIONS if "*" in allowed else allowed)
    return ops


def wildcard_operations(cap: dict[str, list[str]]) -> set[str]:
    """What a capability grants on the wildcard resource itself: app-wide requests such as channel
    enumeration need it there, and a namespace wildcard (`chat:*`) is not enough, as on Ably."""
    ops: set[str] = set()
    for resource, allowed in cap.items():
        if resource in ("*", "[*]*"):
            ops.update(ALL_OPERATIONS if "*" in allowed else allowed)
    return ops


def _intersect_ops(a: list[str], b: list[str]) -> list[str]:
    if "*" in a and "*" in b:
        return ["*"]
    if "*" in a:
        return sorted(set(b))
    if "*" in b:
        return sorted(set(a))
    return sorted(set(a) & set(b))


def intersect_capability(requested: dict, key_cap: dict) -> dict[str, list[str]]:
    """The part of `requested` that `key_cap` allows; empty means denied."""
    result: dict[str, set[str]] = {}
    for req_res, req_ops in requested.items():
        for key_res, key_ops in key_cap.items():
            if resource_covers(key_res, req_res):
                target = req_res
            elif resource_covers(req_res, key_res):
                target = key_res
            else:
                continue
            ops = _intersect_ops(req_ops, key_ops)
            if ops:
                result.setdefault(target, set()).update(ops)
    return {r: (["*"] if "*" in ops else sorted(ops)) for r, ops in result.items()}


def narrow_capability(requested: dict, key_cap: dict, what: str) -> dict[str, list[str]]:
    """The capability a token gets: what it asked for, within its key's; nothing left is 40160."""
    capability = intersect_capability(requested, key_cap)
    if not capability:
        raise AblyError(40160, 401, f"{what} capability is not permitted by the key")
    return capability


def capability_string(cap: dict[str, list[str]]) -> str:
    return json.dumps(cap, separators=(",", ":"), sort_keys=True)


# ---------------------------------------------------------------- keys and tokens


@dataclass
class Key:
    app_id: str
    key_id: str
    secret: str
    capability: dict[str, list[str]]

    @property
    def name(self) -> str:
        return f"{self.app_id}.{self.key_id}"

    @property
    def key_str(self) -> str:
        return f"{self.name}:{self.secret}"


def parse_key_str(key_str: str) -> tuple[str, str, str]:
    """Split `appId.keyId:secret`; raises ValueError when the shape is wrong."""
    name, sep, secret = key_str.partition(":")
    app_id, dot, key_id = name.partition(".")
    if not (sep and dot and app_id and key_id and secret):
        raise ValueError("not an Ably key: expected appId.keyId:secret")
    return app_id, key_id, secret


@dataclass
class Token:
    token: str
    key_name: str
    issued: int
    expires: int
    capability: dict[str, list[str]]
    client_id: str | None

    def details(self) -> dict:
        details = {
            "token": self.token,
            "keyName": self.key_name,
            "issued": self.issued,
            "expires": self.expires,
            "capability": capability_string(self.capability),
        }
        if self.client_id is not None:  # Ably leaves it out for anonymous tokens
            details["clientId"] = self.client_id
        return details


@dataclass
class Credentials:
    """Who is calling: a key (privileged) or a token."""

    key: Key
    capability: dict[str, list[str]]
    client_id: str | None
    token: Token | None = None

    @property
    def is_key(self) -> bool:
        return self.token is None


def signing_text(req: dict) -> str:
    """The six fields, each followed by a newline; null or absent become ''."""

    def field(name):
        value = req.get(name)
        return "" if value is None else str(value)

    return "".join(field(n) + "\n" for n in ("keyName", "ttl", "capability", "clientId", "timestamp", "nonce"))


def sign(secret: str, req: dict) -> str:
    digest = hmac.new(secret.encode(), signing_text(req).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _token_tag(secret: str, unsigned: str) -> str:
    digest = hmac.new(secret.encode(), unsigned.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def mint_token(key: Key, body: str) -> str:
    unsigned = f"{key.name}{TOKEN_SEPARATOR}{body}"
    return f"{unsigned}{TOKEN_SEPARATOR}{_token_tag(key.secret, unsigned)}"


def token_key_name(token_str: str) -> str | None:
    """The key name an emulator-shaped token claims to be signed by (unchecked)."""
    parts = token_str.rsplit(TOKEN_SEPARATOR, 2)
    return parts[0] if len(parts) == 3 else None


def signed_by(key: Key, token_str: str) -> bool:
    unsigned, _, tag = token_str.rpartition(TOKEN_SEPARATOR)
    return hmac.compare_digest(tag.encode(), _token_tag(key.secret, unsigned).encode())


def _as_int(value, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid {name}", 40003) from None


class TokenAuthority:
    """Issues and checks tokens; remembers nonces to refuse replays."""

    def __init__(self, clock: Clock, ids: IdSource, timestamp_window_ms: int = DEFAULT_TIMESTAMP_WINDOW_MS):
        self._clock = clock
        self._ids = ids
        self._window = timestamp_window_ms
        self._nonces: OrderedDict[tuple, int] = OrderedDict()
        self._tokens: OrderedDict[str, Token] = OrderedDict()

    def request_token(self, key: Key, req: dict, basic_auth: Key | None) -> Token:
        if not isinstance(req, dict):
            raise bad_request("Token request must be an object")
        if req.get("keyName") not in (None, key.name):
            raise unauthorized("keyName does not match the request path", 40101)
        now = self._clock()
        mac = req.get("mac")
        if mac is None:
            if basic_auth is None or basic_auth.name != key.name:
                raise unauthorized("Unsigned token request requires basic auth with the key", 40101)
        else:
            if not isinstance(mac, str) or not hmac.compare_digest(mac, sign(key.secret, req)):
                raise unauthorized("Invalid mac: token request signature does not match", 40101)
            timestamp = _as_int(req.get("timestamp"), "timestamp")
            if timestamp is None or abs(now - timestamp) > self._window:
                raise unauthorized("Timestamp not current", 40104)
            nonce = req.get("nonce")
            if not isinstance(nonce, str) or len(nonce) < 16:
                raise bad_request("Invalid nonce: at least 16 characters required", 40003)
            self._remember_nonce((key.name, nonce, timestamp), now)
        ttl = _as_int(req.get("ttl"), "ttl")
        ttl = DEFAULT_TTL_MS if ttl is None else ttl
        if ttl <= 0 or ttl > MAX_TTL_MS:
            raise bad_request(f"Invalid ttl {ttl}: must be between 1 and {MAX_TTL_MS} ms", 40003)
        capability = key.capability
        if req.get("capability") not in (None, ""):
            capability = narrow_capability(parse_capability(req["capability"]), key.capability, "Requested")
        client_id = req.get("clientId")
        if client_id is not None and (not isinstance(client_id, str) or not client_id):
            raise bad_request("Invalid clientId", 40012)
        token = Token(
            token=mint_token(key, self._ids.secret(24)),
            key_name=key.name,
            issued=now,
            expires=now + ttl,
            capability=capability,
            client_id=client_id,
        )
        self._tokens[token.token] = token
        self._prune_tokens(now)
        return token

    def check_token(self, token_str: str) -> Token:
        """A token this authority issued (expired: 40142); any other string is 40101."""
        token = self._tokens.get(token_str)
        if token is None:
            raise unauthorized("Invalid accessToken in request: not a token issued here", 40101)
        if token.expires <= self._clock():
            raise AblyError(40142, 401, "Token expired")
        return token

    def issued(self, token_str: str) -> bool:
        return token_str in self._tokens

    def forget_key(self, key_name: str) -> None:
        for t in [t for t in self._tokens.values() if t.key_name == key_name]:
            del self._tokens[t.token]

    def _remember_nonce(self, entry: tuple, now: int) -> None:
        while self._nonces:
            _oldest, seen = next(iter(self._nonces.items()))
            if now - seen > 2 * self._window or len(self._nonces) > MAX_NONCES:
                self._nonces.popitem(last=False)
            else:
                break
        if entry in self._nonces:
            raise unauthorized("Nonce value replayed", 40105)
        self._nonces[entry] = now

    def _prune_tokens(self, now: int) -> None:
        # Expired tokens are kept a while so clients get "expired" (and renew)
        # rather than "not recognised"; the cap bounds memory either way.
        grace = 60 * 60 * 1000
        while self._tokens:
            oldest = next(iter(self._tokens.values()))
            if len(self._tokens) > MAX_TOKENS or oldest.expires + grace < now:
                self._tokens.popitem(last=False)
            else:
                break
