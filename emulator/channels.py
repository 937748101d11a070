"""Channels: a serial-numbered event log (messages and presence), idempotency,
the presence member set and history queries. Pure domain code, no I/O."""

from __future__ import annotations

import json
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from .errors import bad_request, too_large
from .message_records import MessageRecords, is_create
from .protocol import MAX_MESSAGE_SIZE, PresenceAction

MAX_LOG_ENTRIES = 10_000  # per channel, whatever the retention says
MAX_LOG_BYTES = 32 * 1024 * 1024  # per channel: 10,000 large messages would be 640 MiB
MAX_IDEMPOTENT_IDS = 10_000  # per channel
MESSAGE_FIELDS = ("id", "name", "data", "encoding", "clientId", "extras")
PRESENCE_FIELDS = ("id", "clientId", "data", "encoding", "extras")


def message_size(item: dict) -> int:
    """Size as Ably counts it: name + clientId + data + extras."""
    size = 0
    for name in ("name", "clientId"):
        if isinstance(item.get(name), str):
            size += len(item[name].encode())
    data = item.get("data")
    if isinstance(data, (bytes, bytearray)):
        size += len(data)
    elif isinstance(data, str):
        size += len(data.encode())
    if item.get("extras") is not None:
        size += len(json.dumps(item["extras"]).encode())
    return size


def check_size(items: list[dict], limit: int = MAX_MESSAGE_SIZE) -> None:
    total = sum(message_size(i) for i in items)
    if total > limit:
        raise too_large(total, limit)


def clean_payload(item: dict, fields: tuple[str, ...]) -> dict:
    """Keep the fields the server stores; JSON objects become `json`-encoded strings."""
    out = {k: item[k] for k in fields if item.get(k) is not None}
    data = out.get("data")
    if isinstance(data, (dict, list)):
        try:
            out["data"] = json.dumps(data, separators=(",", ":"))
        except (TypeError, ValueError):
            raise bad_request("Invalid message data: not representable as JSON", 40013) from None
        out["encoding"] = f"{out['encoding']}/json" if out.get("encoding") else "json"
    elif data is not None and not isinstance(data, (str, bytes, bytearray)):
        raise bad_request("Invalid message data: expected a string, binary or JSON object", 40013)
    for name in ("id", "name", "clientId", "encoding"):
        if name in out and not isinstance(out[name], str):
            raise bad_request(f"Invalid message field '{name}'", 40013)
    if "extras" in out and not _is_json_object(out["extras"]):
        raise bad_request("Invalid message extras: expected a JSON object", 40013)
    return out


def _is_json_object(value) -> bool:
    # It must survive being sent to a JSON client (msgpack allows e.g. binary map keys).
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, dict)


def is_ephemeral(item: dict) -> bool:
    extras = item.get("extras")
    return isinstance(extras, dict) and extras.get("ephemeral") is True


@dataclass
class Event:
    """One channel event (a publish or a presence change): what fan-out, replay and history read."""

    seq: int
    timestamp: int
    kind: str  # "message" (any message action) | "presence" | "annotation"
    items: list[dict]
    connection_id: str | None

    @property
    def size(self) -> int:
        return sum(message_size(item) for item in self.items)

    @property
    def serials(self) -> list[str | None]:
        return [item.get("serial") for item in self.items]


@dataclass
class Member:
    client_id: str
    connection_id: str
    item: dict  # the latest PRESENT state, with original id and timestamp


@dataclass
class Channel:
    name: str
    epoch: str
    retention_ms: int
    seq: int = 0
    log: deque = field(default_factory=deque)
    log_bytes: int = 0  # message_size of everything in the log
    serial_of_message: OrderedDict = field(default_factory=OrderedDict)  # message id -> serial, for idempotency
    members: dict = field(default_factory=dict)  # (clientId, connectionId) -> Member
    messages: MessageRecords = field(default_factory=MessageRecords)  # versions, annotations, summaries
    # When something last happened here (a message, a presence change, a detach, a status
    # request): a channel stays active for a while after it, as on Ably. 0: never.
    last_active: int = 0

    # -------------------------------------------------- serials

    def serial(self, seq: int | None = None) -> str:
        return f"{self.epoch}-{self.seq if seq is None else seq:08d}"

    def parse_serial(self, serial) -> int | None:
        """The seq of one of our serials, or None if it is not ours (e.g. an old run)."""
        if not isinstance(serial, str):
            return None
        epoch, _, seq = serial.rpartition("-")
        if epoch != self.epoch or not seq.isdigit():
            return None
        return int(seq)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -------------------------------------------------- log

    def append(self, kind: str, items: list[dict], now: int, connection_id: str | None) -> Event:
        """Log an event; its items come back in it carrying their serials: a new message or an annotation
        its own, an update, delete or append its original's, with the new version's serial in `version`."""
        seq = self.next_seq()
        items = [self._stamped(kind, item, f"{self.serial(seq)}:{position:04d}") for position, item in enumerate(items)]
        for item in items if kind == "message" else ():
            if is_create(item):
                self.remember_id(item.get("id"), item["serial"])
        event = Event(seq, now, kind, items, connection_id)
        self.messages.observe(seq, kind, items)
        self.touch(now)
        self.log.append(event)
        self.log_bytes += event.size
        self.prune(now)
        return event

    @staticmethod
    def _stamped(kind: str, item: dict, serial: str) -> dict:
        if kind == "annotation" or (kind == "message" and is_create(item)):
            return dict(item, serial=serial)
        if kind == "message" and "version" in item:  # a summary has no version of its own
            return dict(item, version=dict(item["version"], serial=serial))
        return item

    def restore(self, seq: int, events: list[Event], now: int) -> None:
        """Reload a journalled log (serials and idempotency ids continue where they were)."""
        self.seq = seq
        self.log.extend(events)
        self.log_bytes += sum(event.size for event in events)
        self.last_active = max((event.timestamp for event in events), default=0)
        for event in events:
            for item in event.items if event.kind == "message" else ():
                if is_create(item):
                    self.remember_id(item.get("id"), item["serial"])  # stamped by `append`
            self.messages.observe(event.seq, event.kind, event.items)
        self.prune(now)

    def prune(self, now: int) -> None:
        while self.log and (
            len(self.log) > MAX_LOG_ENTRIES
            or self.log_bytes > MAX_LOG_BYTES
            or now - self.log[0].timestamp > self.retention_ms
        ):
            gone = self.log.popleft()
            self.log_bytes -= gone.size
            self.messages.forget(gone.kind, gone.items)
        while self.serial_of_message and len(self.serial_of_message) > MAX_IDEMPOTENT_IDS:
            self.serial_of_message.popitem(last=False)

    def events_after(self, seq: int) -> list[Event] | None:
        """Events after `seq`, or None if some of them were already pruned."""
        if seq > self.seq:
            return None
        oldest = self.log[0].seq if self.log else self.seq + 1
        if seq + 1 < oldest:
            return None
        return [e for e in self.log if e.seq > seq]

    def is_idle(self) -> bool:
        return not self.log and not self.members

    def touch(self, now: int) -> None:
        self.last_active = max(self.last_active, now)

    # -------------------------------------------------- idempotency

    def seen_id(self, message_id: str | None) -> str | None:
        return self.serial_of_message.get(message_id) if message_id else None

    def remember_id(self, message_id: str | None, serial: str) -> None:
        if message_id:
            self.serial_of_message[message_id] = serial

    # -------------------------------------------------- presence

    def apply_presence(self, item: dict) -> dict | None:
        """Update the member set; returns the item to broadcast, or None for a no-op."""
        key = (item["clientId"], item["connectionId"])
        action = item["action"]
        current = self.members.get(key)
        if action == PresenceAction.LEAVE:
            if current is None:
                return None
            del self.members[key]
            if "data" not in item and "data" in current.item:
                item = dict(item, data=current.item["data"])
                if "encoding" in current.item:
                    item["encoding"] = current.item["encoding"]
            return item
        if current is not None and current.item.get("id") == item.get("id"):
            return None  # the SDK re-entering after a resume: nothing changed
        if action == PresenceAction.ENTER and current is not None:
            item = dict(item, action=PresenceAction.UPDATE)
        elif action in (PresenceAction.UPDATE, PresenceAction.PRESENT) and current is None:
            item = dict(item, action=PresenceAction.ENTER)
        stored = dict(item, action=PresenceAction.PRESENT)
        self.members[key] = Member(item["clientId"], item["connectionId"], stored)
        return item

    def members_of(self, connection_id: str) -> list[Member]:
        return [m for m in self.members.values() if m.connection_id == connection_id]

    def present_items(self, client_id: str | None = None, connection_id: str | None = None) -> list[dict]:
        return [
            m.item
            for m in self.members.values()
            if (client_id is None or m.client_id == client_id)
            and (connection_id is None or m.connection_id == connection_id)
        ]


# ---------------------------------------------------------------- history


@dataclass
class HistoryQuery:
    limit: int = 100
    forwards: bool = False
    start: int | None = None
    end: int | None = None
    until_seq: int | None = None  # from untilAttach: only events at or before the attach serial
    cursor: tuple | None = None  # (seq, index) to continue after, as issued in Link headers

    def run(self, channel: Channel, kind: str) -> tuple[list[dict], tuple | None]:
        """Matching items for one page, and the cursor for the next page (or None). Message history
        shows each message once, in its original's place, as its latest version."""
        items = [
            ((e.seq, i), channel.messages.latest(item) if kind == "message" else item)
            for e in channel.log
            if e.kind == kind
            for i, item in enumerate(e.items)
            if (kind != "message" or is_create(item)) and self._matches(e, (e.seq, i))
        ]
        if not self.forwards:
            items.reverse()
        page = items[: self.limit]
        more = len(items) > self.limit
        return [item for _, item in page], (page[-1][0] if more else None)

    def _matches(self, e: Event, position: tuple) -> bool:
        if self.start is not None and e.timestamp < self.start:
            return False
        if self.end is not None and e.timestamp > self.end:
            return False
        if self.until_seq is not None and e.seq > self.until_seq:
            return False
        if self.cursor is not None:
            return position > self.cursor if self.forwards else position < self.cursor
        return True
