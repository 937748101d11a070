"""The functions against the local Ably emulator, checked with the official ably-python client."""

import json
import uuid

import pytest
from ably.sync.rest.rest import AblyRestSync
from ably.sync.util.exceptions import AblyException

from chat.config import Settings
from tests.functions.helpers import session_header


def rest_client(emulator, **options) -> AblyRestSync:
    """A REST client of the emulator; with no auth option given, the emulator's key."""
    if "auth_callback" not in options:
        options.update(key=emulator.key, use_token_auth=True)  # Basic auth needs TLS in ably-python
    return AblyRestSync(endpoint=emulator.host, port=emulator.port, tls=False, **options)


def history_by_id(emulator, channel="chat") -> dict:
    page = rest_client(emulator).channels.get(channel).history(limit=1000)
    return {message.id: message for message in page.items}


@pytest.fixture
def sender(function, on_emulator, unlimited):
    client = function("api/sendMessage.py", on_emulator, limits=unlimited)

    def send(body, name="Ana", room="general", claim="claim-ana"):
        return client.post("/api/sendMessage", json=body, headers=session_header(on_emulator, name, room, claim))

    return send


def test_a_sent_message_is_published_as_the_sessions_user(sender, emulator):
    browser_id = str(uuid.uuid4())
    response = sender({"message": " hello <b>all</b> ", "id": browser_id})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == f"claim-ana:{browser_id}"
    stored = history_by_id(emulator)[body["id"]]
    assert stored.name == "message"
    assert stored.data == body["message"]
    assert stored.data["username"] == "Ana" and stored.data["text"] == "hello <b>all</b>"
    assert stored.data["type"] == "message" and stored.data["date"].endswith("Z")
    assert body["serial"] and body["serial"] == stored.serial


def test_each_room_publishes_on_its_own_channel(sender, emulator):
    body = sender({"message": "in team a", "id": "a1"}, room="team-a").get_json()
    assert body["id"] in history_by_id(emulator, "chat:team-a")
    assert body["id"] not in history_by_id(emulator, "chat")


def test_without_an_id_the_server_assigns_one(sender, emulator):
    response = sender({"message": "no id"}, name="Bo", claim="claim-bo")
    assert response.status_code == 200
    assert response.get_json()["id"] in history_by_id(emulator)


def test_a_retried_send_is_published_once(sender, emulator):
    browser_id = str(uuid.uuid4())
    for _ in range(3):
        assert sender({"message": "once", "id": browser_id}).status_code == 200
    page = rest_client(emulator).channels.get("chat").history(limit=1000)
    assert [m.id for m in page.items].count(f"claim-ana:{browser_id}") == 1


def test_someone_elses_id_does_not_swallow_your_message(sender, emulator):
    """Ana and Bo pick the same browser id (by chance, or Bo copied it): both messages arrive."""
    browser_id = str(uuid.uuid4())
    ana = sender({"message": "from Ana", "id": browser_id}).get_json()
    bo = sender({"message": "from Bo", "id": browser_id}, name="Bo", claim="claim-bo").get_json()
    stored = history_by_id(emulator)
    assert stored[ana["id"]].data["text"] == "from Ana" and stored[bo["id"]].data["text"] == "from Bo"


def test_a_refused_publish_is_a_502_without_the_key(function, emulator):
    wrong = Settings.from_environment(
        {"ABLY_API_KEY": emulator.key.split(":")[0] + ":not-the-secret", "ABLY_ENDPOINT": emulator.url}
    )
    response = function("api/sendMessage.py", wrong).post(
        "/api/sendMessage", json={"message": "hi"}, headers=session_header(wrong)
    )
    assert response.status_code == 502
    message = response.get_json()["error"]["message"]
    assert "refused" in message and "not-the-secret" not in message


def browser_client(function, settings, emulator, room="general", name="Ana"):
    """ably-python as a browser would use the function: TokenRequests through an auth callback."""
    auth = function("api/ably/auth.py", settings)
    headers = session_header(settings, name, room)
    return rest_client(emulator, auth_callback=lambda _params: auth.get("/api/ably/auth", headers=headers).get_json())


def test_the_token_request_is_accepted_and_cannot_publish(function, on_emulator, emulator):
    browser = browser_client(function, on_emulator, emulator)
    token = browser.auth.authorize()
    assert token.client_id == "Ana"
    assert {name: sorted(ops) for name, ops in json.loads(str(token.capability)).items()} == {
        "chat": ["history", "presence", "subscribe"]
    }
    channel = browser.channels.get("chat")
    channel.history(limit=1)  # allowed
    with pytest.raises(AblyException) as refused:
        channel.publish("message", {"username": "Ana", "text": "forged", "type": "notification"})
    assert refused.value.code == 40160
    for elsewhere in ("other", "chat:team-a", "[meta]chat"):
        with pytest.raises(AblyException) as outside:
            browser.channels.get(elsewhere).history()
        assert outside.value.code == 40160, elsewhere


def test_a_token_for_one_room_reads_no_other(function, on_emulator, emulator):
    browser = browser_client(function, on_emulator, emulator, room="team-a")
    browser.channels.get("chat:team-a").history(limit=1)
    for elsewhere in ("chat", "chat:team-b", "chat:team-a:x", "chat:*"):
        with pytest.raises(AblyException) as outside:
            browser.channels.get(elsewhere).history()
        assert outside.value.code == 40160, elsewhere


def test_a_tampered_token_request_is_refused(function, on_emulator, emulator):
    auth = function("api/ably/auth.py", on_emulator)
    headers = session_header(on_emulator)

    def auth_callback(_params):
        return {**auth.get("/api/ably/auth", headers=headers).get_json(), "clientId": "Someone-else"}

    with pytest.raises(AblyException) as refused:
        rest_client(emulator, auth_callback=auth_callback).auth.authorize()
    assert refused.value.status_code == 401
