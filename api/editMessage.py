"""POST /api/editMessage {"serial", "message"}: replace the text of one of the session's holder's
messages in the session's room; a new version of it, which Ably shows in the original's place."""

from flask import Blueprint, jsonify, request

from chat.message_changes import clean_serial, edit_message
from chat.rate_limits import SEND_PER_IP, SEND_PER_USER
from chat.validation import clean_message_text
from chat.web import create_app, enforce, enforce_address, json_object_body, services, session_of

routes = Blueprint("edit_message", __name__)


@routes.post("/api/editMessage", provide_automatic_options=False)
def edit():
    chat = services()
    enforce_address(SEND_PER_IP, request)
    body = json_object_body(request)
    serial, text = clean_serial(body.get("serial")), clean_message_text(body.get("message"))
    session = session_of(request)
    enforce(SEND_PER_USER, session.person)  # an edit counts as a message sent
    return jsonify(edit_message(chat.ably, session, serial, text))


app = create_app(routes)
