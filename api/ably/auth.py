"""GET /api/ably/auth: an Ably TokenRequest for the session's user, in the session's room only.

The name and room come from the session (`Authorization: Bearer <session>`), accepted while its
claim holds the name; a `clientId` or `room` in the query must agree with it. The token lives no
longer than the session (chat.sessions.token_ttl_s).
"""

from flask import Blueprint, jsonify, request

from chat.names import clean_name
from chat.rate_limits import TOKEN_PER_IP
from chat.rooms import channel_for, clean_room
from chat.sessions import check_agrees, token_ttl_s
from chat.web import create_app, enforce_address, services, session_of

routes = Blueprint("ably_auth", __name__)


@routes.get("/api/ably/auth")
def ably_token_request():
    chat = services()
    enforce_address(TOKEN_PER_IP, request)
    asked_name = request.args.get("clientId")
    asked_room = request.args.get("room")
    asked_name = None if asked_name is None else clean_name(asked_name, field="clientId", lookalikes=False)
    asked_room = None if asked_room is None else clean_room(asked_room)
    session = session_of(request)
    if asked_name is not None and asked_name.replace("+", " ") == session.name.replace("+", " "):
        # ably-js form-encodes a space as "+", which `vercel dev` hands on as a literal plus.
        asked_name = session.name
    check_agrees(session, name=asked_name, room=asked_room, name_field="clientId")
    settings = chat.settings
    ttl_s = token_ttl_s(session, settings.browser_token_ttl_s, chat.clock())  # the token dies with the session
    response = jsonify(chat.ably.token_request(session.name, channel_for(session.room), ttl_s))
    if settings.ably_endpoint:
        # Tells the browser to connect to this local Ably-compatible service, not Ably's cloud.
        response.headers["X-Realtime-Endpoint"] = settings.ably_endpoint.url
    return response


app = create_app(routes)
