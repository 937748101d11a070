"""Driving the realtime core by hand in unit tests: connections on fake transports, tokens, attaches."""

import itertools

from emulator.auth import sign
from emulator.protocol import Action, PresenceAction

from .fakes import FakeTransport

KEY = "app.key:secret"
NONCES = itertools.count()


def connect(realtime, **query):
    transport = FakeTransport()
    query.setdefault("key", KEY)
    conn = realtime.open(query, transport)
    return conn, transport


def token_for(registry, clock, **fields):
    key = registry.keys["app.key"]
    req = {"keyName": key.name, "timestamp": clock(), "nonce": f"{next(NONCES):016d}", **fields}
    req["mac"] = sign(key.secret, req)
    return registry.tokens.request_token(key, req, None).token


def attach(realtime, conn, t, channel, **extra):
    realtime.receive(conn, t, {"action": Action.ATTACH, "channel": channel, **extra})
    return t.take()


def enter(realtime, conn, t, serial, channel="room", action=PresenceAction.ENTER, data="here", **extra):
    realtime.receive(
        conn,
        t,
        {
            "action": Action.PRESENCE,
            "channel": channel,
            "msgSerial": serial,
            "presence": [{"action": int(action), "data": data, **extra}],
        },
    )
