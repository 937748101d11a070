"""Apps, their keys, namespaces and channels; credentials; sandbox-style provisioning."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from .auth import (
    DEFAULT_TIMESTAMP_WINDOW_MS,
    Credentials,
    Key,
    TokenAuthority,
    parse_capability,
    parse_key_str,
    signed_by,
    token_key_name,
)
from .channel_names import check_name
from .channels import PRESENCE_FIELDS, Channel, Event, clean_payload
from .errors import AblyError, bad_request, unauthorized
from .io_ports import Clock, IdSource
from .jwt import looks_like_jwt, verify_jwt
from .protocol import JSON, PresenceAction, canonical_items

DEFAULT_CAPABILITY = {"*": ["*"]}
# Ably closes a channel about a minute after its last attachment, presence member or message.
DEFAULT_CLOSE_DELAY_MS = 60 * 1000
MAX_APPS = 1000
# What one `POST /apps` may ask for: the SDK test suites' specs use a handful of each.
MAX_KEYS_PER_APP = 20
MAX_NAMESPACES_PER_APP = 50
MAX_FIXTURE_CHANNELS = 50
MAX_FIXTURES_PER_CHANNEL = 100


@dataclass
class Retention:
    default_ms: int = 2 * 60 * 1000
    persisted_ms: int = 24 * 60 * 60 * 1000


@dataclass
class App:
    app_id: str
    account_id: str
    retention: Retention
    ids: IdSource
    close_delay_ms: int = DEFAULT_CLOSE_DELAY_MS
    keys: dict = field(default_factory=dict)  # keyName -> Key
    # Where a channel rule is on: channel names, or patterns ending in `*` (`chat:*` is the namespace
    # `chat`), as Ably's rules match channels. "Persist all messages" keeps history for the persisted
    # retention; "Message annotations, updates, deletes and appends" allows those operations.
    persisted_rules: set = field(default_factory=set)
    mutable_rules: set = field(default_factory=set)
    channels: dict = field(default_factory=dict)  # name -> Channel

    def mutable(self, name: str) -> bool:
        """Whether the channel has the mutable-messages rule (updates, deletes, appends, annotations)."""
        return _rule_matches(self.mutable_rules, name)

    def persisted(self, name: str) -> bool:
        """Whether the channel has the persist-all-messages rule (the longer retention)."""
        return _rule_matches(self.persisted_rules, name)

    def channel(self, name: str) -> Channel:
        channel = self.channels.get(name)
        if channel is None:
            # A fresh epoch per channel instance: serials from a pruned predecessor, or from an
            # earlier run of the emulator, are recognisably foreign.
            channel = Channel(name, self.ids.short_id(10), self._retention_of(name))
            self.channels[name] = channel
        return channel

    def restore_channel(self, name: str, epoch: str, seq: int, events: list[Event], now: int) -> None:
        """Reload a channel's journalled history (serials and idempotency continue)."""
        channel = Channel(name, epoch, self._retention_of(name))
        channel.restore(seq, events, now)
        self.channels[name] = channel

    def existing_channel(self, name: str) -> Channel | None:
        return self.channels.get(name)

    def recently_active(self, channel: Channel, now: int) -> bool:
        return now - channel.last_active < self.close_delay_ms

    def prune(self, now: int, in_use: set[str]) -> None:
        """Drop channels nobody uses, whose history has expired and that have closed."""
        for name, channel in list(self.channels.items()):
            channel.prune(now)
            if name not in in_use and channel.is_idle() and not self.recently_active(channel, now):
                del self.channels[name]

    def _retention_of(self, name: str) -> int:
        return self.retention.persisted_ms if self.persisted(name) else self.retention.default_ms


def _rule_matches(rules: set, name: str) -> bool:
    return any(name.startswith(rule[:-1]) if rule.endswith("*") else name == rule for rule in rules)


@dataclass
class Provisioned:
    """An app made by `POST /apps`, with its keys and the presence members to seed."""

    app: App
    keys: list[Key]
    fixtures: dict[str, list[dict]]  # channel name -> ENTER items


class Registry:
    """All apps, with key lookup and credential checks."""

    def __init__(
        self,
        clock: Clock,
        ids: IdSource,
        retention: Retention | None = None,
        timestamp_window_ms: int = DEFAULT_TIMESTAMP_WINDOW_MS,
        close_delay_ms: int = DEFAULT_CLOSE_DELAY_MS,
    ):
        self.clock = clock
        self.ids = ids
        self.retention = retention or Retention()
        self.close_delay_ms = close_delay_ms
        self.tokens = TokenAuthority(clock, ids, timestamp_window_ms)
        self.apps: dict[str, App] = {}
        self.keys: dict[str, Key] = {}

    # -------------------------------------------------- apps

    def add_app(self, app_id: str | None = None) -> App:
        app_id = app_id or self.ids.short_id(6)
        if len(self.apps) >= MAX_APPS:
            raise AblyError(42910, 429, f"Too many apps: at most {MAX_APPS}; delete some first")
        if app_id in self.apps:
            raise bad_request(f"App {app_id} already exists")
        app = App(app_id, self.ids.short_id(6), self.retention, self.ids, self.close_delay_ms)
        self.apps[app_id] = app
        return app

    def add_key(
        self, app: App, key_id: str | None = None, secret: str | None = None, capability: dict | None = None
    ) -> Key:
        key = Key(
            app.app_id,
            key_id or self.ids.short_id(6),
            secret or self.ids.secret(24),
            capability or dict(DEFAULT_CAPABILITY),
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

    def provision(self, spec) -> Provisioned:
        """Create an app from a sandbox-style spec. Everything is checked before anything is made,
        so a bad spec leaves nothing behind."""
        if not isinstance(spec, dict):
            raise bad_request("App spec must be an object")
        keys_spec = _list_of_objects(spec, "keys", MAX_KEYS_PER_APP) or [{}]
        capabilities = [
            parse_capability(k["capability"]) if k.get("capability") is not None else None for k in keys_spec
        ]
        namespaces = _list_of_objects(spec, "namespaces", MAX_NAMESPACES_PER_APP)
        if not all(isinstance(ns.get("id"), str) and ns["id"] for ns in namespaces):
            raise bad_request("Each namespace needs an 'id'")
        fixtures = {}
        for ch in _list_of_objects(spec, "channels", MAX_FIXTURE_CHANNELS):
            name = check_name(ch.get("name"))
            fixtures[name] = _presence_fixtures(ch.get("presence"), self.clock())
        app = self.add_app()
        keys = [self.add_key(app, capability=capability) for capability in capabilities]
        app.persisted_rules.update(f"{ns['id']}:*" for ns in namespaces if ns.get("persisted"))
        app.mutable_rules.update(f"{ns['id']}:*" for ns in namespaces if ns.get("mutableMessages"))
        return Provisioned(app, keys, fixtures)

    # -------------------------------------------------- credentials

    def key_for(self, key_str: str) -> Key:
        name, _, secret = key_str.partition(":")
        key = self.keys.get(name)
        if key is None or not hmac.compare_digest(key.secret.encode(), secret.encode()):
            raise unauthorized("Invalid key: unknown key name or wrong secret", 40101)
        return key

    def credentials_for_key(self, key_str: str, client_id: str | None) -> Credentials:
        key = self.key_for(key_str)
        return Credentials(key, key.capability, client_id or None)

    def credentials_for_token(self, token_str: str) -> Credentials:
        """An Ably JWT or an emulator token: 40142 expired, 40143 issued before a restart, 40101 not a
        token issued here."""
        if looks_like_jwt(token_str):
            token = verify_jwt(token_str, self.keys, self.clock())
        elif not self.tokens.issued(token_str) and self._signed_here(token_str):
            raise AblyError(40143, 401, "Token not recognised: issued before the emulator restarted")
        else:
            token = self.tokens.check_token(token_str)
        key = self.keys.get(token.key_name)
        if key is None:
            raise AblyError(40143, 401, "Token not recognised: its key was revoked")
        return Credentials(key, token.capability, token.client_id, token)

    def recognises(self, text: str) -> bool:
        """Whether `text` is a JWT or a token issued here (expired or not, in this run or an earlier one)."""
        return looks_like_jwt(text) or self.tokens.issued(text) or self._signed_here(text)

    def _signed_here(self, token_str: str) -> bool:
        key_name = token_key_name(token_str)
        key = self.keys.get(key_name) if key_name is not None else None
        return key is not None and signed_by(key, token_str)


def _list_of_objects(spec: dict, name: str, limit: int) -> list[dict]:
    value = spec.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad_request(f"'{name}' must be a list of objects")
    if len(value) > limit:
        raise bad_request(f"Too many {name}: at most {limit} per app", 40003)
    return value


def _presence_fixtures(raw, now: int) -> list[dict]:
    """Presence members for POST /apps. Fixture data is text whatever the body's format,
    so a trailing `base64` encoding is decoded as it would be from a JSON client."""
    fixtures = canonical_items(raw, JSON)
    if len(fixtures) > MAX_FIXTURES_PER_CHANNEL:
        raise bad_request(f"Too many presence fixtures: at most {MAX_FIXTURES_PER_CHANNEL} per channel", 40003)
    items = []
    for index, fixture in enumerate(fixtures):
        if not isinstance(fixture.get("clientId"), str) or not fixture["clientId"]:
            raise bad_request("Each presence fixture needs a 'clientId'")
        item = clean_payload(fixture, PRESENCE_FIELDS)
        item.update(action=PresenceAction.ENTER, connectionId="fixture", id=f"fixture:0:{index}", timestamp=now)
        items.append(item)
    return items
