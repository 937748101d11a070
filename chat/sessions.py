"""Name sessions: the signed, expiring proof that a browser holds a name in a room.

`POST /api/session` hands one out once the name is recorded as the claim's (see chat/claims.py
and chat/holders.py); the other functions take the user's name and room from it and from nothing
else, and accept it only while its claim is still the name's recorded holder. It is an
itsdangerous token signed with a key derived from ABLY_API_KEY's secret (or SESSION_SECRET).

Each claim gets a random id that stays the same when the session is renewed; it prefixes the
Ably ids of the holder's messages, so it is public and proves nothing. The session also carries
the name's look-alike key (chat.names.name_key), so that the functions that check it need not
load the confusables data.
"""

import hashlib
import hmac
import secrets
import time
import unicodedata
from typing import NamedTuple

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from chat.config import Settings

# Short, so that someone who has left cannot use an old session for long; the page renews it
# every few minutes while it is open (RENEW_AFTER_S, which the page reads from the response).
SESSION_MAX_AGE_S = 15 * 60
RENEW_AFTER_S = 5 * 60
# A session may be renewed for as long again after it expires (a laptop waking up); after that its
# holder claims the name afresh.
RENEWABLE_FOR_S = 2 * SESSION_MAX_AGE_S
# Ably's advice when tokens are not revoked: at most 10 minutes. A browser token also never outlives
# its session, so it dies with the claim (see chat/holders.py).
MAX_TOKEN_TTL_S = 10 * 60
_SALT = "chat.session.v1"


class SessionInvalid(Exception):
    """No session, or one that is forged or expired. The message says which."""


class SessionExpired(SessionInvalid):
    """A genuine session, but too old for what was asked."""


class NameReleased(SessionInvalid):
    """A genuine session whose claim no longer holds the name: somebody else has it, or it was let go."""

    reason = "name-released"

    def __init__(self):
        super().__init__("your name was released; pick it again")


class NotYours(Exception):
    """The request names someone, or some room, other than its session's."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field} {reason}")
        self.field = field


class Session(NamedTuple):
    name: str
    room: str
    claim: str  # the claim's id, the same across renewals
    issued_at: int  # seconds since the epoch
    key: str  # the name's look-alike key: which record of chat/holders.py is its claim's

    @property
    def person(self) -> str:
        """Whom per-person limits count: the name (by its key) in its room, not the claim, so leaving
        and claiming the name again earns no new allowance."""
        return f"{self.room}:{self.key}"


def new_claim_id() -> str:
    return secrets.token_urlsafe(12)


class Sessions:
    def __init__(self, settings: Settings, clock=time.time):
        secret = (
            settings.session_secret
            or hmac.new(settings.ably_key_secret.encode(), b"chat name sessions", hashlib.sha256).hexdigest()
        )
        # Signed on the same clock it is read by (a test's moved clock, say).
        signer = type("ClockedSigner", (TimestampSigner,), {"get_timestamp": lambda _: int(clock())})
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT, signer=signer)
        self._clock = clock

    def issue(self, name: str, room: str, claim: str, key: str) -> str:
        return self._serializer.dumps({"name": name, "room": room, "claim": claim, "key": key})

    def read(self, token: str, max_age_s: int | None = SESSION_MAX_AGE_S) -> Session:
        """The session in `token`, checking its signature and, unless max_age_s is None, its age."""
        try:
            payload, signed_at = self._serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise SessionInvalid("the session is not valid; claim a name again") from None
        try:
            session = Session(
                payload["name"], payload["room"], payload["claim"], int(signed_at.timestamp()), payload["key"]
            )
        except (TypeError, KeyError):
            raise SessionInvalid("the session is not valid; claim a name again") from None
        if max_age_s is not None and self._clock() - session.issued_at > max_age_s:
            raise SessionExpired("the session has expired; claim the name again")
        return session

    def from_header(self, authorization: str | None, max_age_s: int | None = SESSION_MAX_AGE_S) -> Session:
        """The session in an `Authorization: Bearer <session>` header."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SessionInvalid("a session is required: claim a name with POST /api/session")
        return self.read(token.strip(), max_age_s)


def token_ttl_s(session: Session, configured_s: int, now: float) -> int:
    """How long a browser token for `session` may live: ABLY_TOKEN_TTL, at most MAX_TOKEN_TTL_S, and
    never past the session's own expiry."""
    left = int(session.issued_at + SESSION_MAX_AGE_S - now)
    return max(1, min(configured_s, MAX_TOKEN_TTL_S, left))


def check_agrees(
    session: Session, name: str | None = None, room: str | None = None, name_field: str = "username"
) -> None:
    """A name or room a request states must be its session's own (None states nothing)."""
    if name is not None and unicodedata.normalize("NFC", name) != session.name:
        raise NotYours(name_field, "must be the name of your session")
    if room is not None and room != session.room:
        raise NotYours("room", "must be the room of your session")
