"""The realtime connection state machine driven directly: frames in, frames out, fake time."""

import json

import pytest

from emulator.auth import Key, mint_token
from emulator.connection import ConnectionSettings
from emulator.protocol import Action, Flag, PresenceAction

from .driving import KEY, attach, connect, enter, token_for
from .fakes import FakeTransport, make_realtime


@pytest.fixture
def world():
    return make_realtime(KEY, ConnectionSettings())


def actions(frames):
    return [f["action"] for f in frames]


def test_connected_carries_complete_details(world):
    _, _, realtime = world
    conn, t = connect(realtime, clientId="alice", heartbeatInterval="5000")
    [pm] = t.take()
    assert pm["action"] == Action.CONNECTED and pm["connectionId"] == conn.id
    assert ":" not in conn.id
    details = pm["connectionDetails"]
    assert details["connectionKey"] == pm["connectionKey"] == conn.connection_key
    assert details["clientId"] == "alice"
    assert details["maxIdleInterval"] == 5000 and details["maxMessageSize"] == 65536
    assert details["connectionStateTtl"] == ConnectionSettings().connection_state_ttl_ms


@pytest.mark.parametrize(
    "query, code",
    [
        ({"key": "app.key:wrong"}, 40101),
        ({"key": "nope.key:secret"}, 40101),
        # Token-shaped but never issued here, or not a token at all: renewing cannot help (as on Ably).
        ({"key": None, "access_token": "Sdnurv_some_invalid_token_nkds9r7"}, 40101),
        ({"key": None, "access_token": "not a token!"}, 40101),
        # Signed by this key but not held: issued before a restart, so the SDK renews it.
        ({"key": None, "access_token": mint_token(Key("app", "key", "secret", {}), "before-the-restart")}, 40143),
        ({"key": None}, 40101),
    ],
)
def test_bad_credentials_get_error_and_close(world, query, code):
    _, _, realtime = world
    conn, t = connect(realtime, **query)
    assert conn is None and t.closed
    [pm] = t.frames
    assert pm["action"] == Action.ERROR and pm["error"]["code"] == code


def test_token_client_id_must_match_requested(world):
    clock, registry, realtime = world
    token = token_for(registry, clock, clientId="alice")
    conn, t = connect(realtime, key=None, access_token=token, clientId="bob")
    assert conn is None and t.frames[0]["error"]["code"] == 40102
    conn, t = connect(realtime, key=None, accessToken=token)
    assert t.frames[0]["connectionDetails"]["clientId"] == "alice"


def test_attach_grants_modes_from_capability(world):
    clock, registry, realtime = world
    token = token_for(registry, clock, clientId="u", capability='{"chat":["subscribe","presence","history"]}')
    conn, t = connect(realtime, key=None, access_token=token)
    t.take()
    [attached] = attach(realtime, conn, t, "chat")
    assert attached["flags"] == int(Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE | Flag.PRESENCE)
    [error] = attach(realtime, conn, t, "other")
    assert error["action"] == Action.ERROR and error["channel"] == "other"
    assert error["error"]["code"] == 40160
    # Publishing without the capability is NACKed, not fatal.
    realtime.receive(
        conn, t, {"action": Action.MESSAGE, "channel": "chat", "msgSerial": 0, "messages": [{"name": "x"}]}
    )
    [nack] = t.take()
    assert nack["action"] == Action.NACK and nack["error"]["code"] == 40160 and not t.closed


def test_publish_echo_precedes_ack_and_echo_false_is_honoured(world):
    _, _, realtime = world
    a, ta = connect(realtime, clientId="a")
    b, tb = connect(realtime, clientId="b", echo="false")
    for conn, t in ((a, ta), (b, tb)):
        t.take()
        attach(realtime, conn, t, "room")
    realtime.receive(
        b,
        tb,
        {
            "action": Action.MESSAGE,
            "channel": "room",
            "msgSerial": 0,
            "messages": [{"name": "hi", "data": "x", "size": 1}],
        },
    )
    [ack] = tb.take()
    assert ack["action"] == Action.ACK and ack["msgSerial"] == 0 and len(ack["res"][0]["serials"]) == 1
    [delivered] = ta.take()
    assert delivered["action"] == Action.MESSAGE and delivered["connectionId"] == b.id
    msg = delivered["messages"][0]
    assert msg["clientId"] == "b" and msg["id"] == f"{b.id}:0:0" and "size" not in msg
    realtime.receive(a, ta, {"action": Action.MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"name": "yo"}]})
    assert actions(ta.take()) == [Action.MESSAGE, Action.ACK]


def test_resent_msg_serial_is_acked_again_but_published_once(world):
    _, _, realtime = world
    a, ta = connect(realtime)
    b, tb = connect(realtime)
    tb.take()
    attach(realtime, b, tb, "room")
    frame = {"action": Action.MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{"name": "once"}]}
    realtime.receive(a, ta, dict(frame))
    realtime.receive(a, ta, dict(frame))
    assert actions(ta.take())[1:] == [Action.ACK, Action.ACK]
    assert actions(tb.take()) == [Action.MESSAGE]


def test_client_id_mismatch_is_nacked(world):
    clock, registry, realtime = world
    token = token_for(registry, clock, clientId="alice")
    conn, t = connect(realtime, key=None, access_token=token)
    t.take()
    realtime.receive(
        conn, t, {"action": Action.MESSAGE, "channel": "c", "msgSerial": 0, "messages": [{"clientId": "mallory"}]}
    )
    [nack] = t.take()
    assert nack["action"] == Action.NACK and nack["error"]["code"] == 40012


def test_presence_sync_on_attach_and_leave_after_abrupt_drop(world):
    clock, _, realtime = world
    a, ta = connect(realtime, clientId="a")
    ta.take()
    attach(realtime, a, ta, "room")
    enter(realtime, a, ta, 0)
    echo, ack = ta.take()
    assert echo["action"] == Action.PRESENCE and echo["presence"][0]["id"] == f"{a.id}:0:0"
    assert ack["action"] == Action.ACK

    b, tb = connect(realtime, clientId="b")
    tb.take()
    attached, sync = attach(realtime, b, tb, "room")
    assert attached["flags"] & Flag.HAS_PRESENCE
    assert sync["action"] == Action.SYNC and sync["channelSerial"].endswith(":")
    assert [(p["clientId"], p["action"], p["data"]) for p in sync["presence"]] == [("a", 1, "here")]

    realtime.transport_lost(a, ta)
    clock.advance(14)
    assert tb.take() == []
    clock.advance(2)
    [leave] = tb.take()
    assert leave["presence"][0]["action"] == PresenceAction.LEAVE
    assert leave["presence"][0]["data"] == "here"
    assert not leave["presence"][0]["id"].startswith(a.id)
    # An empty channel: no HAS_PRESENCE, so no SYNC either.
    c, tc = connect(realtime)
    tc.take()
    [attached] = attach(realtime, c, tc, "room")
    assert not attached["flags"] & Flag.HAS_PRESENCE


def test_resume_replays_missed_messages_without_false_leave(world):
    clock, _, realtime = world
    sub, ts = connect(realtime, clientId="sub")
    pub, tp = connect(realtime, clientId="pub")
    ts.take()
    [attached] = attach(realtime, sub, ts, "room")
    enter(realtime, sub, ts, 0)
    ts.take()
    watcher, tw = connect(realtime)
    tw.take()
    attach(realtime, watcher, tw, "room")
    last_serial = attached["channelSerial"]

    realtime.transport_lost(sub, ts)
    for i in range(3):
        realtime.receive(
            pub, tp, {"action": Action.MESSAGE, "channel": "room", "msgSerial": i, "messages": [{"name": f"m{i}"}]}
        )
    clock.advance(5)
    ts2 = FakeTransport()
    resumed = realtime.open({"key": KEY, "clientId": "sub", "resume": sub.connection_key}, ts2)
    [connected] = ts2.take()
    assert resumed is sub and connected["connectionId"] == sub.id and "error" not in connected
    assert connected["connectionKey"] != last_serial
    # Nothing is pushed until the client re-attaches with its last channelSerial.
    realtime.receive(
        pub, tp, {"action": Action.MESSAGE, "channel": "room", "msgSerial": 3, "messages": [{"name": "m3"}]}
    )
    assert ts2.frames == []
    frames = attach(realtime, sub, ts2, "room", channelSerial=last_serial)
    assert frames[0]["action"] == Action.ATTACHED and frames[0]["flags"] & Flag.RESUMED
    replayed = [f["messages"][0]["name"] for f in frames if f["action"] == Action.MESSAGE]
    assert replayed == ["m0", "m1", "m2", "m3"]
    # Re-entering with the same presence id changes nothing for others.
    enter(realtime, sub, ts2, 0, id=f"{sub.id}:0:0")
    clock.advance(30)
    assert [
        f for f in tw.take() if f["action"] == Action.PRESENCE and f["presence"][0]["action"] == PresenceAction.LEAVE
    ] == []


def test_a_new_token_re_evaluates_each_attachment(world):
    clock, registry, realtime = world

    def cap(**channels):
        return json.dumps(channels)

    conn, t = connect(
        realtime,
        key=None,
        access_token=token_for(
            registry, clock, clientId="u", capability=cap(kept=["subscribe"], dropped=["subscribe"])
        ),
    )
    t.take()
    attach(realtime, conn, t, "kept")
    attach(realtime, conn, t, "dropped")
    realtime.receive(
        conn,
        t,
        {
            "action": Action.AUTH,
            "auth": {
                "accessToken": token_for(registry, clock, clientId="u", capability=cap(kept=["subscribe", "publish"]))
            },
        },
    )
    connected, error, upgraded = sorted(t.take(), key=lambda pm: pm["action"])
    assert (error["action"], error["channel"], error["error"]["code"]) == (Action.ERROR, "dropped", 40160)
    assert upgraded["action"] == Action.ATTACHED and upgraded["channel"] == "kept"
    assert upgraded["flags"] == int(Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE | Flag.PUBLISH | Flag.RESUMED)
    assert connected["action"] == Action.CONNECTED
    realtime.receive(conn, t, {"action": Action.MESSAGE, "channel": "kept", "msgSerial": 0, "messages": [{}]})
    assert t.take()[-1]["action"] == Action.ACK


def test_rewind_delivers_backlog_after_attached(world):
    _, _, realtime = world
    pub, tp = connect(realtime)
    for i in range(5):
        realtime.receive(
            pub, tp, {"action": Action.MESSAGE, "channel": "r", "msgSerial": i, "messages": [{"name": f"m{i}"}]}
        )
    sub, ts = connect(realtime)
    ts.take()
    frames = attach(realtime, sub, ts, "[?rewind=2]r")
    assert frames[0]["action"] == Action.ATTACHED and frames[0]["channel"] == "[?rewind=2]r"
    assert frames[0]["params"] == {"rewind": "2"}
    assert [f["messages"][0]["name"] for f in frames[1:]] == ["m3", "m4"]
    [error] = attach(realtime, sub, ts, "r2", params={"rewind": "soon"})
    assert error["action"] == Action.ERROR and error["error"]["code"] == 40003
    # An attach that resumes (ably-python after a suspension: a new connection, no channelSerial) gets
    # no backlog, where a first attach gets it (above).
    fresh, tf = connect(realtime)
    tf.take()
    [attached] = attach(realtime, fresh, tf, "[?rewind=2]r", flags=int(Flag.ATTACH_RESUME))
    assert attached["action"] == Action.ATTACHED and not attached["flags"] & Flag.HAS_BACKLOG


def test_default_modes_leave_out_annotation_subscribe_and_objects(world):
    _, _, realtime = world
    conn, t = connect(realtime)
    t.take()
    [attached] = attach(realtime, conn, t, "room")
    assert attached["flags"] == int(
        Flag.PRESENCE | Flag.PUBLISH | Flag.SUBSCRIBE | Flag.PRESENCE_SUBSCRIBE | Flag.ANNOTATION_PUBLISH
    )
    [asked] = attach(realtime, conn, t, "objects", params={"modes": "object_subscribe,annotation_subscribe"})
    assert asked["flags"] == int(Flag.OBJECT_SUBSCRIBE | Flag.ANNOTATION_SUBSCRIBE)


@pytest.mark.parametrize(
    "frame",
    [{"action": Action.MESSAGE, "messages": [{"serial": "x", "action": action}]} for action in (1, 2, 5)]
    + [{"action": Action.ANNOTATION, "annotations": [{"messageSerial": "x", "type": "reaction:distinct.v1"}]}],
)
def test_updates_deletes_appends_and_annotations_are_refused_not_republished(world, frame):
    _, _, realtime = world
    sub, ts = connect(realtime)
    pub, tp = connect(realtime)
    for conn, t in ((sub, ts), (pub, tp)):
        t.take()
        attach(realtime, conn, t, "edits")
    realtime.receive(pub, tp, {**frame, "channel": "edits", "msgSerial": 0})
    [nack] = tp.take()
    assert (nack["action"], nack["error"]["code"], nack["error"]["statusCode"]) == (Action.NACK, 93002, 400)
    assert ts.take() == [] and not tp.closed


def test_detach_leaves_presence_and_answers_detached(world):
    _, _, realtime = world
    a, ta = connect(realtime, clientId="a")
    b, tb = connect(realtime)
    ta.take()
    tb.take()
    attach(realtime, a, ta, "room")
    attach(realtime, b, tb, "room")
    enter(realtime, a, ta, 0)
    tb.take()
    realtime.receive(a, ta, {"action": Action.DETACH, "channel": "room"})
    assert ta.take()[-1] == {"action": Action.DETACHED, "channel": "room"}
    [leave] = tb.take()
    assert leave["presence"][0]["action"] == PresenceAction.LEAVE and leave["presence"][0]["clientId"] == "a"


def test_presence_rules(world):
    clock, registry, realtime = world
    no_presence = token_for(registry, clock, clientId="u", capability='{"room":["subscribe"]}')
    conn, t = connect(realtime, key=None, access_token=no_presence)
    t.take()
    enter(realtime, conn, t, 0)
    assert t.take()[-1]["error"]["code"] == 40160
    named = token_for(registry, clock, clientId="u")
    conn, t = connect(realtime, key=None, access_token=named)
    t.take()
    enter(realtime, conn, t, 0, clientId="someone-else")
    assert t.take()[-1]["error"]["code"] == 40012
    anonymous, ta = connect(realtime)
    ta.take()
    enter(realtime, anonymous, ta, 0)
    assert ta.take()[-1]["error"]["code"] == 40012  # no clientId to enter as
    wildcard = token_for(registry, clock, clientId="*")
    conn, t = connect(realtime, key=None, access_token=wildcard)
    assert t.take()[0]["connectionDetails"]["clientId"] == "*"
    attach(realtime, conn, t, "room")
    enter(realtime, conn, t, 0, clientId="on-behalf")
    echo, ack = t.take()
    assert echo["presence"][0]["clientId"] == "on-behalf" and ack["action"] == Action.ACK


def test_subscribe_only_mode_gets_no_presence_and_cannot_publish(world):
    _, _, realtime = world
    a, ta = connect(realtime, clientId="a")
    b, tb = connect(realtime, clientId="b")
    ta.take()
    tb.take()
    [attached] = attach(realtime, b, tb, "room", flags=int(Flag.SUBSCRIBE))
    assert attached["flags"] == int(Flag.SUBSCRIBE)
    enter(realtime, a, ta, 0)
    realtime.receive(a, ta, {"action": Action.MESSAGE, "channel": "room", "msgSerial": 1, "messages": [{}]})
    assert actions(tb.take()) == [Action.MESSAGE]
    realtime.receive(b, tb, {"action": Action.MESSAGE, "channel": "room", "msgSerial": 0, "messages": [{}]})
    assert tb.take()[-1]["error"]["code"] == 40160


def test_a_connection_may_attach_at_most_200_channels(world):
    _, _, realtime = world
    conn, t = connect(realtime)
    t.take()
    for number in range(200):
        attach(realtime, conn, t, f"room-{number}")
    [refused] = attach(realtime, conn, t, "one-too-many")
    assert refused["action"] == Action.ERROR and refused["error"]["code"] == 90010
    [again] = attach(realtime, conn, t, "room-0")  # re-attaching one it has is fine
    assert again["action"] == Action.ATTACHED
