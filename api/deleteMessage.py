"""POST /api/deleteMessage {"serial"}: delete one of the session's holder's messages in the session's
room. Ably keeps its place; its text is gone from what anybody reads."""

from flask import Blueprint, jsonify, request

from chat.message_changes import clean_serial, delete_message
from chat.rate_limits import SEND_PER_IP, SEND_PER_USER
from chat.web import create_app, enforce, enforce_address, json_object_body, services, session_of

routes = Blueprint("delete_message", __name__)


@routes.post("/api/deleteMessage", provide_automatic_options=False)
def delete():
    chat = services()
    enforce_address(SEND_PER_IP, request)
    serial = clean_serial(json_object_body(request).get("serial"))
    session = session_of(request)
    enforce(SEND_PER_USER, session.person)
    return jsonify(delete_message(chat.ably, session, serial))


app = create_app(routes)
