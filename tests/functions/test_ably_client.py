"""chat/ably_client.py through the real ably-python against the emulator (msgpack, as the SDK speaks
by default): publishing, presence, presence history, channel listing and batch presence with their
pages, TokenRequests, Ably's refusals with their codes, and bounded waits on a dead or hung host."""

import logging
import socket
import threading
import time
import uuid

import pytest
from ably.sync import AblyRestSync

from chat.ably_client import Ably, AblyFailed
from chat.config import Settings
from tests.functions.helpers import provision_app, session_header

BROWSER_BOUND_S = 15  # the page gives up on a request after this long


def sdk_reader(settings: Settings, **options) -> AblyRestSync:
    """An independent ably-python client, to check what the functions' client did."""
    endpoint = settings.ably_endpoint
    return AblyRestSync(
        key=settings.ably_key, endpoint=endpoint.host, port=endpoint.port, tls=False, use_token_auth=True, **options
    )


def test_a_publish_is_acknowledged_once_per_message_id_with_json_object_data(on_emulator):
    ably, channel, message_id = Ably(on_emulator), f"chat:pub-{uuid.uuid4().hex[:8]}", f"claim:{uuid.uuid4()}"
    for _ in range(2):
        ably.publish(channel, "message", {"username": "Ana", "text": "hi"}, message_id)
    stored = sdk_reader(on_emulator, use_binary_protocol=False).channels.get(channel).history().items
    assert [(m.id, m.name, m.data) for m in stored] == [(message_id, "message", {"username": "Ana", "text": "hi"})]


def test_members_and_recent_presence_newest_first(emulator):
    settings = provision_app(
        emulator, {"chat:here": [{"clientId": "Ana", "data": {"claim": "c1"}}, {"clientId": "Bo", "data": "plain"}]}
    )
    ably = Ably(settings)
    assert sorted((m.client_id, str(m.data)) for m in ably.members("chat:here")) == [
        ("Ana", "{'claim': 'c1'}"),
        ("Bo", "plain"),
    ]
    events = ably.recent_presence("chat:here")
    assert sorted(event.client_id for event in events) == ["Ana", "Bo"]
    assert {event.action for event in events} == {"enter"}
    assert all(abs(event.timestamp_s - time.time()) < 600 for event in events)
    assert [event.timestamp_s for event in events] == sorted((e.timestamp_s for e in events), reverse=True)
    assert ably.members("chat:nobody") == [] and ably.recent_presence("chat:nobody") == []


def test_listing_and_batch_presence_follow_every_page(emulator, caplog):
    channels = {f"chat:room-{index:02d}": [{"clientId": f"p{index}"}] for index in range(12)}
    ably = Ably(provision_app(emulator, channels))
    ably.page_size = 5  # three pages of channel names
    caplog.set_level(logging.INFO, logger="httpx")  # it names each request it makes
    listed = ably.active_channels("chat:")
    assert listed == sorted(channels)
    assert len([record for record in caplog.records if "/channels?" in record.getMessage()]) == 3
    members = ably.members_of(listed)
    assert {channel: [m.client_id for m in found] for channel, found in members.items()} == {
        channel: [spec[0]["clientId"]] for channel, spec in channels.items()
    }
    assert ably.members_of([]) == {}


def test_a_token_request_reads_its_room_and_nothing_else(on_emulator):
    ably = Ably(on_emulator)
    browser = AblyRestSync(
        auth_callback=lambda _params: ably.token_request("Ana", "chat:mine", 60),
        endpoint=on_emulator.ably_endpoint.host,
        port=on_emulator.ably_endpoint.port,
        tls=False,
    )
    assert browser.channels.get("chat:mine").presence.get().items == []
    for refused in (
        lambda: browser.channels.get("chat:mine").publish("message", "hi"),
        browser.channels.get("chat:other").presence.get,
    ):
        with pytest.raises(Exception, match="40160"):
            refused()
    with pytest.raises(ValueError):
        ably.token_request("Ana*", "chat:mine", 60)


def test_a_refusal_is_a_502_carrying_ablys_code(function, emulator):
    unknown_key = Settings.from_environment({"ABLY_API_KEY": "local.nobody:not-a-key", "ABLY_ENDPOINT": emulator.url})
    with pytest.raises(AblyFailed) as refused:
        Ably(unknown_key).members("chat")
    assert refused.value.code and 40000 <= refused.value.code < 50000
    client = function("api/sendMessage.py", unknown_key)
    response = client.post("/api/sendMessage", json={"message": "hi"}, headers=session_header(unknown_key))
    assert response.status_code == 502 and response.get_json()["error"]["code"] == refused.value.code


class HungHost:
    """Accepts connections and never answers, as a host that stalls mid-request."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self):
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def hung_port():
    host = HungHost()
    yield host.port
    host.close()


# A hung host is waited out to its timeout: slow.
@pytest.mark.parametrize("where", ["closed_port", pytest.param("hung_port", marks=pytest.mark.slow)])
def test_a_dead_or_hung_host_is_a_502_well_before_the_browser_gives_up(function, where, request):
    settings = Settings.from_environment(
        {"ABLY_API_KEY": "local.dev:any-secret", "ABLY_ENDPOINT": f"http://127.0.0.1:{request.getfixturevalue(where)}"}
    )
    calls = {
        "publish": lambda: function("api/sendMessage.py", settings).post(
            "/api/sendMessage", json={"message": "hi"}, headers=session_header(settings)
        ),
        "rooms": lambda: function("api/rooms.py", settings).get("/api/rooms"),
    }
    for what, call in calls.items():
        started = time.monotonic()
        response = call()
        waited = time.monotonic() - started
        print(f"\n{where}, {what}: {response.status_code} after {waited:.2f} s")
        assert response.status_code == 502 and "could not be reached" in response.get_json()["error"]["message"]
        assert waited < BROWSER_BOUND_S
