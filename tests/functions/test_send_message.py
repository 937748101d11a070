"""POST /api/sendMessage through Flask, built as api/sendMessage.py builds it."""

import inspect
import json
import time

import pytest

from chat.sessions import SESSION_MAX_AGE_S
from devtools.functions import load_function
from tests.functions.helpers import TEST_SECRET, session_header, settings_with
from tests.support.http import assert_json_error

VALID = {"message": "hello", "id": "m-1"}


def post(client, body, headers, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/sendMessage", data=data, content_type=content_type, headers=headers)


def test_module_exposes_a_wsgi_app_at_the_full_path():
    module = load_function("api/sendMessage.py")
    params = [
        p
        for p in inspect.signature(module.app).parameters.values()
        if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    assert len(params) == 2  # what Vercel's runtime takes for WSGI
    assert module.__name__ == "api.sendMessage"
    assert {rule.rule for rule in module.app.url_map.iter_rules()} == {"/api/sendMessage"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic QW5hOmh1bnRlcjI="},
        {"Authorization": "Bearer not-a-session"},
        # A session signed with another deployment's key: forged, as far as this one knows.
        session_header(settings_with(ABLY_API_KEY="other.key:another-secret")),
        # Signed with the right key, but for somebody with SESSION_SECRET set differently.
        session_header(settings_with(SESSION_SECRET="s" * 40)),
    ],
)
def test_no_valid_session_is_a_401(send_client, headers):
    response = post(send_client, VALID, headers)
    assert_json_error(response, 401, mentions="session")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_expired_session_is_a_401(function):
    settings = settings_with()
    later = time.time() + SESSION_MAX_AGE_S + 5
    client = function("api/sendMessage.py", settings, clock=lambda: later)
    assert_json_error(post(client, VALID, session_header(settings)), 401, mentions="expired")


@pytest.mark.parametrize(
    "body, field",
    [
        ({**VALID, "username": "Bob"}, "username"),
        ({**VALID, "username": "ana"}, "username"),  # a look-alike is still someone else's name
        ({**VALID, "room": "other"}, "room"),
    ],
)
def test_a_body_that_disagrees_with_the_session_is_a_403(send_client, ana, body, field):
    assert_json_error(post(send_client, body, ana), 403, field=field)


@pytest.mark.parametrize(
    "body, mentions",
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ('["Ana", "hello"]', "JSON object"),
        ("null", "JSON object"),
        ('"hello"', "JSON object"),
        ("[" * 15000, "not valid JSON"),  # nested too deep for the parser
    ],
)
def test_body_must_be_a_json_object(send_client, ana, body, mentions):
    assert_json_error(post(send_client, body, ana), 400, mentions=mentions)


@pytest.mark.parametrize(
    "changes, field, mentions",
    [
        ({"username": 42}, "username", "string"),
        ({"username": "Ana\ud800"}, "username", "surrogate"),
        ({"room": "Not A Room!"}, "room", "a-z"),
        ({"room": "chat:a:b"}, "room", "a-z"),
        ({"message": None}, "message", "string"),
        ({"message": ["hi"]}, "message", "string"),
        ({"message": " \n\t "}, "message", "blank"),
        ({"message": "x" * 2001}, "message", "2000"),
        ({"message": "bell\u0007"}, "message", "control"),
        ({"message": "a\ud800b"}, "message", "surrogate"),  # a lone surrogate: not text at all
        ({"message": "abc \u202egnp.exe"}, "message", "bidirectional"),  # shows as "abc exe.png"
        ({"message": "\u2067isolated\u2069"}, "message", "bidirectional"),
        ({"id": 7}, "id", None),
        ({"id": ""}, "id", None),
        ({"id": "has space"}, "id", None),
        ({"id": "abc\n"}, "id", None),  # a final newline must not slip past the pattern
        ({"id": "x" * 129}, "id", None),
    ],
)
def test_each_invalid_field_is_named(send_client, ana, changes, field, mentions):
    body = {**VALID, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    assert_json_error(post(send_client, body, ana), 400, field=field, mentions=mentions)


def test_a_missing_message_is_named(send_client, ana):
    assert_json_error(post(send_client, {"id": "x"}, ana), 400, field="message")


def test_only_post_is_allowed(send_client):
    for method in ("get", "put", "delete", "patch", "options"):
        response = getattr(send_client, method)("/api/sendMessage")
        assert_json_error(response, 405)
        assert response.headers["Allow"] == "POST"


def test_other_paths_are_json_404s(send_client):
    assert_json_error(send_client.post("/api/other"), 404)
    assert_json_error(send_client.get("/static/x.txt"), 404)


def test_non_json_content_types_are_refused(send_client, ana):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        assert_json_error(post(send_client, json.dumps(VALID), ana, content_type=content_type), 415)
    assert_json_error(send_client.post("/api/sendMessage", data=json.dumps(VALID), headers=ana), 415)


def test_bodies_over_16_kib_are_refused(send_client, ana):
    body = {**VALID, "padding": "x" * (16 * 1024)}
    assert_json_error(post(send_client, body, ana), 413, mentions="16384")


@pytest.mark.parametrize(
    "environ, mentions",
    [
        ({"ABLY_API_KEY": "not-a-key-secretvalue123"}, "ABLY_API_KEY"),
        ({"ABLY_API_KEY": ""}, "ABLY_API_KEY is not set"),
        ({"ABLY_ENDPOINT": "localhost:8081"}, "ABLY_ENDPOINT"),
        ({"REDIS_URL": "http://user:secretvalue123@host"}, "REDIS_URL"),
        ({"SESSION_SECRET": "secretvalue123"}, "SESSION_SECRET"),
    ],
)
def test_a_misconfiguration_is_named_but_never_shown(monkeypatch, environ, mentions):
    """As Vercel loads the file: the app is made from the environment when the module loads."""
    monkeypatch.setenv("ABLY_API_KEY", "app.key:fine-secret")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    client = load_function("api/sendMessage.py").app.test_client()
    error = assert_json_error(post(client, VALID, {}), 500, mentions=mentions)
    assert "secretvalue123" not in json.dumps(error)


def test_an_unreachable_ably_is_a_502(function, closed_port):
    settings = settings_with(ABLY_ENDPOINT=f"http://127.0.0.1:{closed_port}")
    response = post(function("api/sendMessage.py", settings), VALID, session_header(settings))
    error = assert_json_error(response, 502, mentions="could not be reached")
    assert TEST_SECRET not in error["message"]


def test_a_malformed_request_is_a_400_with_or_without_a_session(send_client):
    for body, field in (({"message": "hi", "room": "chat:a:b"}, "room"), ({"message": ""}, "message")):
        assert_json_error(post(send_client, body, {}), 400, field=field)
