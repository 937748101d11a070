"""The lobby (GET /api/rooms) with many rooms, and when Ably fails: 500 occupied rooms entered for
real over ably-python realtime connections, listed in pages, their presence asked at most 100
channels a request; a failed refresh serves the last good list marked stale."""

import asyncio
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from ably import AblyRealtime

from chat.ably_client import BATCH_PRESENCE_CHANNELS, Ably
from chat.lobby import CACHE_S, Lobby
from chat.web import create_app
from devtools.emulator import running_emulator
from devtools.functions import load_function
from tests.functions.helpers import provision_app, settings_with

ROOMS = 500
CHANNELS_PER_CONNECTION = 200  # Ably's default cap on one connection


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def occupy(emulator, rooms: list[str]) -> list[AblyRealtime]:
    """Real members: room i gets one person, every tenth room a second one (one person per connection,
    each in up to 200 rooms, as a clientId may be present in many channels)."""
    clients = []
    for first in range(0, len(rooms), CHANNELS_PER_CONNECTION):
        for person in ("ann", "bo"):
            client = AblyRealtime(
                key=emulator.key, endpoint=f"{emulator.host}:{emulator.port}", tls=False, client_id=f"{person}-{first}"
            )
            clients.append(client)
            await asyncio.wait_for(client.connection.once_async("connected"), 10)
            batch = rooms[first : first + CHANNELS_PER_CONNECTION]
            batch = batch if person == "ann" else batch[::10]
            await asyncio.wait_for(
                asyncio.gather(*(client.channels.get(f"chat:{room}").presence.enter() for room in batch)), 60
            )
    return clients


def presence_requests(records) -> list[list[str]]:
    """The channels of each batch presence request, from httpx's INFO lines."""
    requests = []
    for record in records:
        if match := re.search(r"GET (\S+/presence\?\S+) ", record.getMessage()):
            requests.append(parse_qs(urlsplit(match[1]).query)["channels"][0].split(","))
    return requests


@pytest.mark.slow  # 500 rooms of ably-python clients
async def test_five_hundred_occupied_rooms_are_listed_and_counted(emulator, caplog):
    rooms = [f"room-{index:03d}" for index in range(ROOMS)]
    clients = await occupy(emulator, rooms)
    try:
        settings = settings_with(ABLY_API_KEY=emulator.key, ABLY_ENDPOINT=emulator.url)
        ably = Ably(settings)
        ably.page_size = 200  # the listing takes three pages
        app = create_app(load_function("api/rooms.py").routes, settings=settings, ably=ably)
        caplog.set_level(logging.INFO, logger="httpx")
        response = await asyncio.to_thread(app.test_client().get, "/api/rooms")
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    assert response.status_code == 200, response.get_json()
    listed = {entry["room"]: entry["people"] for entry in response.get_json()["rooms"]}
    assert listed == {room: 2 if index % 10 == 0 else 1 for index, room in enumerate(rooms)}
    assert "stale" not in response.get_json()
    batches = presence_requests(caplog.records)
    assert len(batches) == 5 and all(len(batch) <= BATCH_PRESENCE_CHANNELS for batch in batches)
    assert sorted(channel for batch in batches for channel in batch) == [f"chat:{room}" for room in rooms]


def test_a_failed_refresh_serves_the_last_good_list_marked_stale():
    clock = Clock()
    with running_emulator() as emulator:
        settings = provision_app(emulator, {"chat:team-a": [{"clientId": "Ana"}, {"clientId": "Bo"}]})
        lobby = Lobby(Ably(settings), clock=clock)
        app = create_app(load_function("api/rooms.py").routes, settings=settings)
        app.extensions["lobby"] = lobby
        good = app.test_client().get("/api/rooms")
    assert good.status_code == 200 and "stale" not in good.get_json()
    assert good.get_json()["rooms"] == [{"room": "team-a", "people": 2}]
    clock.now += CACHE_S  # the list is due for a refresh, and Ably is gone
    stale = app.test_client().get("/api/rooms")
    assert stale.status_code == 200
    assert stale.get_json() == {**good.get_json(), "stale": True}


def test_without_a_good_list_a_failure_is_a_502(function, closed_port):
    settings = settings_with(ABLY_ENDPOINT=f"http://127.0.0.1:{closed_port}")
    response = function("api/rooms.py", settings).get("/api/rooms")
    assert response.status_code == 502


@pytest.fixture(autouse=True)
def quiet_sdk():
    """ably-python's realtime client is chatty at INFO; these tests only read httpx's lines."""
    sdk = logging.getLogger("ably")
    level, sdk.level = sdk.level, logging.WARNING
    yield
    sdk.setLevel(level)
