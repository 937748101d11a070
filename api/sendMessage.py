"""POST /api/sendMessage: validate a chat message and publish it to the `chat` channel."""

from flask import request

from chat.publisher import PublishFailed, publish_chat_message
from chat.validation import clean_message_id, clean_message_text, clean_username
from chat.web import create_app, error_response, json_object_body

app = create_app(__name__)


@app.post("/api/sendMessage", provide_automatic_options=False)
def send_message():
    body = json_object_body(request)
    username = clean_username(body.get("username"))
    text = clean_message_text(body.get("message"))
    message_id = clean_message_id(body.get("id"))
    try:
        return publish_chat_message(username, text, message_id)
    except PublishFailed as error:
        return error_response(502, str(error))
