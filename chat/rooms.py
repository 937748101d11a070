"""Rooms and the Ably channels they live on.

Every room is its own channel in the `chat:` namespace, so a capability for one room's channel
never reaches another's. The default room keeps the seed's channel, `chat`, so that the one
conversation there was before rooms existed (and its persisted history, if any) is still there.
"""

import re

from chat.validation import InvalidField

DEFAULT_ROOM = "general"
NAMESPACE = "chat"
ROOM_MAX_LENGTH = 40
# ASCII only: no look-alikes, nothing a URL needs to escape, and nothing that means something
# in an Ably channel name (":" namespaces, "[" qualifiers, "*" wildcards in capabilities).
_ROOM_PATTERN = re.compile(rf"[a-z0-9-]{{1,{ROOM_MAX_LENGTH}}}")


def clean_room(value: object, field: str = "room") -> str:
    """A room name as typed or linked, case-folded, or InvalidField."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    room = value.strip().lower() if value.isascii() else value
    if not _ROOM_PATTERN.fullmatch(room):
        raise InvalidField(field, f"must be 1-{ROOM_MAX_LENGTH} of a-z, 0-9 and -")
    return room


def channel_for(room: str) -> str:
    return NAMESPACE if room == DEFAULT_ROOM else f"{NAMESPACE}:{room}"


def room_for(channel: str) -> str | None:
    """The room a channel belongs to, or None for a channel that is no room's."""
    if channel == NAMESPACE:
        return DEFAULT_ROOM
    prefix, _, room = channel.partition(":")
    if prefix != NAMESPACE or not _ROOM_PATTERN.fullmatch(room) or room == DEFAULT_ROOM:
        return None
    return room
