"""Claiming a name in a room: a name belongs to whoever claimed it while they are there.

"There" is Ably presence on the room's channel. A claim is refused while anybody else is present
under a look-alike of the name (chat/names.py), where "anybody else" means a member whose
presence data does not carry the claimant's own claim id: the page enters presence with it, so
the holder's other tabs and a reload are recognised as the holder.

Between a claim and the holder's presence there is a moment when the name looks free. A short
reservation (in Redis when REDIS_URL is set, so every instance sees it; otherwise in the
instance's memory) closes that window: only with Redis is it closed across instances.
"""

from chat.ably_client import Ably, Member
from chat.limits import Limits
from chat.names import check_visible, name_key
from chat.rooms import channel_for
from chat.sessions import Session, new_claim_id

# Long enough for the claimant's page to connect and enter presence, short enough that a name
# whose holder closed the tab right away is soon free again.
RESERVATION_S = 15


class NameTaken(Exception):
    """Someone else holds the name (or a look-alike of it) in the room."""


def claim_name(name: str, room: str, ably: Ably, limits: Limits, current: Session | None = None) -> str:
    """The claim id under which `name` is now held in `room`, or NameTaken.

    `current` is a session the caller already has, even an expired one: its claim id is
    kept, and the holder's own presence counts as theirs.
    """
    key = name_key(name)
    mine = current.claim if current and current.name == name and current.room == room else None
    holders = [member for member in ably.members(channel_for(room)) if name_key(member.client_id) == key]
    if any(mine is None or claim_of(member) != mine for member in holders):
        raise NameTaken(name)
    check_visible(name)  # only now, so that a disguised copy of a present name reads as taken
    claim = mine or new_claim_id()
    if not limits.reserve(_reservation(room, key), claim, RESERVATION_S):
        raise NameTaken(name)
    return claim


def release_name(session: Session, limits: Limits) -> None:
    """The holder leaves: the name is free as soon as their presence is gone."""
    limits.release(_reservation(session.room, name_key(session.name)), session.claim)


def _reservation(room: str, key: str) -> str:
    return f"{room}:{key}"


def claim_of(member: Member) -> str | None:
    data = member.data
    claim = data.get("claim") if isinstance(data, dict) else None
    return claim if isinstance(claim, str) else None
