"""POST /api/session {"username", "room"}: claim a name in a room and get a session for it.
DELETE /api/session: the holder leaves, and lets go of the name at once.

The answer's `session` goes back as `Authorization: Bearer <session>` to /api/ably/auth and
/api/sendMessage. Sending the current session along renews it (same claim, fresh expiry).
"""

from flask import Blueprint, jsonify, request

from chat.claims import NameTaken, claim_name, release_name
from chat.limits import SESSION_PER_IP
from chat.names import clean_name
from chat.rooms import DEFAULT_ROOM, clean_room
from chat.sessions import RENEW_AFTER_S, SESSION_MAX_AGE_S, SessionInvalid
from chat.web import client_key, create_app, enforce, error_response, json_object_body, services

routes = Blueprint("session", __name__)


@routes.post("/api/session", provide_automatic_options=False)
def claim():
    chat = services()
    enforce(SESSION_PER_IP, client_key(request))
    body = json_object_body(request)
    name = clean_name(body.get("username"))
    room = clean_room(body.get("room", DEFAULT_ROOM))
    try:
        claim_id = claim_name(name, room, chat.ably, chat.limits, current=current_session())
    except NameTaken:
        return error_response(409, "that name is taken in this room right now; pick another", field="username")
    return jsonify(username=name, room=room, claim=claim_id, session=chat.sessions.issue(name, room, claim_id),
                   expiresIn=SESSION_MAX_AGE_S, renewIn=RENEW_AFTER_S)


@routes.delete("/api/session", provide_automatic_options=False)
def leave():
    chat = services()
    enforce(SESSION_PER_IP, client_key(request))
    session = chat.sessions.from_header(request.headers.get("Authorization"), max_age_s=None)
    release_name(session, chat.limits)
    return "", 204


def current_session():
    """The session the caller already holds, even an expired one, or None."""
    if not request.headers.get("Authorization"):
        return None
    try:
        return services().sessions.from_header(request.headers["Authorization"], max_age_s=None)
    except SessionInvalid:
        return None


app = create_app(routes)
