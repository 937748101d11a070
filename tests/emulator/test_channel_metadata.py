"""Channel enumeration (`GET /channels`), channel status and batch presence through ably-python,
with ably-python realtime clients making channels active (JSON and msgpack)."""

import asyncio
import time
import uuid

import httpx
import msgpack
import pytest
from ably import AblyRealtime
from ably.sync import AblyRestSync
from ably.sync.util.exceptions import AblyException

from chat.ably_client import Ably
from chat.config import Endpoint, Settings
from tests.support.http import basic_auth

from .helpers import CHANNEL_CLOSE_DELAY_S

# How long past the close delay a channel may take to drop out on a busy machine.
MARGIN_S = 5


def rest(emulator, **options) -> AblyRestSync:
    return AblyRestSync(
        key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True, **options
    )


def restricted(emulator, capability: dict, **options) -> AblyRestSync:
    return rest(emulator, default_token_params={"capability": capability}, **options)


async def realtime(emulator, **options) -> AblyRealtime:
    client = AblyRealtime(key=emulator.key, endpoint=f"{emulator.host}:{emulator.port}", tls=False, **options)
    await asyncio.wait_for(client.connection.once_async("connected"), 5)
    return client


@pytest.fixture
def prefix(request):
    """A prefix no other test's channels start with, as they share the emulator."""
    return f"meta-{uuid.uuid4().hex[:8]}"


def listing(client: AblyRestSync, version="3", **params):
    return client.request("GET", "/channels", version, params)


def every_page(client: AblyRestSync, version="3", **params) -> list[list]:
    page = listing(client, version, **params)
    assert page.success, (page.status_code, page.error_code, page.error_message)
    pages = [list(page.items)]
    while page.has_next():
        page = page.next()
        pages.append(list(page.items))
    return pages


def listed_names(client: AblyRestSync, prefix: str) -> list[str]:
    return [name for page in every_page(client, prefix=prefix, by="id") for name in page]


@pytest.mark.parametrize("binary", [False, True])
async def test_listing_pages_through_a_prefix_in_name_order(emulator, prefix, binary):
    client = await realtime(emulator, use_binary_protocol=binary)
    names = [f"{prefix}:{room}" for room in ("e", "a", "d", "b", "c")]
    try:
        for name in [*names, f"other-{prefix}"]:
            await client.channels.get(name).attach()
        lister = rest(emulator, use_binary_protocol=binary)
        pages = await asyncio.to_thread(every_page, lister, prefix=prefix, limit=2, by="id")
        assert pages == [[f"{prefix}:a", f"{prefix}:b"], [f"{prefix}:c", f"{prefix}:d"], [f"{prefix}:e"]]
        # From protocol version 3 `by` defaults to `id`; before it, to `value` (ChannelDetails).
        [v3] = await asyncio.to_thread(every_page, lister, "3", prefix=f"{prefix}:a")
        [v2] = await asyncio.to_thread(every_page, lister, "2", prefix=f"{prefix}:a")
        assert v3 == [f"{prefix}:a"]
        assert [details["channelId"] for details in v2] == [f"{prefix}:a"]
    finally:
        await client.close()


@pytest.mark.parametrize("binary", [False, True])
async def test_listed_details_match_channel_status(emulator, prefix, binary):
    member = await realtime(emulator, use_binary_protocol=binary, client_id="ann")
    watcher = await realtime(emulator, use_binary_protocol=not binary)
    name = f"{prefix}:room"
    try:
        await member.channels.get(name).presence.enter("here")
        await watcher.channels.get(name).attach()
        client = rest(emulator, use_binary_protocol=binary)
        [[details]] = await asyncio.to_thread(every_page, client, prefix=prefix, by="value")
        assert details["channelId"] == name and details["status"]["isActive"] is True
        assert details["status"]["occupancy"]["metrics"] == {
            # No object modes: an ATTACH gets them only by asking.
            "connections": 2,
            "publishers": 2,
            "subscribers": 2,
            "presenceConnections": 2,
            "presenceMembers": 1,
            "presenceSubscribers": 2,
            "objectPublishers": 0,
            "objectSubscribers": 0,
        }
        status = await asyncio.to_thread(client.channels.get(name).status)
        assert status.channel_id == name and status.status.is_active is True
        metrics = status.status.occupancy.metrics
        assert (
            metrics.connections,
            metrics.presence_members,
            metrics.presence_connections,
            metrics.publishers,
            metrics.subscribers,
            metrics.presence_subscribers,
        ) == (2, 1, 2, 2, 2, 2)
    finally:
        await member.close()
        await watcher.close()


async def test_a_channel_drops_out_once_its_people_have_left(emulator, prefix):
    name = f"{prefix}:room"
    member = await realtime(emulator, client_id="ann")
    await member.channels.get(name).presence.enter()
    client = rest(emulator)
    try:
        assert await asyncio.to_thread(listed_names, client, prefix) == [name]
        await asyncio.sleep(CHANNEL_CLOSE_DELAY_S + 0.5)
        assert await asyncio.to_thread(listed_names, client, prefix) == [name]  # still attached, still present
    finally:
        await member.close()
    left_at = time.monotonic()
    while await asyncio.to_thread(listed_names, client, prefix):
        assert time.monotonic() - left_at < CHANNEL_CLOSE_DELAY_S + MARGIN_S, "the channel never closed"
        await asyncio.sleep(0.2)
    assert time.monotonic() - left_at >= CHANNEL_CLOSE_DELAY_S - 0.5, "closed before the close delay"


def wait_until_unlisted(client, prefix, since):
    while listed_names(client, prefix):
        assert time.monotonic() - since < CHANNEL_CLOSE_DELAY_S + MARGIN_S, "the channel never closed"
        time.sleep(0.2)


def test_a_rest_publish_or_a_status_request_activates_a_channel_for_a_while(emulator, prefix):
    client = rest(emulator)
    published, asked = f"{prefix}:published", f"{prefix}:asked"
    client.channels.get(published).publish("m", "only over REST")
    assert listed_names(client, prefix) == [published]
    wait_until_unlisted(client, prefix, time.monotonic())
    # Its history is still there; reading it does not activate the channel.
    assert len(client.channels.get(published).history().items) == 1
    assert listed_names(client, prefix) == []

    details = client.channels.get(asked).status()
    assert details.status.is_active is True and details.status.occupancy.metrics.connections == 0
    assert listed_names(client, prefix) == [asked]
    wait_until_unlisted(client, prefix, time.monotonic())


def test_listing_needs_channel_metadata_on_the_wildcard_resource(emulator, prefix):
    rest(emulator).channels.get(f"{prefix}:a").status()  # active now
    no_metadata = restricted(emulator, {"*": ["subscribe", "publish", "presence", "history"]})
    namespace_only = restricted(emulator, {f"{prefix}:*": ["channel-metadata"]})
    for client in (no_metadata, namespace_only):
        page = listing(client, prefix=prefix)
        assert (page.success, page.status_code, page.error_code) == (False, 401, "40160")
    assert listed_names(restricted(emulator, {"*": ["channel-metadata"]}), prefix) == [f"{prefix}:a"]

    # A channel's status needs channel-metadata on that channel only.
    assert namespace_only.channels.get(f"{prefix}:a").status().channel_id == f"{prefix}:a"
    with pytest.raises(AblyException) as refused:
        no_metadata.channels.get(f"{prefix}:a").status()
    assert (refused.value.code, refused.value.status_code) == (40160, 401)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"by": "name"}])
def test_bad_listing_parameters_are_40003(emulator, params):
    page = listing(rest(emulator), **params)
    assert (page.success, page.status_code, page.error_code) == (False, 400, "40003")


def test_listing_in_an_envelope_carries_its_links(emulator, prefix):
    client = rest(emulator)
    for room in ("a", "b"):
        client.channels.get(f"{prefix}:{room}").status()
    url = f"{emulator.url}/channels?prefix={prefix}&limit=1&by=id&envelope=json"
    body = httpx.get(url, headers=basic_auth(emulator.key)).json()
    assert body["statusCode"] == 200 and body["response"] == [f"{prefix}:a"]
    assert 'rel="first"' in body["headers"]["link"] and 'rel="next"' in body["headers"]["link"]
    refused = httpx.get(url, headers=basic_auth("local.dev:wrong")).json()
    assert refused["statusCode"] == 401 and refused["response"]["error"]["code"] == 40101


@pytest.mark.parametrize("binary", [False, True])
async def test_batch_presence_per_channel_results_and_errors(emulator, prefix, binary):
    member = await realtime(emulator, use_binary_protocol=binary, client_id="ann")
    allowed, hidden = f"{prefix}:open", f"{prefix}:hidden"
    try:
        for name in (allowed, hidden):
            await member.channels.get(name).presence.enter({"mood": "ok"})
        client = restricted(emulator, {allowed: ["subscribe"]}, use_binary_protocol=binary)
        response = await asyncio.to_thread(client.request, "GET", "/presence", "3", {"channels": f"{allowed},{hidden}"})
        [batch] = response.items
        assert response.status_code == 200 and (batch["successCount"], batch["failureCount"]) == (1, 1)
        ok, refused = batch["results"]
        assert ok["channel"] == allowed and [(p["clientId"], p["action"]) for p in ok["presence"]] == [("ann", 1)]
        assert refused["channel"] == hidden and "presence" not in refused
        assert (refused["error"]["code"], refused["error"]["statusCode"]) == (40160, 401)
    finally:
        await member.close()


def test_batch_presence_before_protocol_version_3(emulator, prefix):
    """A bare array when every channel succeeds, else a 400 (40020) carrying `batchResponse`."""
    client = rest(emulator, use_binary_protocol=False)
    fine = client.request("GET", "/presence", "2", {"channels": f"{prefix}:a,{prefix}:b"})
    assert fine.status_code == 200 and fine.items == [
        {"channel": f"{prefix}:a", "presence": []},
        {"channel": f"{prefix}:b", "presence": []},
    ]
    raw = httpx.get(
        f"{emulator.url}/presence",
        params={"channels": f"{prefix}:a|[bad", "separator": "|"},
        headers={**basic_auth(emulator.key), "Accept": "application/x-msgpack"},
    )
    body = msgpack.unpackb(raw.content)
    assert raw.status_code == 400 and raw.headers["x-ably-errorcode"] == "40020"
    assert body["error"]["code"] == 40020
    assert body["batchResponse"][0] == {"channel": f"{prefix}:a", "presence": []}
    assert body["batchResponse"][1]["error"]["code"] == 40010


async def test_the_lobby_requests_work_against_the_emulator(emulator, prefix):
    """The lobby's own client (chat/ably_client.py) lists rooms and counts their people."""
    member = await realtime(emulator, client_id="ann")
    guest = await realtime(emulator, client_id="bo")
    busy, quiet = f"{prefix}:busy", f"{prefix}:quiet"
    try:
        for client in (member, guest):
            await client.channels.get(busy).presence.enter()
        await member.channels.get(quiet).attach()
        key_name, secret = emulator.key.split(":")
        lobby = Ably(Settings(key_name, secret, ably_endpoint=Endpoint(emulator.host, emulator.port)))
        channels = await asyncio.to_thread(lobby.active_channels, prefix)
        assert channels == [busy, quiet]
        members = await asyncio.to_thread(lobby.members_of, channels)
        assert sorted(m.client_id for m in members[busy]) == ["ann", "bo"] and members[quiet] == []
    finally:
        await member.close()
        await guest.close()
