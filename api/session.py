"""POST /api/session {"username", "room"}: claim a name in a room and get a session for it.
DELETE /api/session: the holder leaves, and lets go of the name at once.

The answer's `session` goes back as `Authorization: Bearer <session>` to /api/ably/auth and
/api/sendMessage. Sending the current session along renews it (same claim, fresh expiry); one
issued more than RENEWABLE_FOR_S ago is a 401, and its holder claims afresh.
"""

from flask import Blueprint, jsonify, request

from chat.claims import NameTaken, claim_name, release_name
from chat.names import clean_name
from chat.rate_limits import SESSION_PER_IP
from chat.rooms import DEFAULT_ROOM, clean_room
from chat.sessions import RENEW_AFTER_S, RENEWABLE_FOR_S, SESSION_MAX_AGE_S, SessionExpired, SessionInvalid
from chat.web import create_app, enforce_address, error_response, json_object_body, services

routes = Blueprint("session", __name__)


@routes.post("/api/session", provide_automatic_options=False)
def claim():
    chat = services()
    enforce_address(SESSION_PER_IP, request)
    body = json_object_body(request)
    name = clean_name(body.get("username"))
    room = clean_room(body.get("room", DEFAULT_ROOM))
    try:
        claim_id, key = claim_name(name, room, chat.ably, chat.holders, chat.clock(), current=current_session())
    except NameTaken as taken:
        headers = {"Retry-After": str(taken.retry_after)} if taken.retry_after else {}
        if taken.present_as is not None:
            message = f"too close to someone here ('{taken.present_as}')"
            return error_response(409, message, field="username", holder=taken.present_as)
        return error_response(
            409, "that name is taken in this room right now; pick another", field="username", headers=headers
        )
    return jsonify(
        username=name,
        room=room,
        claim=claim_id,
        session=chat.sessions.issue(name, room, claim_id, key),
        expiresIn=SESSION_MAX_AGE_S,
        renewIn=RENEW_AFTER_S,
    )


@routes.delete("/api/session", provide_automatic_options=False)
def leave():
    chat = services()
    enforce_address(SESSION_PER_IP, request)
    session = chat.sessions.from_header(request.headers.get("Authorization"), max_age_s=None)
    release_name(session, chat.holders, chat.clock())
    return "", 204


def current_session():
    """The session the caller already holds, even an expired one, or None; one too old to renew is a 401."""
    if not request.headers.get("Authorization"):
        return None
    try:
        return services().sessions.from_header(request.headers["Authorization"], max_age_s=RENEWABLE_FOR_S)
    except SessionExpired:
        raise SessionExpired("the session is too old to renew; claim the name afresh") from None
    except SessionInvalid:
        return None


app = create_app(routes)
