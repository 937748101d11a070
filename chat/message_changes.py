"""Changing a chat message after it was sent: its author edits or deletes it, anybody reacts to it.

Ably keeps each message's versions under its `serial` (the mutable-messages channel rule): an edit
or a delete publishes a new version in the original's place, and reactions are annotations that
Ably sums up per message. Only the author may edit or delete: the author is whoever holds the claim
whose id prefixes the message's id (chat/messages.py, and each edit's version records it again),
under the name the message carries. A delete
replaces the data with one whose text is empty, so the text is gone from what Ably serves as the
message; no function here reads older versions back.
"""

import re

from ably.sync.types.annotation import Annotation
from ably.sync.types.message import Message, MessageAction
from ably.sync.types.operations import MessageOperation

from chat.ably_client import Ably
from chat.messages import EVENT
from chat.rooms import channel_for
from chat.sessions import Session
from chat.validation import InvalidField

SERIAL_MAX_LENGTH = 128
# Ably's serials (`01726232498871-001@e-0ld2drOT3Y:001`) and the emulator's (`<epoch>-00000012`).
_SERIAL_PATTERN = re.compile(rf"[A-Za-z0-9@:._\-]{{1,{SERIAL_MAX_LENGTH}}}")
# One of each per person per message: Ably's distinct summary counts each clientId once per emoji.
REACTION_TYPE = "reaction:distinct.v1"
REACTIONS = ("👍", "❤️", "😂", "😮", "😢", "🎉")


class MessageNotFound(Exception):
    def __init__(self):
        super().__init__("there is no message with that serial in this room")


class NotTheAuthor(Exception):
    def __init__(self, verb: str):
        super().__init__(f"only the author of a message may {verb} it")


def clean_serial(value: object, field: str = "serial") -> str:
    if not isinstance(value, str) or not _SERIAL_PATTERN.fullmatch(value):
        raise InvalidField(field, f"must be a message serial: 1-{SERIAL_MAX_LENGTH} of A-Z a-z 0-9 @ : . _ -")
    return value


def clean_reaction(value: object, field: str = "reaction") -> str:
    if value not in REACTIONS:
        raise InvalidField(field, f"must be one of {' '.join(REACTIONS)}")
    return value


def edit_message(ably: Ably, session: Session, serial: str, text: str) -> dict:
    """Replace the text of `session`'s holder's message; the new version, as the page shows it."""
    original = _own_message(ably, session, serial, "edit")
    data = {**original.data, "text": text}
    version = _change(ably, session, original, data, "edit")
    return {"serial": serial, "version": version, "message": data}


def delete_message(ably: Ably, session: Session, serial: str) -> dict:
    """Delete `session`'s holder's message: its data keeps who wrote it and when, and an empty text.

    The data is always given in full: Ably's update and delete patch the latest version, so a delete
    that left `data` out would keep the text."""
    original = _own_message(ably, session, serial, "delete")
    data = {key: original.data[key] for key in ("username", "date", "type") if key in original.data}
    data["text"] = ""
    version = _change(ably, session, original, data, "delete")
    return {"serial": serial, "version": version}


def react(ably: Ably, session: Session, serial: str, reaction: str, remove: bool) -> None:
    """Add `session`'s holder's `reaction` to a message of the room, or take it back."""
    channel = channel_for(session.room)
    if _readable(ably.get_message(channel, serial)) is None:
        raise MessageNotFound()
    annotation = Annotation(type=REACTION_TYPE, name=reaction, client_id=session.name)
    ably.annotate(channel, serial, annotation, remove=remove)


def _own_message(ably: Ably, session: Session, serial: str, verb: str) -> Message:
    message = _readable(ably.get_message(channel_for(session.room), serial))
    if message is None:
        raise MessageNotFound()
    if _claim_of(message) != session.claim or message.data.get("username") != session.name:
        raise NotTheAuthor(verb)
    return message


def _claim_of(message: Message) -> str | None:
    """The claim the message was sent under: its id's prefix, and once edited the one its version
    records (only the functions publish, so both are ours)."""
    if message.action == MessageAction.MESSAGE_UPDATE:
        return ((message.version and message.version.metadata) or {}).get("claim")
    claim, separator, _ = (message.id or "").partition(":")
    return claim if separator else None


def _readable(message: Message | None) -> Message | None:
    """A chat message that is still there to change: one of ours, not deleted."""
    if message is None or message.name != EVENT or not isinstance(message.data, dict):
        return None
    return None if message.action == MessageAction.MESSAGE_DELETE else message


def _change(ably: Ably, session: Session, original: Message, data: dict, verb: str) -> str | None:
    """Publish the next version; the version records who made it and what it was."""
    message = Message(name=EVENT, data=data, serial=original.serial)
    operation = MessageOperation(client_id=session.name, description=verb, metadata={"claim": session.claim})
    return ably.update_message(channel_for(session.room), message, operation, delete=verb == "delete")
