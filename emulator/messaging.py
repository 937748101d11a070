"""Publishing and fan-out shared by REST and realtime: clientId rules, stamping,
idempotency, and delivery of logged channel events to attached connections."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .apps import App
from .auth import Credentials, operations_for
from .channels import (
    MESSAGE_FIELDS,
    PRESENCE_FIELDS,
    Channel,
    Event,
    check_size,
    clean_payload,
    is_ephemeral,
)
from .errors import AblyError, bad_request, capability_denied
from .protocol import Action, Flag, PresenceAction, SharedFrame

SUBSCRIBE_MODES = Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE
MODES_BY_OPERATION = {
    "subscribe": SUBSCRIBE_MODES,
    "publish": Flag.PUBLISH,
    "presence": Flag.PRESENCE,
}


def split_qualifier(wire_name) -> tuple[str, dict]:
    """`[?rewind=1]chat` -> ("chat", {"rewind": "1"}); plain names pass through."""
    if not isinstance(wire_name, str) or not wire_name:
        raise bad_request("A channel name is required")
    match = re.fullmatch(r"\[\?([^\]]*)\](.+)", wire_name, re.S)
    if not match:
        return wire_name, {}
    return match[2], dict(parse_qsl(match[1]))


def granted_modes(ops: set[str]) -> Flag:
    modes = Flag(0)
    for op, mode in MODES_BY_OPERATION.items():
        if op in ops:
            modes |= mode
    return modes


def effective_client_id(creds: Credentials, identity: str | None, requested) -> str | None:
    """The clientId a message or presence item gets (RSA7/RSA15).

    `identity` is the connection's clientId (for REST, the credentials').
    Keys are privileged and may name anyone; a wildcard identity may too.
    """
    if requested is None:
        return identity if identity != "*" else None
    if not isinstance(requested, str) or not requested or requested == "*":
        raise bad_request("Invalid clientId", 40012)
    if creds.is_key or identity == "*" or requested == identity:
        return requested
    raise bad_request(f"Mismatched clientId '{requested}' for a connection identified as '{identity}'", 40012)


def random_message_id() -> str:
    return secrets.token_urlsafe(9)


@dataclass
class Subscriber:
    """What delivery needs from an attached realtime connection."""
    connection_id: str
    echo: bool
    modes: Flag
    wire_name: str
    live: bool
    send: object  # callable(pm)


def event_frame(event: Event, channel: Channel, wire_name: str) -> dict:
    pm = {
        "action": Action.MESSAGE if event.kind == "message" else Action.PRESENCE,
        "channel": wire_name,
        "timestamp": event.timestamp,
        "channelSerial": channel.serial(event.seq) if event.seq else None,
        "messages" if event.kind == "message" else "presence": event.items,
    }
    if pm["channelSerial"] is None:
        del pm["channelSerial"]  # ephemeral: not part of the log, so no serial
    if event.connection_id:
        pm["connectionId"] = event.connection_id
    return pm


def wants(sub: Subscriber, event: Event) -> bool:
    if event.kind == "message":
        return bool(sub.modes & Flag.SUBSCRIBE) and (sub.echo or event.connection_id != sub.connection_id)
    return bool(sub.modes & Flag.PRESENCE_SUBSCRIBE)


@dataclass
class Router:
    """Attached connections per (app, channel), and publishing into channels."""
    clock: object
    subscribers: dict = field(default_factory=dict)  # (app_id, channel) -> {connection_id: Subscriber}

    def attach(self, app: App, channel: str, sub: Subscriber) -> None:
        self.subscribers.setdefault((app.app_id, channel), {})[sub.connection_id] = sub

    def detach(self, app: App, channel: str, connection_id: str) -> None:
        subs = self.subscribers.get((app.app_id, channel))
        if subs is not None:
            subs.pop(connection_id, None)
            if not subs:
                del self.subscribers[(app.app_id, channel)]

    def channels_in_use(self, app: App) -> set[str]:
        return {name for (app_id, name) in self.subscribers if app_id == app.app_id}

    def deliver(self, app: App, channel: Channel, event: Event, first: str | None = None) -> None:
        """Send an event to every live subscriber; `first` (the publisher) goes first
        so it sees its echo before its ACK."""
        subs = list(self.subscribers.get((app.app_id, channel.name), {}).values())
        subs.sort(key=lambda s: s.connection_id != first)
        frames: dict[str, SharedFrame] = {}  # by wire name: one frame for all who attached that way
        for sub in subs:
            if sub.live and wants(sub, event):
                if sub.wire_name not in frames:
                    frames[sub.wire_name] = SharedFrame(event_frame(event, channel, sub.wire_name))
                sub.send(frames[sub.wire_name])

    # -------------------------------------------------- messages

    def publish(self, app: App, channel_name: str, raw_items: list[dict], creds: Credentials,
                identity: str | None, connection_id: str | None = None, id_prefix: str | None = None,
                max_size: int = 64 * 1024) -> list[str | None]:
        """Validate, stamp, log and deliver messages; returns one serial per message."""
        if "publish" not in _ops(creds, channel_name):
            raise capability_denied("publish", channel_name)
        if not raw_items:
            raise bad_request("No messages to publish")
        items = [clean_payload(i, MESSAGE_FIELDS) for i in raw_items]
        check_size(items, max_size)
        now = self.clock()
        channel = app.channel(channel_name)
        prefix = id_prefix or random_message_id()
        fresh, slots = [], []  # slots: a known serial (a duplicate id) or the fresh item
        for index, item in enumerate(items):
            item["clientId"] = effective_client_id(creds, identity, item.get("clientId"))
            if item["clientId"] is None:
                del item["clientId"]
            message_id = item.get("id")
            duplicate = channel.seen_id(message_id) or next(
                (f for f in fresh if message_id and f["id"] == message_id), None)
            if duplicate is not None:
                slots.append(duplicate)  # idempotent: stored and delivered once
                continue
            item.setdefault("id", f"{prefix}:{index}")
            item["timestamp"] = now
            item["action"] = 0  # message.create
            if connection_id:
                item["connectionId"] = connection_id
            fresh.append(item)
            slots.append(item)
        if fresh:
            if all(is_ephemeral(i) for i in fresh):
                event = Event(0, now, "message", fresh, connection_id)  # delivered, never stored
            else:
                event = channel.append("message", fresh, now, connection_id)
            self.deliver(app, channel, event, first=connection_id)
        return [slot.get("serial") if isinstance(slot, dict) else slot for slot in slots]

    # -------------------------------------------------- presence

    def presence(self, app: App, channel_name: str, raw_items: list[dict], creds: Credentials,
                 identity: str | None, connection_id: str, id_prefix: str, max_size: int = 64 * 1024) -> None:
        if "presence" not in _ops(creds, channel_name):
            raise capability_denied("presence", channel_name)
        items = []
        for index, raw in enumerate(raw_items):
            action = raw.get("action")
            if action not in (PresenceAction.ENTER, PresenceAction.UPDATE, PresenceAction.LEAVE,
                              PresenceAction.PRESENT):
                raise bad_request(f"Invalid presence action {action!r}", 40000)
            item = clean_payload(raw, PRESENCE_FIELDS)
            client_id = effective_client_id(creds, identity, raw.get("clientId"))
            if client_id is None:
                raise bad_request("Presence requires a clientId", 40012)
            item.update(
                action=PresenceAction(action), clientId=client_id, connectionId=connection_id,
                timestamp=self.clock(),
            )
            item.setdefault("id", f"{id_prefix}:{index}")
            items.append(item)
        check_size(items, max_size)
        self.apply_presence(app, app.channel(channel_name), items, connection_id)

    def apply_presence(self, app: App, channel: Channel, items: list[dict], connection_id: str | None) -> None:
        changed = [c for c in (channel.apply_presence(i) for i in items) if c is not None]
        if changed:
            event = channel.append("presence", changed, self.clock(), connection_id)
            self.deliver(app, channel, event, first=connection_id)

    def leave_all(self, app: App, channel: Channel, connection_id: str) -> None:
        """Server-generated LEAVEs for a connection's members (close, detach, timeout)."""
        now = self.clock()
        leaves = [
            {
                "action": PresenceAction.LEAVE, "clientId": m.client_id, "connectionId": m.connection_id,
                # Not prefixed with the connectionId, so clients order it by timestamp.
                "id": f"{random_message_id()}:0:{index}", "timestamp": now,
            }
            for index, m in enumerate(channel.members_of(connection_id))
        ]
        self.apply_presence(app, channel, leaves, None)


def _ops(creds: Credentials, channel_name: str) -> set[str]:
    return operations_for(creds.capability, channel_name)


def check_history_allowed(creds: Credentials, channel_name: str) -> None:
    if "history" not in _ops(creds, channel_name):
        raise capability_denied("history", channel_name)


def parse_rewind(value) -> tuple[int | None, int | None]:
    """rewind=N (messages, at most 100) or a duration like 10s / 2m / 1h -> (count, ms)."""
    if value is None:
        return None, None
    text = str(value).strip()
    if text.isdigit():
        return min(int(text), 100), None
    match = re.fullmatch(r"(\d+)\s*(ms|s|m|h)", text)
    if not match:
        raise AblyError(40003, 400, f"Invalid rewind value '{text}'")
    scale = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[match[2]]
    return None, int(match[1]) * scale
