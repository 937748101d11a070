"""Each message's versions, annotations and summary, derived from a channel's log.

The log holds what happened (a create, an update, a delete, an append, an annotation, a summary), in
order; `MessageRecords.observe` folds each logged event into the per-serial record, so replaying a
journalled log rebuilds exactly the same records. Pure domain code, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class MessageAction(IntEnum):
    CREATE = 0
    UPDATE = 1
    DELETE = 2
    META = 3
    SUMMARY = 4
    APPEND = 5


# A message's fields an update, delete or append may change; the others stay those of the original.
CONTENT_FIELDS = ("name", "data", "encoding", "extras")


def action_of(item: dict) -> int:
    action = item.get("action")
    return MessageAction.CREATE if action is None else action


def is_create(item: dict) -> bool:
    return action_of(item) == MessageAction.CREATE


def appended(latest: dict, fragment: dict) -> dict:
    """The version an append makes: the latest one with the fragment's data added to its data (as Ably
    shows it in history and rewind, an update)."""
    version = dict(fragment, action=MessageAction.UPDATE)
    version["data"] = latest.get("data", "") + fragment.get("data", "")
    return version


@dataclass
class Record:
    seq: int  # the event holding the original, so the record goes when it is pruned
    versions: list[dict]  # the original first, then each later version as history shows it
    annotations: list[dict] = field(default_factory=list)  # creates and deletes, in order
    summary: dict = field(default_factory=dict)

    @property
    def latest(self) -> dict:
        """The latest version with the latest summary: what history, rewind and GET show."""
        latest = self.versions[-1]
        return dict(latest, annotations={"summary": self.summary}) if self.summary else latest


@dataclass
class MessageRecords:
    records: dict = field(default_factory=dict)  # message serial -> Record

    def get(self, serial) -> Record | None:
        return self.records.get(serial) if isinstance(serial, str) else None

    def observe(self, seq: int, kind: str, items: list[dict]) -> None:
        """Fold one logged event in."""
        if kind == "annotation":
            for item in items:
                record = self.get(item.get("messageSerial"))
                if record is not None:
                    record.annotations.append(item)
            return
        if kind != "message":
            return
        for item in items:
            action = action_of(item)
            if action == MessageAction.CREATE:
                self.records[item["serial"]] = Record(seq, [item])
                continue
            record = self.get(item.get("serial"))
            if record is None:
                continue  # its original was pruned (or never logged here)
            if action == MessageAction.SUMMARY:
                record.summary = item.get("annotations", {}).get("summary", {})
            elif action == MessageAction.APPEND:
                record.versions.append(appended(record.versions[-1], item))
            elif action in (MessageAction.UPDATE, MessageAction.DELETE):
                record.versions.append(item)

    def forget(self, kind: str, items: list[dict]) -> None:
        """An event left the log: an original going takes its record with it."""
        if kind == "message":
            for item in items:
                if is_create(item):
                    self.records.pop(item.get("serial"), None)

    def latest(self, item: dict) -> dict:
        """What history shows in the place of an original: its latest version."""
        record = self.get(item.get("serial"))
        return record.latest if record is not None else item
