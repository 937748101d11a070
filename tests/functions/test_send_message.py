"""POST /api/sendMessage through Flask, loaded the way Vercel loads it."""

import inspect
import json

import pytest

from tests.support.functions import load_function

VALID = {"username": "Ana", "message": "hello"}


def post(client, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/sendMessage", data=data, content_type=content_type)


def assert_json_error(response, status, field=None, mentions=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert error.get("field") == field
    if mentions:
        assert mentions in error["message"]
    return error


def test_module_exposes_a_wsgi_app_at_the_full_path():
    module = load_function("api/sendMessage.py")
    params = [p for p in inspect.signature(module.app).parameters.values()
              if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    assert len(params) == 2  # what Vercel's runtime takes for WSGI
    assert module.__name__ == "api.sendMessage"
    assert {rule.rule for rule in module.app.url_map.iter_rules()} >= {"/api/sendMessage"}


@pytest.mark.parametrize("body, mentions", [
    ("{not json", "not valid JSON"),
    ("", "not valid JSON"),
    ('["Ana", "hello"]', "JSON object"),
    ("null", "JSON object"),
    ('"hello"', "JSON object"),
    ("[" * 15000, "not valid JSON"),  # nested too deep for the parser
])
def test_body_must_be_a_json_object(send_client, body, mentions):
    assert_json_error(post(send_client, body), 400, mentions=mentions)


@pytest.mark.parametrize("changes, field, mentions", [
    ({"username": None}, "username", "string"),
    ({"username": 42}, "username", "string"),
    ({"username": "   "}, "username", "blank"),
    ({"username": "x" * 33}, "username", "32"),
    ({"username": "Server"}, "username", "reserved"),
    ({"username": "  sErVeR "}, "username", "reserved"),
    ({"username": "Ana\u0000"}, "username", "control"),
    ({"username": "An\u202ea"}, "username", "control"),  # right-to-left override
    ({"username": "\u200b"}, "username", "control"),  # zero-width space only
    ({"message": None}, "message", "string"),
    ({"message": ["hi"]}, "message", "string"),
    ({"message": " \n\t "}, "message", "blank"),
    ({"message": "x" * 2001}, "message", "2000"),
    ({"message": "bell\u0007"}, "message", "control"),
    ({"id": 7}, "id", None),
    ({"id": ""}, "id", None),
    ({"id": "has space"}, "id", None),
    ({"id": "x" * 129}, "id", None),
])
def test_each_invalid_field_is_named(send_client, changes, field, mentions):
    body = {**VALID, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    assert_json_error(post(send_client, body), 400, field=field, mentions=mentions)


def test_missing_fields_are_named(send_client):
    assert_json_error(post(send_client, {"message": "hi"}), 400, field="username")
    assert_json_error(post(send_client, {"username": "Ana"}), 400, field="message")


def test_only_post_is_allowed(send_client):
    for method in ("get", "put", "delete", "patch", "options"):
        response = getattr(send_client, method)("/api/sendMessage")
        assert_json_error(response, 405)
        assert response.headers["Allow"] == "POST"


def test_other_paths_are_json_404s(send_client):
    assert_json_error(send_client.post("/api/other"), 404)


def test_non_json_content_types_are_refused(send_client):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        assert_json_error(post(send_client, json.dumps(VALID), content_type=content_type), 415)
    assert_json_error(send_client.post("/api/sendMessage", data=json.dumps(VALID)), 415)


def test_bodies_over_16_kib_are_refused(send_client):
    body = {**VALID, "padding": "x" * (16 * 1024)}
    assert_json_error(post(send_client, body), 413, mentions="16384")


def test_a_malformed_key_is_named_but_never_shown(send_client, configure):
    configure(key="not-a-key-secretvalue123")
    error = assert_json_error(post(send_client, VALID), 500, mentions="ABLY_API_KEY")
    assert "secretvalue123" not in json.dumps(error)


def test_a_missing_key_is_reported(send_client, configure):
    configure(key=None)
    assert_json_error(post(send_client, VALID), 500, mentions="ABLY_API_KEY is not set")


def test_a_malformed_endpoint_is_named(send_client, configure):
    configure(endpoint="localhost:8081")
    assert_json_error(post(send_client, VALID), 500, mentions="ABLY_ENDPOINT")


def test_an_unreachable_ably_is_a_502(send_client, configure, closed_port):
    configure(endpoint=f"http://127.0.0.1:{closed_port}")
    error = assert_json_error(post(send_client, VALID), 502, mentions="could not be reached")
    assert "test-secret-value" not in error["message"]
