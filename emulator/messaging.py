"""Publishing and fan-out shared by REST and realtime: clientId rules, stamping,
idempotency, and delivery of logged channel events to attached connections."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .apps import App
from .auth import Credentials, operations_for
from .channel_names import MessageFilter
from .channels import MESSAGE_FIELDS, PRESENCE_FIELDS, Channel, Event, check_size, clean_payload, is_ephemeral
from .errors import AblyError, bad_request, capability_denied
from .io_ports import Clock, EventSink, IdSource
from .protocol import MAX_MESSAGE_SIZE, Action, Flag, PresenceAction, SharedFrame

# What each capability operation lets an attachment do.
MODES_BY_OPERATION = {
    "subscribe": Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE,
    "publish": Flag.PUBLISH,
    "presence": Flag.PRESENCE,
    "annotation-publish": Flag.ANNOTATION_PUBLISH,
    "annotation-subscribe": Flag.ANNOTATION_SUBSCRIBE,
    "object-subscribe": Flag.OBJECT_SUBSCRIBE,
    "object-publish": Flag.OBJECT_PUBLISH,
}


def modes_allowed(ops: set[str]) -> Flag:
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


def refuse_if_forced(force_nack) -> None:
    """ably-js's test hook `_forceNack` (a REST query parameter, or a realtime publish's param): when
    it is true, the publish is refused with 40099 and nothing is published."""
    if str(force_nack).lower() == "true":
        raise AblyError(40099, 400, "Publish refused as requested by _forceNack")


@dataclass
class Subscriber:
    """What delivery needs from an attached realtime connection."""

    connection_id: str
    echo: bool
    modes: Flag
    wire_name: str
    live: bool
    send: Callable[[dict], None]
    filter: MessageFilter | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        """One subscription per connection and view of a channel."""
        return self.connection_id, self.filter.source if self.filter else None


@dataclass
class Published:
    message_id: str  # the base of the messages' ids, `<message_id>:<index>`
    serials: list[str | None]  # one per message, in order; a repeated id gets the first one's serial


# How each kind of logged event travels: its ProtocolMessage action and the field holding its items.
FRAMES = {
    "message": (Action.MESSAGE, "messages"),
    "presence": (Action.PRESENCE, "presence"),
    "annotation": (Action.ANNOTATION, "annotations"),
}


def event_frame(event: Event, channel: Channel, wire_name: str, items: list[dict] | None = None) -> dict:
    action, field_name = FRAMES[event.kind]
    pm = {
        "action": action,
        "channel": wire_name,
        "timestamp": event.timestamp,
        field_name: event.items if items is None else items,
    }
    if event.seq:  # ephemeral messages are not part of the log, so they have no serial
        pm["channelSerial"] = channel.serial(event.seq)
    if event.connection_id:
        pm["connectionId"] = event.connection_id
    return pm


def visible_items(sub: Subscriber, event: Event) -> list[dict]:
    """What of `event` reaches `sub`: nothing it has no mode for, its own messages only with echo,
    and on a derived channel only the messages its filter matches."""
    if event.kind == "presence":
        return event.items if sub.modes & Flag.PRESENCE_SUBSCRIBE else []
    mode = Flag.SUBSCRIBE if event.kind == "message" else Flag.ANNOTATION_SUBSCRIBE
    if not sub.modes & mode or (not sub.echo and event.connection_id == sub.connection_id):
        return []
    if sub.filter is None:
        return event.items
    return [item for item in event.items if sub.filter.matches(item)]


@dataclass
class Fanout:
    """Who is attached to each channel (per app), and getting events to them: publishing and
    presence are validated, logged in the channel, then fanned out to every live subscriber."""

    clock: Clock
    ids: IdSource
    sink: EventSink | None = None  # told of each logged event (the history journal)
    subscribers: dict = field(default_factory=dict)  # (app_id, channel) -> {Subscriber.key: Subscriber}

    def attach(self, app: App, channel: str, sub: Subscriber) -> None:
        self.subscribers.setdefault((app.app_id, channel), {})[sub.key] = sub

    def detach(self, app: App, channel: str, key: tuple[str, str | None]) -> None:
        subs = self.subscribers.get((app.app_id, channel))
        if subs is not None:
            subs.pop(key, None)
            if not subs:
                del self.subscribers[(app.app_id, channel)]
                # The channel closes a while after its last attachment goes, not at once.
                existing = app.existing_channel(channel)
                if existing is not None:
                    existing.touch(self.clock())

    def is_attached(self, app: App, channel: str) -> bool:
        return (app.app_id, channel) in self.subscribers

    def subscribers_of(self, app: App, channel: str) -> list[Subscriber]:
        return list(self.subscribers.get((app.app_id, channel), {}).values())

    def channels_in_use(self, app: App) -> set[str]:
        return {name for (app_id, name) in self.subscribers if app_id == app.app_id}

    def deliver(self, app: App, channel: Channel, event: Event, sender: str | None = None) -> None:
        """Send an event to every live subscriber; the `sender`'s connection goes first, so that it
        sees its echo before its ACK."""
        subs = sorted(self.subscribers_of(app, channel.name), key=lambda s: s.connection_id != sender)
        frames: dict[str, SharedFrame] = {}  # by wire name: one frame for all who attached that way
        for sub in subs:
            if not sub.live:
                continue
            items = visible_items(sub, event)
            if not items:
                continue
            if sub.wire_name not in frames:
                frames[sub.wire_name] = SharedFrame(event_frame(event, channel, sub.wire_name, items))
            sub.send(frames[sub.wire_name])

    def log_event(self, app: App, channel: Channel, kind: str, items: list[dict], connection_id: str | None) -> Event:
        event = channel.append(kind, items, self.clock(), connection_id)
        if self.sink is not None:
            self.sink(app.app_id, channel, event)
        return event

    # -------------------------------------------------- messages

    def publish(
        self,
        app: App,
        channel_name: str,
        raw_items: list[dict],
        creds: Credentials,
        identity: str | None,
        connection_id: str | None = None,
        id_prefix: str | None = None,
        max_size: int = MAX_MESSAGE_SIZE,
    ) -> Published:
        """Validate, stamp, log and deliver messages."""
        if "publish" not in operations_for(creds.capability, channel_name):
            raise capability_denied("publish", channel_name)
        if not raw_items:
            raise bad_request("No messages to publish")
        if any(i.get("action") not in (None, 0, "message.create") for i in raw_items if isinstance(i, dict)):
            # (updates, deletes and appends go through mutations.py, one message at a time)
            raise bad_request("An update, delete or append cannot be published with other messages", 40003)
        items = [clean_payload(i, MESSAGE_FIELDS) for i in raw_items]
        check_size(items, max_size)
        now = self.clock()
        channel = app.channel(channel_name)
        prefix = id_prefix or _shared_id_base(items) or self.ids.secret(9)
        fresh: list[dict] = []
        # Where each message's serial will come from: a logged duplicate's serial, or a fresh item.
        sources: list[str | int] = []
        for index, item in enumerate(items):
            client_id = effective_client_id(creds, identity, item.pop("clientId", None))
            message_id = item.get("id")
            known = channel.seen_id(message_id)
            batch_twin = next((n for n, f in enumerate(fresh) if message_id and f["id"] == message_id), None)
            source = known if known is not None else batch_twin
            if source is not None:
                sources.append(source)  # idempotent: stored once
                continue
            item.setdefault("id", f"{prefix}:{index}")
            if client_id is not None:
                item["clientId"] = client_id
            item.update(timestamp=now, action=0)  # 0: message.create
            if connection_id:
                item["connectionId"] = connection_id
            sources.append(len(fresh))
            fresh.append(item)
        serials: list[str | None] = [None] * len(fresh)
        if fresh:
            if all(is_ephemeral(i) for i in fresh):
                event = Event(0, now, "message", fresh, connection_id)  # delivered, never stored
                channel.touch(now)
            else:
                event = self.log_event(app, channel, "message", fresh, connection_id)
                serials = event.serials
            self.deliver(app, channel, event, sender=connection_id)
        return Published(prefix, [s if isinstance(s, str) else serials[s] for s in sources])

    # -------------------------------------------------- presence

    def presence(
        self,
        app: App,
        channel_name: str,
        raw_items: list[dict],
        creds: Credentials,
        identity: str | None,
        connection_id: str,
        id_prefix: str,
        max_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        if "presence" not in operations_for(creds.capability, channel_name):
            raise capability_denied("presence", channel_name)
        items = []
        for index, raw in enumerate(raw_items):
            action = raw.get("action")
            if action not in (
                PresenceAction.ENTER,
                PresenceAction.UPDATE,
                PresenceAction.LEAVE,
                PresenceAction.PRESENT,
            ):
                raise bad_request(f"Invalid presence action {action!r}", 40000)
            item = clean_payload(raw, PRESENCE_FIELDS)
            client_id = effective_client_id(creds, identity, raw.get("clientId"))
            if client_id is None:
                raise bad_request("Presence requires a clientId", 40012)
            item.update(
                action=PresenceAction(action),
                clientId=client_id,
                connectionId=connection_id,
                timestamp=self.clock(),
            )
            item.setdefault("id", f"{id_prefix}:{index}")
            items.append(item)
        check_size(items, max_size)
        self.apply_presence(app, app.channel(channel_name), items, connection_id)

    def apply_presence(self, app: App, channel: Channel, items: list[dict], connection_id: str | None) -> None:
        changed = [c for c in (channel.apply_presence(i) for i in items) if c is not None]
        if changed:
            event = self.log_event(app, channel, "presence", changed, connection_id)
            self.deliver(app, channel, event, sender=connection_id)

    def leave_all(self, app: App, channel: Channel, connection_id: str) -> None:
        """Server-generated LEAVEs for a connection's members (close, detach, timeout)."""
        now = self.clock()
        leaves = [
            {
                "action": PresenceAction.LEAVE,
                "clientId": m.client_id,
                "connectionId": m.connection_id,
                # Not prefixed with the connectionId, so clients order it by timestamp.
                "id": f"{self.ids.secret(9)}:0:{index}",
                "timestamp": now,
            }
            for index, m in enumerate(channel.members_of(connection_id))
        ]
        self.apply_presence(app, channel, leaves, None)


def _shared_id_base(items: list[dict]) -> str | None:
    """`base` when every message came with an idempotent-publishing id `base:<index>`."""
    bases = {str(item.get("id", "")).rpartition(":")[0] for item in items}
    base = bases.pop() if len(bases) == 1 else ""
    return base or None


def check_history_allowed(creds: Credentials, channel_name: str) -> None:
    if "history" not in operations_for(creds.capability, channel_name):
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
