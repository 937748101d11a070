"""Capabilities, TokenRequest signatures and token issuing, without any server."""

import base64
import hashlib
import hmac
import json

import pytest

from emulator.auth import (
    Key,
    TokenAuthority,
    intersect_capability,
    operations_for,
    parse_capability,
    resource_covers,
    sign,
    signing_text,
)
from emulator.errors import AblyError
from emulator.jwt import verify_jwt

from .fakes import SequentialIds

KEY = Key("appid", "keyid", "s3cret", {"*": ["*"]})


class Clock:
    def __init__(self, now=1_700_000_000_000):
        self.now = now

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    "capability, expected",
    [
        # Vectors from the wire-protocol doc; the first two were produced by the SDKs themselves.
        ('{"chat":["presence","publish","subscribe"]}', "ckp0kdcIwkN99lyB0M5bEefAyMqnmTFsvRSyUucRfS4="),
        ('{"chat": ["presence", "publish", "subscribe"]}', "2Cjelc69/dqNW+mdtM0cOgZR2PVeulArS5XNVegt/l4="),
    ],
)
def test_mac_matches_sdk_vectors(capability, expected):
    req = {
        "keyName": "appid.keyid",
        "ttl": 3600000,
        "capability": capability,
        "clientId": "alice",
        "timestamp": 1700000000000,
        "nonce": "0123456789abcdef",
    }
    assert sign("s3cret", req) == expected


def test_nulls_sign_as_empty_fields():
    req = {
        "keyName": "appid.keyid",
        "ttl": None,
        "capability": None,
        "clientId": None,
        "timestamp": 1700000000000,
        "nonce": "0123456789abcdef",
    }
    assert signing_text(req) == "appid.keyid\n\n\n\n1700000000000\n0123456789abcdef\n"
    assert sign("s3cret", req) == "f+9EH+TCP/cHO80Gz3IRAl4JVeogEvUaK5umsMxPL8M="


def signed(clock, **fields):
    req = {"keyName": KEY.name, "timestamp": clock.now, "nonce": f"{fields.pop('n', 1):016d}", **fields}
    req["mac"] = sign(KEY.secret, req)
    return req


def test_token_request_issues_token_with_intersected_capability():
    clock = Clock()
    authority = TokenAuthority(clock, SequentialIds())
    narrow = Key("appid", "k2", "x", {"chat": ["subscribe", "publish"], "other": ["history"]})
    req = {
        "keyName": narrow.name,
        "timestamp": clock.now,
        "nonce": "a" * 16,
        "ttl": 5000,
        "clientId": "bob",
        "capability": '{"chat":["subscribe","presence"],"*":["history"]}',
    }
    req["mac"] = sign(narrow.secret, req)
    token = authority.request_token(narrow, req, None)
    assert token.client_id == "bob"
    assert token.expires - token.issued == 5000
    assert token.capability == {"chat": ["subscribe"], "other": ["history"]}
    assert authority.check_token(token.token) is token
    clock.now += 5000
    with pytest.raises(AblyError) as e:
        authority.check_token(token.token)
    assert e.value.code == 40142


@pytest.mark.parametrize(
    "tamper, code",
    [
        (lambda r: r.update(mac="AAAA"), 40101),
        (lambda r: r.update(clientId="mallory"), 40101),  # signed fields can't change
    ],
)
def test_bad_signature_is_refused(tamper, code):
    clock = Clock()
    req = signed(clock, clientId="alice")
    tamper(req)
    with pytest.raises(AblyError) as e:
        TokenAuthority(clock, SequentialIds()).request_token(KEY, req, None)
    assert e.value.code == code and e.value.status == 401


def test_replayed_nonce_and_stale_timestamp_are_refused():
    clock = Clock()
    authority = TokenAuthority(clock, SequentialIds())
    req = signed(clock)
    authority.request_token(KEY, req, None)
    with pytest.raises(AblyError) as e:
        authority.request_token(KEY, dict(req), None)
    assert e.value.code == 40105
    stale = signed(Clock(clock.now - 10 * 60 * 1000), n=2)
    with pytest.raises(AblyError) as e:
        authority.request_token(KEY, stale, None)
    assert e.value.code == 40104


@pytest.mark.parametrize("ttl", [0, -1, 24 * 3600 * 1000 + 1, "soon"])
def test_bad_ttl_is_refused(ttl):
    clock = Clock()
    with pytest.raises(AblyError) as e:
        TokenAuthority(clock, SequentialIds()).request_token(KEY, signed(clock, ttl=ttl), None)
    assert e.value.code == 40003


def test_unsigned_request_needs_basic_auth_with_the_key():
    clock = Clock()
    authority = TokenAuthority(clock, SequentialIds())
    with pytest.raises(AblyError):
        authority.request_token(KEY, {"keyName": KEY.name}, None)
    assert authority.request_token(KEY, {"keyName": KEY.name}, KEY).capability == {"*": ["*"]}


def test_disjoint_capability_is_denied():
    clock = Clock()
    narrow = Key("appid", "k3", "x", {"chat": ["subscribe"]})
    req = {"keyName": narrow.name, "timestamp": clock.now, "nonce": "b" * 16, "capability": '{"other":["*"]}'}
    req["mac"] = sign(narrow.secret, req)
    with pytest.raises(AblyError) as e:
        TokenAuthority(clock, SequentialIds()).request_token(narrow, req, None)
    assert e.value.code == 40160


def test_resource_matching():
    cap = {"chat": ["publish"], "rooms:*": ["subscribe"], "*": ["history"]}
    assert operations_for(cap, "chat") == {"publish", "history"}
    assert operations_for(cap, "rooms:lobby") == {"subscribe", "history"}
    assert operations_for(cap, "roomsx") == {"history"}
    assert "presence" in operations_for({"*": ["*"]}, "anything")


def test_intersection_narrows_wildcards_both_ways():
    assert intersect_capability({"*": ["subscribe"]}, {"chat": ["*"]}) == {"chat": ["subscribe"]}
    assert intersect_capability({"rooms:a": ["*"]}, {"rooms:*": ["publish"]}) == {"rooms:a": ["publish"]}
    assert intersect_capability({"x": ["publish"]}, {"x": ["subscribe"]}) == {}


@pytest.mark.parametrize("text", ["not json", "[]", "{}", '{"chat": "publish"}', json.dumps({"c": [1]})])
def test_invalid_capabilities(text):
    with pytest.raises(AblyError) as e:
        parse_capability(text)
    assert (e.value.status, e.value.code) == (400, 40000)


def make_jwt(secret, header, claims):
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_ably_jwt_is_verified():
    now = 1_700_000_000
    keys = {KEY.name: KEY}
    header = {"typ": "JWT", "alg": "HS256", "kid": KEY.name}
    claims = {"iat": now, "exp": now + 60, "x-ably-clientId": "jo", "x-ably-capability": '{"chat":["subscribe"]}'}
    token = verify_jwt(make_jwt(KEY.secret, header, claims), keys, now * 1000)
    assert (token.client_id, token.capability, token.expires) == ("jo", {"chat": ["subscribe"]}, (now + 60) * 1000)
    cases = [
        (make_jwt("wrong", header, claims), 40144),
        (make_jwt(KEY.secret, dict(header, kid="other.key"), claims), 40144),
        (make_jwt(KEY.secret, dict(header, alg="none"), claims), 40144),
        (make_jwt(KEY.secret, header, dict(claims, exp=now - 1)), 40142),
    ]
    for jwt, code in cases:
        with pytest.raises(AblyError) as e:
            verify_jwt(jwt, keys, now * 1000)
        assert e.value.code == code


@pytest.mark.parametrize(
    "resource, channel, covered",
    [
        ("*", "chat", True),
        ("*", "[meta]channel.lifecycle", False),
        ("[*]*", "[meta]channel.lifecycle", True),
        ("[meta]*", "[meta]log", True),
        ("[meta]*", "chat", False),
        ("chat:*", "chat:a", True),
        ("chat:*", "chat", False),
        ("chat", "[meta]chat", False),
    ],
)
def test_metachannels_need_a_capability_of_their_own(resource, channel, covered):
    """Ably's `*` resource covers every channel but metachannels, which need `[meta]…` or `[*]*`."""
    assert resource_covers(resource, channel) is covered
