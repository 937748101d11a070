"""Claiming a name in a room: who may take a name, and when its holder has lost it.

The record of who holds each name is the server's (chat/holders.py). "Here" is Ably presence on
the room's channel of a member whose name has the same look-alike key (chat/names.py), read by
this function; presence data is written by clients and decides nothing.

- A claim takes a name nobody holds a live lease on, unless somebody is present under it (a holder
  this instance has no record of, or one whose lease ran out while they stayed).
- A competing claim takes a held name once its holder has been away for ABSENCE_S: gone from
  presence since their last presence event in Ably's own history (a closed tab, a lost connection),
  or since they claimed or last renewed if that is later (a claimant who never showed up). A
  reload, a leave and an enter seconds apart, keeps the name.
- A renewal (the holder's own session) extends the lease only while its holder is present: a
  renewal from somebody who is not here keeps nothing a fresh claim would not get.
"""

import math

from chat.ably_client import Ably
from chat.holders import Holders
from chat.names import check_visible, name_key
from chat.rooms import channel_for
from chat.sessions import Session, new_claim_id

ABSENCE_S = 30  # long enough for a reload or a short network drop, short enough for a closed tab
PRESENCE_HISTORY = 1000  # presence events read to find when a holder was last here (typing updates too)


class NameTaken(Exception):
    """Someone else holds the name (or a look-alike of it) in the room; `retry_after` says when it may
    be free, if the holder has just gone; `present_as` is the name as shown of the member present under
    it (anyone in the room sees it anyway), never a name that is only held."""

    def __init__(self, name: str, retry_after: int | None = None, present_as: str | None = None):
        super().__init__(name)
        self.retry_after = retry_after
        self.present_as = present_as


def claim_name(
    name: str, room: str, ably: Ably, holders: Holders, now: float, current: Session | None = None
) -> tuple[str, str]:
    """(claim id, name key) under which `name` is now held in `room`, or NameTaken.

    `current` is a session the caller already holds, even an expired one: its claim id carries on.
    """
    key = name_key(name)
    mine = current.claim if current and current.name == name and current.room == room else None
    holder = holders.read(room, key)
    channel = channel_for(room)
    present = next((m.client_id for m in ably.members(channel) if name_key(m.client_id) == key), None)
    if holder is not None and holder.claim == mine:
        if present is None and holder.live(now):
            return mine, key  # not here (yet, or a reload): the lease runs on, unextended
    elif present is not None:
        raise NameTaken(name, present_as=present)
    elif holder is not None and holder.live(now):
        away_s = now - max(holder.since, last_seen(ably, channel, key))
        if away_s < ABSENCE_S:
            raise NameTaken(name, retry_after=math.ceil(ABSENCE_S - away_s))
    check_visible(name)  # only now, so that a disguised copy of a held name reads as taken
    claim = mine or new_claim_id()
    if not holders.take(room, key, claim, now, replacing=None if holder is None else holder.claim):
        raise NameTaken(name)  # another claim got there first
    return claim, key


def last_seen(ably: Ably, channel: str, key: str) -> float:
    """When anybody under `key` last entered, updated or left presence on `channel` (0: not lately)."""
    for event in ably.recent_presence(channel, limit=PRESENCE_HISTORY):  # newest first
        if name_key(event.client_id) == key:
            return event.timestamp_s
    return 0.0


def release_name(session: Session, holders: Holders, now: float) -> None:
    """The holder leaves: the name is free at once."""
    holders.release(session.room, session.key, session.claim, now)
