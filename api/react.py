"""POST /api/react {"serial", "reaction", "remove"?: true}: the session's holder reacts to a message of
the session's room with one of a fixed set of emoji, or takes the reaction back. One of each emoji
per person per message: reacting twice counts once."""

from flask import Blueprint, jsonify, request

from chat.message_changes import clean_reaction, clean_serial, react
from chat.rate_limits import REACT_PER_USER, SEND_PER_IP
from chat.web import BadRequest, create_app, enforce, enforce_address, json_object_body, services, session_of

routes = Blueprint("react", __name__)


@routes.post("/api/react", provide_automatic_options=False)
def react_to_message():
    chat = services()
    enforce_address(SEND_PER_IP, request)
    body = json_object_body(request)
    serial, reaction = clean_serial(body.get("serial")), clean_reaction(body.get("reaction"))
    remove = body.get("remove", False)
    if not isinstance(remove, bool):
        raise BadRequest("remove must be true or false")
    session = session_of(request)
    enforce(REACT_PER_USER, session.person)
    react(chat.ably, session, serial, reaction, remove)
    return jsonify(serial=serial, reaction=reaction, removed=remove)


app = create_app(routes)
