"""GET /api/ably/auth through Flask, loaded the way Vercel loads it."""

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time

import pytest

from tests.functions.conftest import TEST_KEY
from tests.functions.test_send_message import assert_json_error
from tests.support.functions import ROOT


def expected_mac(token_request: dict, secret: str) -> str:
    """Ably's TokenRequest signature, written out again here so the test does not trust the code under test."""
    lines = [token_request.get(name) for name in ("keyName", "ttl", "capability", "clientId", "timestamp", "nonce")]
    text = "".join(("" if value is None else str(value)) + "\n" for value in lines)
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def test_returns_a_signed_token_request_for_the_user(auth_client):
    before = time.time() * 1000
    response = auth_client.get("/api/ably/auth?clientId=%20Ana%20&rnd=123")
    assert response.status_code == 200
    assert response.mimetype == "application/json"  # ably-js needs it to read a TokenRequest
    assert response.headers["Cache-Control"] == "no-store"
    token_request = response.get_json()
    key_name, secret = TEST_KEY.split(":")
    assert token_request["keyName"] == key_name
    assert token_request["clientId"] == "Ana"
    assert token_request["ttl"] == 3_600_000
    assert before - 1000 <= token_request["timestamp"] <= time.time() * 1000 + 1000
    assert len(token_request["nonce"]) >= 16
    assert token_request["mac"] == expected_mac(token_request, secret)
    assert json.loads(token_request["capability"]) == {"chat": ["subscribe", "presence", "history"]}
    assert secret not in response.get_data(as_text=True)


def test_the_token_lifetime_can_be_shortened(auth_client, configure):
    configure(token_ttl="600")
    assert auth_client.get("/api/ably/auth?clientId=Ana").get_json()["ttl"] == 600_000


@pytest.mark.parametrize("ttl", ["0", "4", "3601", "1.5", "ten", "\u00b2"])
def test_an_out_of_range_token_lifetime_is_named(auth_client, configure, ttl):
    configure(token_ttl=ttl)
    assert_json_error(auth_client.get("/api/ably/auth?clientId=Ana"), 500, mentions="ABLY_TOKEN_TTL")


def test_every_token_request_is_fresh(auth_client):
    first, second = (auth_client.get("/api/ably/auth?clientId=Ana").get_json() for _ in range(2))
    assert first["nonce"] != second["nonce"]


def test_the_capability_never_grants_publish(auth_client):
    capability = json.loads(auth_client.get("/api/ably/auth?clientId=Ana").get_json()["capability"])
    assert all("publish" not in operations and "*" not in operations for operations in capability.values())
    assert list(capability) == ["chat"]


def test_names_the_local_endpoint_only_when_one_is_configured(auth_client, configure):
    assert "X-Realtime-Endpoint" not in auth_client.get("/api/ably/auth?clientId=Ana").headers
    configure(endpoint="http://127.0.0.1:8081")
    response = auth_client.get("/api/ably/auth?clientId=Ana")
    assert response.headers["X-Realtime-Endpoint"] == "http://127.0.0.1:8081"
    configure(endpoint="http://[::1]:8081")
    assert auth_client.get("/api/ably/auth?clientId=Ana").headers["X-Realtime-Endpoint"] == "http://[::1]:8081"


@pytest.mark.parametrize("query, mentions", [
    ("", "string"),
    ("?clientId=", "blank"),
    ("?clientId=%20%20", "blank"),
    ("?clientId=" + "x" * 33, "32"),
    ("?clientId=SERVER", "reserved"),
    ("?clientId=a%0Ab", "control"),
    ("?clientId=%E2%80%8B", "control"),
])
def test_invalid_client_ids_are_refused(auth_client, query, mentions):
    assert_json_error(auth_client.get("/api/ably/auth" + query), 400, field="clientId", mentions=mentions)


def test_only_get_is_allowed(auth_client):
    response = auth_client.post("/api/ably/auth?clientId=Ana")
    assert_json_error(response, 405)
    assert "POST" not in response.headers["Allow"] and "GET" in response.headers["Allow"]


def test_a_malformed_key_is_named_but_never_shown(auth_client, configure):
    configure(key="app.key-without-secret")
    error = assert_json_error(auth_client.get("/api/ably/auth?clientId=Ana"), 500, mentions="ABLY_API_KEY")
    assert "key-without-secret" not in error["message"]


def test_the_function_does_not_import_the_ably_sdk():
    """The auth function only signs; keeping the SDK out keeps its cold start short."""
    code = ("import sys; from tests.support.functions import load_function; "
            "load_function('api/ably/auth.py'); print('ably' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"
