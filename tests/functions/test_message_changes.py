"""POST /api/editMessage, /api/deleteMessage and /api/react through Flask: what is refused before
Ably is asked, in-process. What Ably then does with them is tests/functions/test_mutable_messages.py."""

import pytest

from chat.message_changes import REACTIONS
from tests.functions.helpers import session_header, settings_with
from tests.support.http import assert_json_error

ENDPOINTS = {
    "api/editMessage.py": ("/api/editMessage", {"serial": "s-00000001", "message": "fixed"}),
    "api/deleteMessage.py": ("/api/deleteMessage", {"serial": "s-00000001"}),
    "api/react.py": ("/api/react", {"serial": "s-00000001", "reaction": "👍"}),
}


@pytest.fixture(params=sorted(ENDPOINTS))
def endpoint(request, function):
    path, valid = ENDPOINTS[request.param]
    return function(request.param), path, valid


def test_no_session_is_a_401(endpoint):
    client, path, valid = endpoint
    response = client.post(path, json=valid)
    assert_json_error(response, 401, mentions="session")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("serial", [None, "", 12, "a b", "x" * 129, "s/../..", ["s-1"], "s-1\n"])
def test_a_malformed_serial_is_a_400(endpoint, ana, serial):
    client, path, valid = endpoint
    assert_json_error(client.post(path, json={**valid, "serial": serial}, headers=ana), 400, field="serial")


def test_only_json_objects(endpoint, ana):
    client, path, _ = endpoint
    assert client.post(path, data="serial=1", content_type="text/plain", headers=ana).status_code == 415
    assert_json_error(client.post(path, json=["s-1"], headers=ana), 400, mentions="object")
    assert client.get(path, headers=ana).status_code == 405


@pytest.mark.parametrize("text", [None, "", "   ", "a" * 2001, "\n".join("x" * 41), "zero\u200bwidth", "\u202eevil"])
def test_an_edit_is_checked_like_a_new_message(function, ana, text):
    client = function("api/editMessage.py")
    response = client.post("/api/editMessage", json={"serial": "s-1", "message": text}, headers=ana)
    assert_json_error(response, 400, field="message")


@pytest.mark.parametrize("reaction", [None, "", "👎", "👍👍", "+1", "❤", ":thumbsup:", 1])
def test_a_reaction_outside_the_set_is_a_400(function, ana, reaction):
    response = function("api/react.py").post("/api/react", json={"serial": "s-1", "reaction": reaction}, headers=ana)
    assert_json_error(response, 400, field="reaction", mentions=REACTIONS[0])


@pytest.mark.parametrize("remove", ["yes", 1, None, {}])
def test_remove_is_true_or_false(function, ana, remove):
    body = {"serial": "s-1", "reaction": "👍", "remove": remove}
    assert_json_error(function("api/react.py").post("/api/react", json=body, headers=ana), 400, mentions="remove")


def test_the_set_holds_at_least_the_usual_six():
    assert {"👍", "❤️", "😂", "😮", "😢", "🎉"} <= set(REACTIONS)


def test_a_session_of_another_deployment_is_a_401(endpoint):
    client, path, valid = endpoint
    forged = session_header(settings_with(ABLY_API_KEY="other.key:another-secret"))
    assert_json_error(client.post(path, json=valid, headers=forged), 401)
