"""Candidate for the cold-start comparison: sendMessage's publish made with the standard library,
no Ably SDK and no httpx.

The same acknowledged, idempotent REST publish as publish_httpx.py, through urllib. It makes the
TLS context a publish to Ably needs, from certifi's CA bundle as httpx does, although the local
emulator speaks plain HTTP: that is a real part of a cold start.
"""

import base64
import json
import os
import ssl
import urllib.request

import certifi
from flask import Flask, request

app = Flask(__name__)
_tls: ssl.SSLContext | None = None


@app.post("/api/sendMessage")
def send_message():
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context(cafile=certifi.where())
    body = request.get_json()
    data = {"username": body["username"], "text": body["message"], "type": "message"}
    publish = urllib.request.Request(
        os.environ["ABLY_ENDPOINT"] + "/channels/chat/messages", method="POST",
        data=json.dumps({"name": "message", "id": body["id"], "data": json.dumps(data), "encoding": "json"}).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(os.environ["ABLY_API_KEY"].encode()).decode()})
    with urllib.request.urlopen(publish, timeout=5, context=_tls):  # an HTTP error status raises
        pass
    return {"id": body["id"], "message": data}
