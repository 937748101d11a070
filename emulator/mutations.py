"""Updates, deletes and appends of published messages, shared by REST (`PATCH /channels/{name}/messages/{serial}`)
and realtime (a MESSAGE whose message has another action than `message.create`).

Each is allowed only on a channel with the mutable-messages rule, by credentials with the matching
`message-update-*` / `message-delete-*` capability; it is logged as a new event carrying the original's
serial and a `version` of its own, and delivered like any message. Pure domain code, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from .apps import App
from .auth import Credentials, operations_for
from .channels import Channel, check_size, clean_payload
from .errors import AblyError, bad_request, capability_denied, message_not_found, mutable_messages_disabled
from .message_records import CONTENT_FIELDS, MessageAction, Record
from .messaging import Fanout, effective_client_id
from .protocol import MAX_MESSAGE_SIZE

ACTIONS_BY_NAME = {
    "message.update": MessageAction.UPDATE,
    "message.delete": MessageAction.DELETE,
    "message.append": MessageAction.APPEND,
}
CHANGES = tuple(ACTIONS_BY_NAME.values())


def change_action(raw: dict) -> MessageAction | None:
    """The update, delete or append a message asks for; None for a plain publish (`message.create`)."""
    action = raw.get("action")
    if action in (None, 0, "message.create"):
        return None
    action = ACTIONS_BY_NAME.get(action, action)
    if isinstance(action, bool) or action not in CHANGES:
        raise bad_request(f"Invalid message action {raw.get('action')!r}", 40003)
    return MessageAction(action)


def mutable_channel(app: App, name: str) -> Channel:
    if not app.mutable(name):
        raise mutable_messages_disabled(name)
    return app.channel(name)


def existing_record(channel: Channel, serial) -> Record:
    record = channel.messages.get(serial)
    if record is None:
        raise message_not_found(serial)
    return record


def check_may_change(creds: Credentials, identity: str | None, channel_name: str, action, author) -> None:
    """`message-update-any` (or `-delete-any`) changes anyone's message, `-own` only the caller's; an
    append is a kind of update."""
    verb = "delete" if action == MessageAction.DELETE else "update"
    ops = operations_for(creds.capability, channel_name)
    if f"message-{verb}-any" in ops:
        return
    if f"message-{verb}-own" not in ops:
        raise capability_denied(f"message-{verb}-any", channel_name)
    if identity in (None, "*"):
        raise AblyError(
            40166,
            401,
            f"Unable to {verb} message: anonymous clients require the 'message-{verb}-any' capability "
            f"(they cannot have own messages, so 'message-{verb}-own' does not apply)",
        )
    if author != identity:
        raise AblyError(40160, 401, f"Action not permitted: 'message-{verb}-own' only allows your own messages")


def operation_version(raw, creds: Credentials, identity: str | None, now: int) -> dict:
    """A new version's `version` (its serial is given when it is logged): who changed it, why, when."""
    raw = raw if isinstance(raw, dict) else {}
    version: dict[str, object] = {"timestamp": now}
    client_id = effective_client_id(creds, identity, raw.get("clientId"))
    if client_id is not None:
        version["clientId"] = client_id
    description = raw.get("description")
    if description is not None:
        if not isinstance(description, str):
            raise bad_request("Invalid version description: expected a string", 40003)
        version["description"] = description
    metadata = raw.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise bad_request("Invalid version metadata: expected an object of strings", 40003)
        version["metadata"] = metadata
    return version


def changed_version(latest: dict, raw: dict, action: MessageAction, version: dict) -> dict:
    """The message an update or delete makes: the latest version with the fields given replaced, the
    others kept (a delete that gives no data keeps the data); an append carries just the added data."""
    content = clean_payload({k: raw[k] for k in CONTENT_FIELDS if k in raw}, CONTENT_FIELDS)
    item = {k: v for k, v in latest.items() if k != "version"}
    if action == MessageAction.APPEND:
        data = content.get("data")
        if content.get("encoding") or latest.get("encoding") or type(data) is not type(latest.get("data", "")):
            raise bad_request("An append must add plain text to text, or binary to binary", 40013)
        return dict(item, data=data, action=action, version=version)
    if "data" in content:
        item.pop("encoding", None)
    item.update(content)
    return dict(item, action=action, version=version)


@dataclass
class Mutations:
    fanout: Fanout

    def change(
        self,
        app: App,
        channel_name: str,
        raw: dict,
        creds: Credentials,
        identity: str | None,
        connection_id: str | None = None,
        max_size: int = MAX_MESSAGE_SIZE,
    ) -> str:
        """Update, delete or append to the message `raw['serial']`; the new version's serial."""
        action = change_action(raw)
        if action is None:
            raise bad_request("Expected an update, delete or append", 40003)
        channel = mutable_channel(app, channel_name)
        record = existing_record(channel, raw.get("serial"))
        check_may_change(creds, identity, channel_name, action, record.versions[0].get("clientId"))
        now = self.fanout.clock()
        version = operation_version(raw.get("version"), creds, identity, now)
        item = changed_version(record.versions[-1], raw, action, version)
        check_size([item], max_size)
        event = self.fanout.log_event(app, channel, "message", [item], connection_id)
        self.fanout.deliver(app, channel, event, sender=connection_id)
        return event.items[0]["version"]["serial"]
