"""Channel activity, occupancy and enumeration in the core, with time moved by hand."""

import base64

import pytest

from emulator.apps import DEFAULT_CLOSE_DELAY_MS
from emulator.auth import Credentials
from emulator.connection import ConnectionSettings
from emulator.errors import AblyError
from emulator.metadata import ChannelQuery
from emulator.protocol import Action, PresenceAction

from .fakes import FakeTransport, make_realtime

KEY = "app.key:secret"
CLOSE_DELAY_S = DEFAULT_CLOSE_DELAY_MS // 1000  # the emulator's default, Ably's "approximately one minute"


@pytest.fixture
def world():
    clock, registry, realtime = make_realtime(KEY, ConnectionSettings())
    return clock, registry, realtime, realtime.service


def key_creds(registry):
    return registry.credentials_for_key(KEY, None)


def creds_with(registry, capability):
    key = registry.add_key(registry.apps["app"], capability=capability)
    return Credentials(key, key.capability, None)


def listed(service, creds, **query):
    names = []
    query = ChannelQuery(**{"names_only": True, **query})
    while True:
        page, cursor = service.active_channels(creds, query)
        names += page
        if cursor is None:
            return names
        query = ChannelQuery(query.prefix, query.limit, query.names_only, cursor)


def connect(realtime, **query):
    transport = FakeTransport()
    conn = realtime.open({"key": KEY, **query}, transport)
    transport.take()
    return conn, transport


def attach(realtime, conn, t, channel, **extra):
    realtime.receive(conn, t, {"action": Action.ATTACH, "channel": channel, **extra})
    t.take()


def enter(realtime, conn, t, channel):
    realtime.receive(
        conn,
        t,
        {
            "action": Action.PRESENCE,
            "channel": channel,
            "msgSerial": 0,
            "presence": [{"action": int(PresenceAction.ENTER)}],
        },
    )


def test_a_rest_publish_keeps_a_channel_active_for_the_close_delay(world):
    clock, registry, _, service = world
    creds = key_creds(registry)
    service.publish(creds, "news", [{"data": "x"}])
    clock.advance(CLOSE_DELAY_S - 1)
    assert listed(service, creds) == ["news"]
    clock.advance(1)
    assert listed(service, creds) == []
    # Its history outlives its activity: reading history does not make it active again.
    assert service.history_channel(creds, "news").log and listed(service, creds) == []


def test_an_attached_channel_stays_active_until_a_while_after_its_last_detach(world):
    clock, registry, realtime, service = world
    creds = key_creds(registry)
    a, ta = connect(realtime)
    b, tb = connect(realtime)
    attach(realtime, a, ta, "room")
    attach(realtime, b, tb, "room")
    clock.advance(10 * 60)
    assert listed(service, creds) == ["room"]
    realtime.receive(a, ta, {"action": Action.DETACH, "channel": "room"})
    clock.advance(10 * 60)
    assert listed(service, creds) == ["room"]  # b is still attached
    realtime.receive(b, tb, {"action": Action.CLOSE})
    clock.advance(CLOSE_DELAY_S - 1)
    assert listed(service, creds) == ["room"]
    clock.advance(1)
    assert listed(service, creds) == []


def test_detaching_takes_the_members_along_and_the_channel_closes_after_the_delay(world):
    clock, registry, realtime, service = world
    creds = key_creds(registry)
    conn, t = connect(realtime, clientId="ann")
    attach(realtime, conn, t, "room")
    enter(realtime, conn, t, "room")
    realtime.receive(conn, t, {"action": Action.DETACH, "channel": "room"})
    clock.advance(CLOSE_DELAY_S - 1)
    assert listed(service, creds) == ["room"]
    clock.advance(1)
    assert listed(service, creds) == []


def test_a_dropped_connection_keeps_its_channels_active_while_it_may_resume(world):
    clock, registry, realtime, service = world
    creds = key_creds(registry)
    conn, t = connect(realtime, clientId="ann")
    attach(realtime, conn, t, "room")
    enter(realtime, conn, t, "room")
    realtime.transport_lost(conn, t)
    # Its member leaves after 15 s; the connection may resume for 120 s, attached all along.
    clock.advance(120)
    assert listed(service, creds) == ["room"]
    clock.advance(CLOSE_DELAY_S)
    assert listed(service, creds) == []


def test_presence_members_alone_keep_a_channel_active(world):
    clock, registry, _, service = world
    provisioned = service.provision({"channels": [{"name": "lobby", "presence": [{"clientId": "bot"}]}]})
    key = provisioned.keys[0]
    creds = Credentials(key, key.capability, None)
    clock.advance(10 * CLOSE_DELAY_S)
    assert listed(service, creds) == ["lobby"]
    assert listed(service, key_creds(registry)) == []  # another app's channels are not listed


def test_a_status_request_activates_its_channel(world):
    clock, registry, _, service = world
    creds = key_creds(registry)
    details = service.channel_status(creds, "quiet")
    assert details["channelId"] == "quiet" and details["status"]["isActive"] is True
    assert set(details["status"]["occupancy"]["metrics"].values()) == {0}
    assert listed(service, creds) == ["quiet"]
    clock.advance(CLOSE_DELAY_S / 2)
    registry.apps["app"].prune(clock(), set())  # a status-only channel survives pruning while active
    assert listed(service, creds) == ["quiet"]
    clock.advance(CLOSE_DELAY_S / 2)
    registry.apps["app"].prune(clock(), set())
    assert listed(service, creds) == [] and "quiet" not in registry.apps["app"].channels


def test_listing_with_details_keeps_channels_open_but_listing_names_does_not(world):
    clock, registry, _, service = world
    creds = key_creds(registry)
    for name in ("by-id", "by-value"):
        service.publish(creds, name, [{"data": "x"}])
    clock.advance(CLOSE_DELAY_S - 10)
    service.active_channels(creds, ChannelQuery(prefix="by-id", names_only=True))
    [details] = service.active_channels(creds, ChannelQuery(prefix="by-value"))[0]
    assert details["channelId"] == "by-value"
    clock.advance(20)
    assert listed(service, creds) == ["by-value"]


def test_pages_follow_names_so_each_steadily_active_channel_is_listed_once(world):
    _, registry, _, service = world
    creds = key_creds(registry)
    for name in ("p:c", "p:a", "q:z", "p:e", "p:b", "p:d"):
        service.publish(creds, name, [{"data": "x"}])
    first, cursor = service.active_channels(creds, ChannelQuery(prefix="p:", limit=2, names_only=True))
    assert (first, cursor) == (["p:a", "p:b"], "p:b")
    service.publish(creds, "p:0", [{"data": "x"}])  # sorts before the cursor: not in this sequence
    rest = listed(service, creds, prefix="p:", limit=2, after=cursor)
    assert rest == ["p:c", "p:d", "p:e"]
    last, cursor = service.active_channels(creds, ChannelQuery(prefix="p:", limit=2, names_only=True, after="p:c"))
    assert (last, cursor) == (["p:d", "p:e"], None)  # a full last page has no next


@pytest.mark.parametrize(
    "capability, allowed",
    [
        ({"*": ["channel-metadata"]}, True),
        ({"*": ["*"]}, True),
        ({"[*]*": ["channel-metadata"]}, True),
        ({"*": ["subscribe", "presence", "history"]}, False),
        ({"p:*": ["channel-metadata"]}, False),  # Ably never implemented prefix-scoped enumeration
        ({"p:a": ["channel-metadata"]}, False),
    ],
)
def test_listing_needs_channel_metadata_on_the_wildcard_resource(world, capability, allowed):
    _, registry, _, service = world
    service.publish(key_creds(registry), "p:a", [{"data": "x"}])
    creds = creds_with(registry, capability)
    if allowed:
        assert listed(service, creds, prefix="p:") == ["p:a"]
        return
    with pytest.raises(AblyError) as refused:
        service.active_channels(creds, ChannelQuery(prefix="p:"))
    assert (refused.value.code, refused.value.status) == (40160, 401)


def test_status_needs_channel_metadata_on_that_channel(world):
    _, registry, _, service = world
    creds = creds_with(registry, {"p:*": ["channel-metadata"], "other": ["subscribe"]})
    assert service.channel_status(creds, "p:a")["channelId"] == "p:a"
    with pytest.raises(AblyError) as refused:
        service.channel_status(creds, "other")
    assert refused.value.code == 40160
    with pytest.raises(AblyError) as refused:
        service.channel_status(creds, "[oops")
    assert refused.value.code == 40010


def test_occupancy_counts_connections_by_what_their_modes_allow(world):
    _clock, registry, realtime, service = world
    creds = key_creds(registry)
    full, tf = connect(realtime, clientId="full")
    # Object modes are never granted by default: they must be asked for.
    attach(
        realtime,
        full,
        tf,
        "room",
        params={"modes": "publish,subscribe,presence,presence_subscribe,object_publish,object_subscribe"},
    )
    # A derived view of the same channel on the same connection is not another connection.
    view = "[filter={}]room".format(base64.b64encode(b"name == 'x'").decode())
    attach(realtime, full, tf, view)
    reader, tr = connect(realtime)
    attach(realtime, reader, tr, "room", params={"modes": "subscribe"})
    realtime.receive(
        full,
        tf,
        {
            "action": Action.PRESENCE,
            "channel": "room",
            "msgSerial": 0,
            "presence": [
                {"action": int(PresenceAction.ENTER)},
                {"action": int(PresenceAction.ENTER), "clientId": "guest"},
            ],
        },
    )
    metrics = service.channel_status(creds, "room")["status"]["occupancy"]["metrics"]
    assert metrics == {
        "connections": 2,
        "publishers": 1,
        "subscribers": 2,
        "presenceConnections": 1,
        "presenceMembers": 2,
        "presenceSubscribers": 1,
        "objectPublishers": 1,
        "objectSubscribers": 1,
    }
    [listed_details] = service.active_channels(creds, ChannelQuery())[0]
    assert listed_details["status"]["occupancy"]["metrics"] == metrics
