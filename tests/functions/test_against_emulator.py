"""Both functions against the local Ably emulator, checked with the official ably-python client."""

import json
import uuid

import pytest
from ably.sync.util.exceptions import AblyException
from ably.sync.rest.rest import AblyRestSync

from tests.functions.test_send_message import post
from tests.support.emulator import running_emulator


@pytest.fixture(scope="module")
def emulator():
    with running_emulator() as running:
        yield running


@pytest.fixture
def on_emulator(configure, emulator):
    configure(key=emulator.key, endpoint=emulator.url)
    return emulator


def rest_client(emulator, **options) -> AblyRestSync:
    """A REST client of the emulator; with no auth option given, the emulator's key."""
    if "auth_callback" not in options:
        options.update(key=emulator.key, use_token_auth=True)  # Basic auth needs TLS in ably-python
    return AblyRestSync(endpoint=emulator.host, port=emulator.port, tls=False, **options)


def history_by_id(emulator) -> dict:
    page = rest_client(emulator).channels.get("chat").history(limit=1000)
    return {message.id: message for message in page.items}


def test_a_sent_message_is_published_with_its_id(send_client, on_emulator):
    message_id = str(uuid.uuid4())
    response = post(send_client, {"username": " Ana ", "message": " hello <b>all</b> ", "id": message_id})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == message_id
    stored = history_by_id(on_emulator)[message_id]
    assert stored.name == "message"
    assert stored.data == body["message"]
    assert stored.data["username"] == "Ana" and stored.data["text"] == "hello <b>all</b>"
    assert stored.data["type"] == "message" and stored.data["date"].endswith("Z")


def test_without_an_id_the_server_assigns_one(send_client, on_emulator):
    response = post(send_client, {"username": "Bo", "message": "no id"})
    assert response.status_code == 200
    assert response.get_json()["id"] in history_by_id(on_emulator)


def test_a_retried_send_is_published_once(send_client, on_emulator):
    message_id = str(uuid.uuid4())
    for _ in range(3):
        assert post(send_client, {"username": "Ana", "message": "once", "id": message_id}).status_code == 200
    page = rest_client(on_emulator).channels.get("chat").history(limit=1000)
    assert [m.id for m in page.items].count(message_id) == 1


def test_a_refused_publish_is_a_502_without_the_key(send_client, configure, emulator):
    wrong_secret = emulator.key.split(":")[0] + ":not-the-secret"
    configure(key=wrong_secret, endpoint=emulator.url)
    response = post(send_client, {"username": "Ana", "message": "hi"})
    assert response.status_code == 502
    message = response.get_json()["error"]["message"]
    assert "refused" in message and "not-the-secret" not in message


def token_from_auth_function(auth_client, emulator, client_id="Ana"):
    """Use the function's TokenRequest as a browser would, through the SDK's auth callback."""
    def auth_callback(_params):
        return auth_client.get(f"/api/ably/auth?clientId={client_id}").get_json()
    return rest_client(emulator, auth_callback=auth_callback)


def test_the_token_request_is_accepted_and_cannot_publish(auth_client, on_emulator):
    browser = token_from_auth_function(auth_client, on_emulator)
    token = browser.auth.authorize()
    assert token.client_id == "Ana"
    assert {name: sorted(ops) for name, ops in json.loads(str(token.capability)).items()} == \
        {"chat": ["history", "presence", "subscribe"]}
    channel = browser.channels.get("chat")
    channel.history(limit=1)  # allowed
    with pytest.raises(AblyException) as refused:
        channel.publish("message", {"username": "Ana", "text": "forged", "type": "notification"})
    assert refused.value.code == 40160
    with pytest.raises(AblyException) as elsewhere:
        browser.channels.get("other").history()
    assert elsewhere.value.code == 40160


def test_a_tampered_token_request_is_refused(auth_client, on_emulator):
    def auth_callback(_params):
        token_request = auth_client.get("/api/ably/auth?clientId=Ana").get_json()
        return {**token_request, "clientId": "Someone-else"}
    browser = rest_client(on_emulator, auth_callback=auth_callback)
    with pytest.raises(AblyException) as refused:
        browser.auth.authorize()
    assert refused.value.status_code == 401
