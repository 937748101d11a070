"""Channel metadata (no I/O): a channel's occupancy as Ably reports it in `ChannelDetails`, and
the query that lists active channels (`GET /channels`)."""

from __future__ import annotations

from dataclasses import dataclass

from .messaging import Subscriber
from .protocol import Flag

MAX_LISTED = 1000
DEFAULT_LISTED = 100


def occupancy_metrics(subscribers: list[Subscriber], presence_members: int) -> dict:
    """A connection attached to a channel and to a derived view of it counts once, with the
    modes of both."""
    modes_by_connection: dict[str, Flag] = {}
    for sub in subscribers:
        modes_by_connection[sub.connection_id] = modes_by_connection.get(sub.connection_id, Flag(0)) | sub.modes

    def count(mode: Flag) -> int:
        return sum(1 for modes in modes_by_connection.values() if modes & mode)

    # Attached connections by what their modes let them do, in the order of Ably's example.
    return {
        "connections": len(modes_by_connection),
        "publishers": count(Flag.PUBLISH),
        "subscribers": count(Flag.SUBSCRIBE),
        "presenceConnections": count(Flag.PRESENCE),  # may enter presence, whether or not it has
        "presenceMembers": presence_members,
        "presenceSubscribers": count(Flag.PRESENCE_SUBSCRIBE),
        "objectPublishers": count(Flag.OBJECT_PUBLISH),
        "objectSubscribers": count(Flag.OBJECT_SUBSCRIBE),
    }


def channel_details(name: str, metrics: dict) -> dict:
    """The ChannelDetails of an active channel (the only kind the emulator describes)."""
    return {"channelId": name, "status": {"isActive": True, "occupancy": {"metrics": metrics}}}


@dataclass(frozen=True)
class ChannelQuery:
    """One page of `GET /channels`: names in order, after the cursor (the last name of the page
    before), so a channel active throughout a paging sequence is listed exactly once."""

    prefix: str = ""
    limit: int = DEFAULT_LISTED
    names_only: bool = False
    after: str | None = None

    def matches(self, name: str) -> bool:
        return name.startswith(self.prefix) and (self.after is None or name > self.after)
