"""A chat message as it goes out on the room's channel."""

import uuid
from datetime import UTC, datetime

from chat.sessions import Session

EVENT = "message"


def outgoing_message(
    session: Session, text: str, browser_id: str | None, now: datetime | None = None
) -> tuple[str, dict]:
    """The Ably message id and data of a message `session`'s holder sends.

    The id is the browser's own, prefixed with the claim's id: a retry with the same id is still
    published once, and nobody can reuse someone else's id to get their message dropped.
    """
    message_id = f"{session.claim}:{browser_id or uuid.uuid4()}"
    data = {"username": session.name, "text": text, "date": _utc_timestamp(now or datetime.now(UTC)), "type": "message"}
    return message_id, data


def _utc_timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
