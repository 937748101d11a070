"""(b) The floor for sending: Flask, and ably-python's AblyRestSync made when the function loads;
each request's message is published as it comes, with no checks, limits or sessions."""

import os
from urllib.parse import urlsplit

from ably.sync import AblyRestSync
from ably.sync.types.message import Message
from flask import Flask, request

endpoint = urlsplit(os.environ["ABLY_ENDPOINT"]) if os.environ.get("ABLY_ENDPOINT") else None
# A local Ably-compatible service over plain HTTP is asked for tokens: Basic auth needs TLS in ably-python.
local = {"endpoint": endpoint.hostname, "port": endpoint.port, "tls": False, "use_token_auth": True} if endpoint else {}
ably = AblyRestSync(key=os.environ["ABLY_API_KEY"], **local)
app = Flask(__name__)


@app.post("/api/sendMessage")
def send_message():
    body = request.get_json()
    ably.channels.get("chat").publish(Message(name="message", data={"text": body["message"]}, id=body["id"]))
    return {"id": body["id"]}
