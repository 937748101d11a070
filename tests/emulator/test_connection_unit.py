"""A connection's lifecycle in the realtime core, on fake time: the state table every change goes
through, the registry that finds a connection by its key, resume, close, token expiry and renewal."""

import pytest

from emulator.connection import (
    TRANSITIONS,
    AttachmentEvent,
    AttachmentState,
    ConnectionEvent,
    ConnectionSettings,
    ConnectionState,
    IllegalTransition,
    UnusableConnectionKey,
)
from emulator.errors import AblyError
from emulator.protocol import Action, Flag, PresenceAction

from .driving import KEY, attach, connect, enter, token_for
from .fakes import make_realtime


@pytest.fixture
def world():
    return make_realtime(KEY, ConnectionSettings())


# ================================================== the transition table


@pytest.mark.parametrize("state", list(ConnectionState))
@pytest.mark.parametrize("event", list(ConnectionEvent))
def test_a_connection_changes_state_only_as_the_table_allows(world, state, event):
    _, _, realtime = world
    conn, _ = connect(realtime)
    conn.state = state  # placed there directly, to try every pair
    if (state, event) in TRANSITIONS:
        conn.transition(event)
        assert conn.state is TRANSITIONS[(state, event)]
    else:
        with pytest.raises(IllegalTransition):
            conn.transition(event)
        assert conn.state is state


def test_a_closed_connection_never_changes_again(world):
    _, _, realtime = world
    conn, t = connect(realtime)
    realtime.receive(conn, t, {"action": Action.CLOSE})
    assert conn.state is ConnectionState.CLOSED and conn.transport is None
    for event in ConnectionEvent:
        with pytest.raises(IllegalTransition):
            conn.transition(event)


def test_a_connection_has_a_transport_exactly_while_connected(world):
    _, _, realtime = world
    conn, t = connect(realtime)
    assert conn.state is ConnectionState.CONNECTED and conn.transport is t
    realtime.transport_lost(conn, t)
    assert conn.state is ConnectionState.DISCONNECTED and conn.transport is None
    resumed, t2 = connect(realtime, resume=conn.connection_key)
    assert resumed is conn and conn.state is ConnectionState.CONNECTED and conn.transport is t2


def test_an_attachment_waits_for_its_re_attach_after_a_resume(world):
    _, _, realtime = world
    conn, t = connect(realtime)
    attach(realtime, conn, t, "room")
    [attachment] = conn.attachments.values()
    for _ in range(2):  # the client can lose the new socket too before re-attaching
        realtime.transport_lost(conn, conn.transport)
        connect(realtime, resume=conn.connection_key)
        assert attachment.state is AttachmentState.AWAITING_REATTACH
    attach(realtime, conn, conn.transport, "room")
    assert conn.attachments[attachment.ref.key].state is AttachmentState.ATTACHED
    assert (AttachmentState.ATTACHED, AttachmentEvent.CONNECTION_CONTINUED) in TRANSITIONS


def test_a_stale_socket_cannot_fail_the_connection_that_moved_on(world):
    _, _, realtime = world
    conn, t = connect(realtime)
    realtime.transport_lost(conn, t)
    realtime.fail(conn, AblyError(40009, 413, "a frame too large on the old socket"))
    assert conn.state is ConnectionState.DISCONNECTED
    resumed, t2 = connect(realtime, resume=conn.connection_key)
    assert resumed is conn and "error" not in t2.take()[0]


# ================================================== finding a connection by its key


def test_lookup_finds_a_live_connection_of_the_app_by_its_current_or_earlier_key(world):
    _, registry, realtime = world
    app = registry.apps["app"]
    conn, t = connect(realtime, clientId="alice")
    first_key = conn.connection_key
    assert realtime.connections.lookup(first_key, app, None) is conn
    assert realtime.connections.lookup(first_key, app, "alice") is conn
    realtime.transport_lost(conn, t)
    connect(realtime, resume=first_key)
    assert realtime.connections.lookup(first_key, app, None) is conn
    assert realtime.connections.lookup(conn.connection_key, app, None) is conn


@pytest.mark.parametrize("key, malformed", [("not a key", True), (None, True), ({"a": 1}, True), ("abc!def", False)])
def test_lookup_refuses_what_names_no_connection(world, key, malformed):
    _, registry, realtime = world
    connect(realtime)
    with pytest.raises(UnusableConnectionKey) as refused:
        realtime.connections.lookup(key, registry.apps["app"], None)
    assert refused.value.malformed is malformed


def test_lookup_refuses_another_app_another_client_id_and_a_closed_connection(world):
    _, registry, realtime = world
    app = registry.apps["app"]
    other_app = registry.provision({}).app
    conn, t = connect(realtime, clientId="alice")
    for lookup_app, client_id in ((other_app, None), (app, "bob")):
        with pytest.raises(UnusableConnectionKey):
            realtime.connections.lookup(conn.connection_key, lookup_app, client_id)
    realtime.receive(conn, t, {"action": Action.CLOSE})
    with pytest.raises(UnusableConnectionKey):
        realtime.connections.lookup(conn.connection_key, app, None)
    assert conn.id not in realtime.connections


# ================================================== resume, close and tokens


def test_unknown_or_expired_resume_key_gives_new_connection_with_80008(world):
    clock, _, realtime = world
    a, ta = connect(realtime)
    realtime.transport_lost(a, ta)
    clock.advance(121)
    conn, t = connect(realtime, resume=a.connection_key)
    [connected] = t.take()
    assert conn.id != a.id and connected["error"]["code"] == 80008
    [attached] = attach(realtime, conn, t, "room", channelSerial="whatever-00000001")
    assert not attached["flags"] & Flag.RESUMED


def test_resume_with_a_key_whose_successor_never_arrived(world):
    """The transport can die after the server rotated the key but before the client saw it."""
    _, _, realtime = world
    a, ta = connect(realtime)
    first_key = a.connection_key
    realtime.transport_lost(a, ta)
    resumed, t2 = connect(realtime, resume=first_key)
    assert resumed is a and a.connection_key != first_key
    realtime.transport_lost(a, t2)  # CONNECTED with the new key was lost with this socket
    again, t3 = connect(realtime, resume=first_key)
    [connected] = t3.take()
    assert again is a and "error" not in connected


def test_close_leaves_presence_at_once(world):
    _, _, realtime = world
    a, ta = connect(realtime, clientId="a")
    b, tb = connect(realtime)
    tb.take()
    attach(realtime, b, tb, "room")
    enter(realtime, a, ta, 0)
    tb.take()
    realtime.receive(a, ta, {"action": Action.CLOSE})
    assert ta.frames[-1]["action"] == Action.CLOSED and ta.closed
    [leave] = tb.take()
    assert leave["presence"][0]["action"] == PresenceAction.LEAVE


def test_server_asks_for_reauth_then_disconnects_with_40142_at_expiry(world):
    clock, registry, realtime = world
    _conn, t = connect(realtime, key=None, access_token=token_for(registry, clock, ttl=100_000))
    t.take()
    clock.advance(69)
    assert t.take() == []
    clock.advance(1)  # 30 s before expiry
    assert t.take() == [{"action": Action.AUTH}]
    clock.advance(30)
    [pm] = t.frames
    assert pm["action"] == Action.DISCONNECTED and pm["error"]["code"] == 40142 and t.closed


def test_a_token_with_under_30_s_left_is_let_run_out(world):
    clock, registry, realtime = world
    _conn, t = connect(realtime, key=None, access_token=token_for(registry, clock, ttl=20_000))
    t.take()
    clock.advance(19.9)
    assert t.take() == []  # no AUTH: there was never 30 s to ask in
    clock.advance(0.1)
    [pm] = t.frames
    assert pm["action"] == Action.DISCONNECTED and pm["error"]["code"] == 40142 and t.closed


@pytest.mark.parametrize("key, code", [("not a key", 80018), ("abc!def", 80008)])
def test_a_malformed_resume_key_is_80018_and_an_unknown_one_80008(world, key, code):
    _, _, realtime = world
    conn, t = connect(realtime, resume=key)
    [connected] = t.take()
    assert connected["action"] == Action.CONNECTED and connected["error"]["code"] == code
    assert connected["connectionId"] == conn.id and not t.closed


def test_auth_action_renews_token_in_place(world):
    clock, registry, realtime = world
    conn, t = connect(realtime, key=None, access_token=token_for(registry, clock, ttl=3000, clientId="a"))
    t.take()
    realtime.receive(
        conn, t, {"action": Action.AUTH, "auth": {"accessToken": token_for(registry, clock, ttl=60000, clientId="a")}}
    )
    [connected] = t.take()
    assert connected["action"] == Action.CONNECTED and connected["connectionId"] == conn.id
    clock.advance(10)  # the first token's timers are gone
    assert t.frames == [] and not t.closed
    realtime.receive(
        conn, t, {"action": Action.AUTH, "auth": {"accessToken": token_for(registry, clock, clientId="b")}}
    )
    assert t.frames[-1]["error"]["code"] == 40102 and t.closed


# ================================================== heartbeats


@pytest.fixture
def beating():
    return make_realtime(KEY, ConnectionSettings(), heartbeats=True)


def test_a_heartbeat_fills_each_silence_of_max_idle_interval(beating):
    clock, _, realtime = beating
    _conn, t = connect(realtime, heartbeatInterval="5000")
    t.take()
    clock.advance(4.9)
    assert t.take() == []
    clock.advance(0.1)
    assert t.take() == [{"action": Action.HEARTBEAT}]
    clock.advance(5)
    assert t.take() == [{"action": Action.HEARTBEAT}]


def test_other_frames_put_the_heartbeat_off(beating):
    clock, _, realtime = beating
    conn, t = connect(realtime, heartbeatInterval="5000")
    t.take()
    clock.advance(3)
    attach(realtime, conn, t, "room")  # ATTACHED goes out at 3 s
    clock.advance(4.9)
    assert t.take() == []
    clock.advance(0.1)  # 5 s after ATTACHED
    assert t.take() == [{"action": Action.HEARTBEAT}]


def test_no_heartbeats_without_a_transport_and_again_after_a_resume(beating):
    clock, _, realtime = beating
    conn, t = connect(realtime)  # the default maxIdleInterval: 15 s
    realtime.transport_lost(conn, t)
    t.take()
    clock.advance(60)
    assert t.take() == []
    _, t2 = connect(realtime, resume=conn.connection_key)
    t2.take()
    clock.advance(15)
    assert t2.take() == [{"action": Action.HEARTBEAT}] and t.frames == []
    realtime.receive(conn, t2, {"action": Action.CLOSE})
    t2.take()
    clock.advance(60)
    assert t2.take() == [] and conn.timers == {}
