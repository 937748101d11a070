"""Ably TokenRequests for browsers, signed with the API key without importing the Ably SDK.

Signing is a few lines of HMAC; doing it here keeps the token function's cold start to
Flask alone. The format follows Ably's token request spec: six fields, each followed
by a newline, signed with HMAC-SHA256 and the key's secret.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time

# Browsers may read and join their room but not publish: chat messages go through
# /api/sendMessage, where they are checked.
BROWSER_OPERATIONS = ["subscribe", "presence", "history"]


def sign_token_request(fields: dict, secret: str) -> str:
    text = "".join(
        f"{'' if fields.get(name) is None else fields[name]}\n"
        for name in ("keyName", "ttl", "capability", "clientId", "timestamp", "nonce")
    )
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def browser_token_request(key_name: str, secret: str, client_id: str, channel: str, ttl_s: int,
                          now_ms: int | None = None) -> dict:
    if "*" in client_id:  # a wildcard identity may act as anyone: never for a browser
        raise ValueError("a browser's clientId must not contain *")
    fields = {
        "keyName": key_name,
        "ttl": ttl_s * 1000,
        "capability": json.dumps({channel: BROWSER_OPERATIONS}, separators=(",", ":")),
        "clientId": client_id,
        "timestamp": int(time.time() * 1000) if now_ms is None else now_ms,
        "nonce": secrets.token_hex(16),
    }
    return {**fields, "mac": sign_token_request(fields, secret)}
