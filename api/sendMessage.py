"""POST /api/sendMessage: validate a chat message and publish it to the `chat` channel."""

from flask import request

from chat.publisher import PublishFailed, publish_chat_message
from chat.ratelimit import Rate, RateLimiter
from chat.validation import clean_message_id, clean_message_text, clean_username
from chat.web import client_ip, create_app, enforce, error_response, json_object_body

app = create_app(__name__)
# Well under Ably's 50 messages/s per channel; see chat/ratelimit.py for what "per instance" means.
per_ip = RateLimiter(Rate(burst=60, per_second=5))
per_user = RateLimiter(Rate(burst=10, per_second=1))


@app.post("/api/sendMessage", provide_automatic_options=False)
def send_message():
    enforce(per_ip, client_ip(request))
    body = json_object_body(request)
    username = clean_username(body.get("username"))
    text = clean_message_text(body.get("message"))
    message_id = clean_message_id(body.get("id"))
    # Names are not accounts: keyed with the IP too, so nobody can use up someone else's allowance.
    enforce(per_user, f"{client_ip(request)} {username.casefold()}")
    try:
        return publish_chat_message(username, text, message_id)
    except PublishFailed as error:
        return error_response(502, str(error))
