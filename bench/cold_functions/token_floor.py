"""(b') The floor for tokens: Flask, and ably-python's AblyRestSync made when the function loads,
answering each request with a TokenRequest from `auth.create_token_request`, with no checks,
limits or sessions."""

import os
from urllib.parse import urlsplit

from ably.sync import AblyRestSync
from flask import Flask, request

# Made as the sending floor makes it; signing needs only the key, no request to Ably.
endpoint = urlsplit(os.environ["ABLY_ENDPOINT"]) if os.environ.get("ABLY_ENDPOINT") else None
local = {"endpoint": endpoint.hostname, "port": endpoint.port, "tls": False, "use_token_auth": True} if endpoint else {}
ably = AblyRestSync(key=os.environ["ABLY_API_KEY"], **local)
app = Flask(__name__)


@app.get("/api/ably/auth")
def token():
    client_id = request.args.get("clientId", "probe")
    signed = ably.auth.create_token_request({"client_id": client_id, "capability": {"chat": ["subscribe"]}})
    return signed.to_dict()
