"""Candidate for the cold-start comparison: sendMessage's publish made with httpx alone, no Ably SDK.

Hello-world Flask plus one REST publish, acknowledged (Ably answers 201 once it has the message)
and idempotent (the message id is ours), as api/sendMessage.py publishes through ably-python.
What it leaves out runs only when something fails: fallback hosts, retries, Ably's error body.
Basic auth, as with a key against Ably, where it would go over TLS.
"""

import json
import os

import httpx
from flask import Flask, request

app = Flask(__name__)
_client: httpx.Client | None = None


@app.post("/api/sendMessage")
def send_message():
    global _client
    if _client is None:
        key_name, secret = os.environ["ABLY_API_KEY"].split(":", 1)
        _client = httpx.Client(base_url=os.environ["ABLY_ENDPOINT"], auth=(key_name, secret), timeout=5)
    body = request.get_json()
    data = {"username": body["username"], "text": body["message"], "type": "message"}
    response = _client.post("/channels/chat/messages", json={
        "name": "message", "id": body["id"], "data": json.dumps(data), "encoding": "json"})
    response.raise_for_status()
    return {"id": body["id"], "message": data}
