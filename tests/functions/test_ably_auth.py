"""GET /api/ably/auth through Flask, built as api/ably/auth.py builds it."""

import json
import subprocess
import sys
import time

import pytest
from ably.sync.types.tokenrequest import TokenRequest

from chat.ably_client import Ably
from chat.holders import Holders
from devtools import ROOT
from devtools.functions import load_function
from tests.functions.helpers import TEST_KEY, session_header, settings_with, unheld_session
from tests.support.http import assert_json_error


def mac_by_ably_python(token_request: dict, secret: str) -> str:
    """The signature as the official SDK computes it, from the same six fields."""
    signed = TokenRequest(
        key_name=token_request["keyName"],
        ttl=token_request["ttl"],
        capability=token_request["capability"],
        client_id=token_request["clientId"],
        timestamp=token_request["timestamp"],
        nonce=token_request["nonce"],
    )
    signed.sign_request(secret)
    return signed.mac


def test_returns_a_signed_token_request_for_the_sessions_user_and_room(function):
    settings = settings_with()
    client = function("api/ably/auth.py", settings)
    before = time.time() * 1000
    response = client.get("/api/ably/auth?rnd=123", headers=session_header(settings, "Ana", "team-a"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"  # ably-js needs it to read a TokenRequest
    assert response.headers["Cache-Control"] == "no-store"
    token_request = response.get_json()
    key_name, secret = TEST_KEY.split(":")
    assert token_request["keyName"] == key_name
    assert token_request["clientId"] == "Ana"
    assert token_request["ttl"] == 600_000  # the default, and the most: 10 minutes
    assert before - 1000 <= token_request["timestamp"] <= time.time() * 1000 + 1000
    assert len(token_request["nonce"]) >= 16
    assert token_request["mac"] == mac_by_ably_python(token_request, secret)
    capability = json.loads(token_request["capability"])
    assert list(capability) == ["chat:team-a"] and sorted(capability["chat:team-a"]) == [
        "history",
        "presence",
        "subscribe",
    ]
    assert secret not in response.get_data(as_text=True)


def test_the_default_room_keeps_the_seeds_channel(auth_client, ana):
    capability = json.loads(auth_client.get("/api/ably/auth", headers=ana).get_json()["capability"])
    assert capability == {"chat": ["history", "presence", "subscribe"]}  # as ably-python writes it: sorted


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer forged.session.value"}, {"Authorization": f"Basic {TEST_KEY}"}]
)
def test_without_a_valid_session_no_token(auth_client, headers):
    for query in ("", "?clientId=Ana"):
        assert_json_error(auth_client.get("/api/ably/auth" + query, headers=headers), 401)


@pytest.mark.parametrize(
    "query",
    [
        "?clientId=*",
        "?clientId=%2A",
        "?clientId=%20*%20",
        "?clientId=Ana*",
        "?clientId=%E2%80%8B",
        "?clientId=",
        "?clientId=a%0Ab",
    ],
)
def test_a_wildcard_or_malformed_client_id_is_a_400(auth_client, ana, query):
    """A `*` clientId would let the browser act as anyone (Ably's wildcard identity)."""
    for headers in (ana, {}):
        assert_json_error(auth_client.get("/api/ably/auth" + query, headers=headers), 400, field="clientId")


@pytest.mark.parametrize(
    "query, field",
    [
        ("?clientId=Bob", "clientId"),
        ("?clientId=ana", "clientId"),
        ("?clientId=%D0%90na", "clientId"),
        ("?room=team-b", "room"),
    ],
)
def test_a_query_that_disagrees_with_the_session_is_a_403(auth_client, ana, query, field):
    assert_json_error(auth_client.get("/api/ably/auth" + query, headers=ana), 403, field=field)


def test_a_query_that_agrees_is_fine(auth_client, ana):
    response = auth_client.get("/api/ably/auth?clientId=%20Ana%20&room=general", headers=ana)
    assert response.status_code == 200 and response.get_json()["clientId"] == "Ana"


def test_an_invalid_room_is_a_400(auth_client, ana):
    assert_json_error(auth_client.get("/api/ably/auth?room=chat:x", headers=ana), 400, field="room")


def test_the_token_lifetime_can_be_shortened(function):
    settings = settings_with(ABLY_TOKEN_TTL="120")
    response = function("api/ably/auth.py", settings).get("/api/ably/auth", headers=session_header(settings))
    assert response.get_json()["ttl"] == 120_000


def test_a_token_never_outlives_its_session(function):
    """Tokens are not revoked: a short life is what ends them, so one dies with its session."""
    settings = settings_with()
    token = unheld_session(settings, "Ana", claim="ana-claim")
    for minutes_on, most_ms in ((0, 600_000), (10, 300_000), (14, 60_000)):
        later = time.time() + minutes_on * 60
        Holders.shared(settings).take("general", "ana", "ana-claim", later)  # renewed then, while present
        client = function("api/ably/auth.py", settings, clock=lambda later=later: later)
        ttl_ms = client.get("/api/ably/auth", headers={"Authorization": f"Bearer {token}"}).get_json()["ttl"]
        assert most_ms - 5_000 <= ttl_ms <= most_ms


@pytest.mark.parametrize("ttl", ["0", "4", "601", "3600", "1.5", "ten", "\u00b2"])
def test_an_out_of_range_token_lifetime_is_named(monkeypatch, ttl):
    monkeypatch.setenv("ABLY_API_KEY", TEST_KEY)
    monkeypatch.setenv("ABLY_TOKEN_TTL", ttl)
    client = load_function("api/ably/auth.py").app.test_client()
    assert_json_error(client.get("/api/ably/auth"), 500, mentions="ABLY_TOKEN_TTL")


def test_every_token_request_is_fresh(auth_client, ana):
    first, second = (auth_client.get("/api/ably/auth", headers=ana).get_json() for _ in range(2))
    assert first["nonce"] != second["nonce"]


def test_the_capability_never_grants_publish(auth_client, ana):
    capability = json.loads(auth_client.get("/api/ably/auth", headers=ana).get_json()["capability"])
    assert all("publish" not in operations and "*" not in operations for operations in capability.values())
    assert list(capability) == ["chat"]


def test_names_the_local_endpoint_only_when_one_is_configured(function):
    for endpoint, expected in (
        (None, None),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("http://[::1]:8081", "http://[::1]:8081"),
    ):
        settings = settings_with(**({"ABLY_ENDPOINT": endpoint} if endpoint else {}))
        response = function("api/ably/auth.py", settings).get("/api/ably/auth", headers=session_header(settings))
        assert response.headers.get("X-Realtime-Endpoint") == expected


def test_only_get_is_allowed(auth_client, ana):
    response = auth_client.post("/api/ably/auth", headers=ana)
    assert_json_error(response, 405)
    assert "POST" not in response.headers["Allow"] and "GET" in response.headers["Allow"]


def test_a_malformed_key_is_named_but_never_shown(monkeypatch):
    monkeypatch.setenv("ABLY_API_KEY", "app.key-without-secret")
    client = load_function("api/ably/auth.py").app.test_client()
    error = assert_json_error(client.get("/api/ably/auth"), 500, mentions="ABLY_API_KEY")
    assert "key-without-secret" not in error["message"]


def test_a_wildcard_client_id_can_never_be_signed():
    ably = Ably(settings_with())
    for client_id in ("*", "Ana*", "*Ana"):
        with pytest.raises(ValueError):
            ably.token_request(client_id, "chat", 60)


def test_the_function_signs_with_the_sdk_and_never_loads_the_name_rules():
    """The token function checks a signature and has ably-python sign; the name rules (and their
    look-alike tables) are for claims only, so its cold start does not pay for them."""
    code = (
        "import os, sys; os.environ['ABLY_API_KEY'] = 'a.b:c'; from devtools.functions import load_function; "
        "load_function('api/ably/auth.py'); "
        "print(sorted(m for m in ('ably', 'regex', 'confusable_homoglyphs') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "['ably']"
