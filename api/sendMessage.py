"""POST /api/sendMessage {"message", "id"?}: publish a chat message as the session's user, in the
session's room. A `username` or `room` in the body must agree with the session."""

import functools

from flask import Blueprint, jsonify, request

from chat.messages import EVENT, outgoing_message
from chat.names import clean_name
from chat.rate_limits import SEND_PER_IP, SEND_PER_USER
from chat.rooms import channel_for, clean_room
from chat.sessions import check_agrees
from chat.validation import clean_message_id, clean_message_text
from chat.web import create_app, enforce, enforce_address, json_object_body, services, session_of

routes = Blueprint("send_message", __name__)


@routes.post("/api/sendMessage", provide_automatic_options=False)
def send_message():
    chat = services()
    enforce_address(SEND_PER_IP, request)
    body = json_object_body(request)  # a malformed request is a 400 whoever sends it
    text = clean_message_text(body.get("message"))
    browser_id = clean_message_id(body.get("id"))
    name = optional(body, "username", functools.partial(clean_name, lookalikes=False))
    room = optional(body, "room", clean_room)
    session = session_of(request)
    check_agrees(session, name=name, room=room)
    enforce(SEND_PER_USER, session.person)
    message_id, data = outgoing_message(session, text, browser_id)
    serial = chat.ably.publish(channel_for(session.room), EVENT, data, message_id)
    return jsonify(id=message_id, serial=serial, message=data)


def optional(body: dict, field: str, clean):
    return None if body.get(field) is None else clean(body[field], field)


app = create_app(routes)
