"""Apps, their keys, namespaces and channels; sandbox-style provisioning."""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from dataclasses import dataclass, field

from .auth import Credentials, Key, TokenAuthority, capability_string, parse_capability, parse_key_str
from .channels import PRESENCE_FIELDS, Channel, clean_payload
from .errors import AblyError, bad_request, unauthorized
from .jwt import looks_like_jwt, verify_jwt
from .protocol import JSON, PresenceAction, canonical_items

DEFAULT_CAPABILITY = {"*": ["*"]}
MAX_APPS = 1000
_ALNUM = string.ascii_letters + string.digits


def random_id(length: int = 8) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class Retention:
    default_ms: int = 2 * 60 * 1000
    persisted_ms: int = 24 * 60 * 60 * 1000


@dataclass
class App:
    app_id: str
    account_id: str
    retention: Retention
    epoch: str
    keys: dict = field(default_factory=dict)  # keyName -> Key
    persisted_namespaces: set = field(default_factory=set)
    channels: dict = field(default_factory=dict)  # name -> Channel
    store: object = None  # optional HistoryStore
    clock: object = None

    def channel(self, name: str) -> Channel:
        channel = self.channels.get(name)
        if channel is None:
            namespace = name.partition(":")[0] if ":" in name else None
            persisted = namespace in self.persisted_namespaces
            retention = self.retention.persisted_ms if persisted else self.retention.default_ms
            saved = self.store.restore(self.app_id, name) if self.store else None
            if saved:
                channel = Channel(name, saved[0], retention)
                channel.restore(saved[1], saved[2], self.clock())
            else:
                # A fresh epoch per channel instance: serials from a pruned predecessor stay foreign.
                channel = Channel(name, f"{self.epoch}{random_id(4)}", retention)
            if self.store:
                channel.journal = lambda ch, event: self.store.record(self.app_id, ch, event)
            self.channels[name] = channel
        return channel

    def existing_channel(self, name: str) -> Channel | None:
        return self.channels.get(name)

    def prune(self, now: int, in_use: set[str]) -> None:
        """Drop channels nobody uses and whose history has expired."""
        for name, channel in list(self.channels.items()):
            channel.prune(now)
            if name not in in_use and channel.is_idle():
                del self.channels[name]


class Registry:
    """All apps, with key lookup and request authentication."""

    def __init__(self, clock, retention: Retention | None = None, timestamp_window_ms: int = 2 * 60 * 1000,
                 store=None):
        self.clock = clock
        self.store = store
        self.retention = retention or Retention()
        self.tokens = TokenAuthority(clock, timestamp_window_ms)
        self.apps: dict[str, App] = {}
        self.keys: dict[str, Key] = {}
        # Serials carry this epoch so serials from a previous run are recognisably foreign.
        self.epoch = random_id(6)

    # -------------------------------------------------- apps

    def add_app(self, app_id: str | None = None) -> App:
        app_id = app_id or random_id(6)
        if len(self.apps) >= MAX_APPS:
            raise AblyError(42910, 429, f"Too many apps: at most {MAX_APPS}; delete some first")
        if app_id in self.apps:
            raise bad_request(f"App {app_id} already exists")
        app = App(app_id, random_id(6), self.retention, self.epoch, store=self.store, clock=self.clock)
        self.apps[app_id] = app
        return app

    def add_key(self, app: App, key_id: str | None = None, secret: str | None = None, capability=None) -> Key:
        key = Key(
            app.app_id,
            key_id or random_id(6),
            secret or secrets.token_urlsafe(24),
            parse_capability(capability) if capability is not None else dict(DEFAULT_CAPABILITY),
        )
        app.keys[key.name] = key
        self.keys[key.name] = key
        return key

    def add_key_str(self, key_str: str) -> Key:
        app_id, key_id, secret = parse_key_str(key_str)
        app = self.apps.get(app_id) or self.add_app(app_id)
        return self.add_key(app, key_id, secret)

    def delete_app(self, app_id: str) -> None:
        app = self.apps.pop(app_id)
        for name in app.keys:
            self.keys.pop(name, None)
            self.tokens.forget_key(name)

    def app_of(self, creds: Credentials) -> App:
        return self.apps[creds.key.app_id]

    def provision(self, spec) -> tuple[App, dict]:
        """Create an app from a sandbox-style spec; returns it and the 201 body."""
        if not isinstance(spec, dict):
            raise bad_request("App spec must be an object")
        keys_spec = spec.get("keys") or [{}]
        if not isinstance(keys_spec, list) or not all(isinstance(k, dict) for k in keys_spec):
            raise bad_request("'keys' must be a list of objects")
        for ns in spec.get("namespaces") or []:
            if not isinstance(ns, dict) or not isinstance(ns.get("id"), str):
                raise bad_request("Each namespace needs an 'id'")
        for k in keys_spec:
            if k.get("capability") is not None:
                parse_capability(k["capability"])
        # Everything is validated before the app is created, so a bad spec leaves nothing behind.
        fixtures = {}
        for ch in spec.get("channels") or []:
            if not isinstance(ch, dict) or not isinstance(ch.get("name"), str):
                raise bad_request("Each channel needs a 'name'")
            fixtures[ch["name"]] = _presence_fixtures(ch.get("presence"), self.clock())
        app = self.add_app()
        keys = [self.add_key(app, capability=k.get("capability")) for k in keys_spec]
        for ns in spec.get("namespaces") or []:
            if ns.get("persisted"):
                app.persisted_namespaces.add(ns["id"])
        for name, items in fixtures.items():
            channel = app.channel(name)
            for item in items:
                channel.apply_presence(item)
        body = {
            "appId": app.app_id,
            "accountId": app.account_id,
            "status": 0,
            "keys": [
                {
                    "id": k.key_id,
                    "value": k.secret,
                    "keyName": k.name,
                    "keyStr": k.key_str,
                    "capability": capability_string(k.capability),
                    "status": 0,
                }
                for k in keys
            ],
            "namespaces": spec.get("namespaces") or [],
            "channels": spec.get("channels") or [],
        }
        return app, body

    # -------------------------------------------------- authentication

    def key_for(self, key_str: str) -> Key:
        name, _, secret = key_str.partition(":")
        key = self.keys.get(name)
        if key is None or not secrets.compare_digest(key.secret, secret):
            raise unauthorized("Invalid key: unknown key name or wrong secret", 40101)
        return key

    def credentials_for_key(self, key_str: str, client_id: str | None) -> Credentials:
        key = self.key_for(key_str)
        return Credentials(key, key.capability, client_id or None)

    def credentials_for_token(self, token_str: str) -> Credentials:
        if looks_like_jwt(token_str):
            token = verify_jwt(token_str, self.keys, self.clock())
        else:
            token = self.tokens.check_token(token_str)
        key = self.keys.get(token.key_name)
        if key is None:
            raise AblyError(40143, 401, "Token not recognised: its key was revoked")
        return Credentials(key, token.capability, token.client_id, token)

    def credentials_from_header(self, header: str | None, client_id_header: str | None = None) -> Credentials:
        """Basic (key) or Bearer (token, base64 optional) Authorization."""
        if not header:
            raise unauthorized("Authentication required: use basic or token auth", 40101)
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                key_str = base64.b64decode(value, validate=True).decode()
            except (binascii.Error, ValueError):
                raise unauthorized("Malformed basic auth header", 40101) from None
            client_id = _decode_client_id(client_id_header)
            return self.credentials_for_key(key_str, client_id)
        if scheme == "bearer":
            candidates = [value]
            try:
                candidates.insert(0, base64.b64decode(value, validate=True).decode())
            except (binascii.Error, ValueError):
                pass
            for token_str in candidates:
                if looks_like_jwt(token_str) or self.tokens.lookup(token_str) is not None:
                    creds = self.credentials_for_token(token_str)
                    self._check_client_id_header(creds, client_id_header)
                    return creds
            raise AblyError(40143, 401, "Token not recognised")
        raise unauthorized("Unsupported authorization scheme", 40101)

    def _check_client_id_header(self, creds: Credentials, header: str | None) -> None:
        client_id = _decode_client_id(header)
        if client_id and creds.client_id not in (None, "*", client_id):
            raise unauthorized("clientId mismatch: X-Ably-ClientId does not match the token", 40102)


def _decode_client_id(header: str | None) -> str | None:
    if not header:
        return None
    try:
        return base64.b64decode(header, validate=True).decode()
    except (binascii.Error, ValueError):
        raise bad_request("Malformed X-Ably-ClientId header", 40012) from None


def _presence_fixtures(raw, now: int) -> list[dict]:
    """Presence members for POST /apps. Fixture data is text whatever the body's format,
    so a trailing `base64` encoding is decoded as it would be from a JSON client."""
    items = []
    for index, fixture in enumerate(canonical_items(raw, JSON)):
        if not isinstance(fixture.get("clientId"), str):
            raise bad_request("Each presence fixture needs a 'clientId'")
        item = clean_payload(fixture, PRESENCE_FIELDS)
        item.update(action=PresenceAction.ENTER, connectionId="fixture", id=f"fixture:0:{index}", timestamp=now)
        items.append(item)
    return items
