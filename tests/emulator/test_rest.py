"""REST endpoints against the running emulator, with ably-python (sync and async) and raw HTTP."""

import base64
import json
import time

import httpx
import msgpack
import pytest
from ably import AblyRealtime, AblyRest
from ably.sync import AblyRestSync
from ably.sync.types.message import Message as SyncMessage
from ably.sync.util.exceptions import AblyException
from ably.util.exceptions import AblyException as AsyncAblyException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import DEFAULT_KEY
from emulator.auth import Key, mint_token, parse_key_str
from tests.support.http import basic_auth


def sync_client(emulator, **options):
    options.setdefault("key", emulator.key)
    return AblyRestSync(endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True, **options)


def test_time_and_connectivity_check(emulator):
    assert abs(sync_client(emulator).time() - httpx.get(f"{emulator.url}/time").json()[0]) < 5000
    r = httpx.get(f"{emulator.url}/is-the-internet-up.txt")
    assert r.status_code == 200 and r.text == "yes\n" and r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("binary", [True, False])
def test_token_auth_publish_and_history(emulator, channel_name, binary):
    client = sync_client(emulator, use_binary_protocol=binary)
    channel = client.channels.get(channel_name)
    payload = {"username": "ann", "text": "hi", "date": "2026-01-01T00:00:00Z", "type": "message"}
    channel.publish("message", payload)
    channel.publish("bytes", b"\x00\xffraw")
    items = channel.history().items
    assert [(m.name, m.data) for m in items] == [("bytes", bytearray(b"\x00\xffraw")), ("message", payload)]
    assert all(m.timestamp and m.id for m in items)
    assert client.auth.token_details.token  # it really used a token from requestToken


def test_repeated_message_id_is_stored_once(emulator, channel_name):
    channel = sync_client(emulator).channels.get(channel_name)
    for _ in range(3):
        channel.publish(SyncMessage(name="message", data="once", id="client-chosen-id"))
    channel.publish(SyncMessage(name="message", data="other", id="another-id"))
    assert [m.id for m in channel.history().items] == ["another-id", "client-chosen-id"]


def test_batch_publish_with_sdk_ids_is_idempotent_on_retry(emulator, channel_name):
    url = f"{emulator.url}/channels/{channel_name}/messages"
    body = [{"id": "batch:0", "data": "a"}, {"id": "batch:1", "data": "b"}]
    first = httpx.post(url, json=body, headers=basic_auth(emulator.key))
    again = httpx.post(url, json=body, headers=basic_auth(emulator.key))
    assert first.status_code == again.status_code == 201
    assert first.json()["serials"] == again.json()["serials"]
    assert len(httpx.get(url, headers=basic_auth(emulator.key)).json()) == 2


def test_history_paging_in_both_directions(emulator, channel_name):
    channel = sync_client(emulator).channels.get(channel_name)
    channel.publish([SyncMessage(name=f"m{i}", data=str(i)) for i in range(7)])
    seen, page = [], channel.history(limit=3)
    while True:
        seen += [m.name for m in page.items]
        if not page.has_next():
            break
        page = page.next()
    assert seen == [f"m{i}" for i in reversed(range(7))]
    forwards = channel.history(direction="forwards", limit=4)
    assert [m.name for m in forwards.items] == ["m0", "m1", "m2", "m3"]
    assert [m.name for m in forwards.next().items] == ["m4", "m5", "m6"]


async def test_async_client_json_and_msgpack_see_the_same_data(emulator, channel_name):
    options = {
        "key": emulator.key,
        "endpoint": emulator.host,
        "port": emulator.port,
        "tls": False,
        "use_token_auth": True,
    }
    async with (
        AblyRest(use_binary_protocol=True, **options) as packer,
        AblyRest(use_binary_protocol=False, **options) as jsoner,
    ):
        await packer.channels.get(channel_name).publish("bin", b"\x01\x02")
        await jsoner.channels.get(channel_name).publish("obj", {"k": [1, 2]})
        for client in (packer, jsoner):
            items = (await client.channels.get(channel_name).history(direction="forwards")).items
            assert [(m.name, m.data) for m in items] == [("bin", bytearray(b"\x01\x02")), ("obj", {"k": [1, 2]})]


def test_capability_limits_token_and_is_enforced(emulator, channel_name):
    client = sync_client(emulator, default_token_params={"capability": {channel_name: ["subscribe"]}})
    with pytest.raises(AblyException) as e:
        client.channels.get(channel_name).publish("x", "y")
    assert e.value.code == 40160 and e.value.status_code == 401
    with pytest.raises(AblyException) as e:
        client.channels.get(channel_name).history()
    assert e.value.code == 40160


def test_expired_token_is_renewed_by_the_sdk(emulator, channel_name):
    client = sync_client(emulator, default_token_params={"ttl": 1000})
    channel = client.channels.get(channel_name)
    channel.publish("a", "1")
    first = client.auth.token_details.token
    time.sleep(1.2)
    channel.publish("b", "2")  # 401 40142 -> SDK requests a new token -> retry
    assert client.auth.token_details.token != first
    assert [m.name for m in channel.history().items] == ["b", "a"]


def test_expired_unknown_and_unparseable_tokens(emulator):
    raw = sync_client(emulator).auth.request_token({"ttl": 1}).token
    time.sleep(0.05)
    before_restart = mint_token(Key(*parse_key_str(emulator.key), {}), "an-earlier-run")
    for token, code in ((raw, 40142), (before_restart, 40143), ("A" * 32, 40101), ("not a token!", 40101)):
        r = httpx.get(
            f"{emulator.url}/channels/x/messages",
            headers={"Authorization": "Bearer " + base64.b64encode(token.encode()).decode()},
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == code, token
        assert r.headers["x-ably-errorcode"] == str(code)
    # Through the SDK: a token that is not one is refused outright, not renewed (it has no way to).
    with pytest.raises(AblyException) as e:
        sync_client(emulator, key=None, token="not a token!").channels.get("x").history()
    assert e.value.code == 40101


@pytest.mark.parametrize("capability", [{"channel0": ["publish_"]}, {"channel0": ["*", "publish"]}, {"channel0": []}])
def test_an_invalid_capability_in_a_token_request_is_40000(emulator, capability):
    with pytest.raises(AblyException) as e:
        sync_client(emulator).auth.request_token({"capability": capability})
    assert (e.value.status_code, e.value.code) == (400, 40000)


def test_errors_have_ably_shape_and_bare_content_type(emulator):
    r = httpx.post(
        f"{emulator.url}/channels/x/messages", json={"data": "x"}, headers=basic_auth("local.dev:wrong-secret")
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert set(error) >= {"code", "statusCode", "message", "href"}
    assert r.headers["x-ably-errorcode"] == "40101" and r.headers["x-ably-errormessage"]
    r = httpx.get(f"{emulator.url}/no/such/thing", headers={"Accept": "application/x-msgpack"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/x-msgpack"
    assert msgpack.unpackb(r.content)["error"]["code"] == 40400
    assert httpx.get(f"{emulator.url}/comet/connect").status_code == 404


@pytest.mark.parametrize(
    "body, code",
    [
        (b"{oops", 40000),
        (json.dumps({"data": "x" * 70_000}).encode(), 40009),
        (json.dumps({"data": 5}).encode(), 40013),
        (json.dumps({"data": "x", "encoding": True}).encode(), 40013),
        (json.dumps("just a string").encode(), 40000),
        (json.dumps({"data": "x", "connectionKey": {"not": "a string"}}).encode(), 40006),
        (json.dumps([{"connectionKey": "a!b"}, {"connectionKey": "c!d"}]).encode(), 40006),
        (json.dumps({"data": "x", "extras": {"headers": {"x": 1}}, "connectionKey": "x"}).encode(), 40006),
    ],
)
def test_bad_publish_bodies_are_rejected(emulator, body, code):
    r = httpx.post(
        f"{emulator.url}/channels/x/messages",
        content=body,
        headers={**basic_auth(emulator.key), "Content-Type": "application/json"},
    )
    assert r.json()["error"]["code"] == code and r.status_code == r.json()["error"]["statusCode"]


def test_cors_preflight_and_credentialed_responses(emulator):
    origin = "http://127.0.0.1:3000"
    pre = httpx.options(
        f"{emulator.url}/keys/local.dev/requestToken",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-ably-version,ably-agent",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == origin
    assert pre.headers["access-control-allow-credentials"] == "true"
    assert "x-ably-version" in pre.headers["access-control-allow-headers"]
    r = httpx.get(f"{emulator.url}/channels/x/messages", headers={"Origin": origin, **basic_auth("bad.key:x")})
    assert r.headers["access-control-allow-origin"] == origin
    assert "X-Ably-Errorcode" in r.headers["access-control-expose-headers"]


def test_browser_envelope(emulator, channel_name):
    client = sync_client(emulator)
    client.channels.get(channel_name).publish([SyncMessage(name=f"m{i}") for i in range(3)])
    r = httpx.get(
        f"{emulator.url}/channels/{channel_name}/messages?limit=2&envelope=json", headers=basic_auth(emulator.key)
    )
    assert r.status_code == 200
    body = r.json()
    assert body["statusCode"] == 200 and [m["name"] for m in body["response"]] == ["m2", "m1"]
    assert 'rel="next"' in body["headers"]["link"]
    r = httpx.get(f"{emulator.url}/channels/{channel_name}/messages?envelope=json", headers=basic_auth("bad.key:x"))
    assert r.status_code == 200 and r.json()["statusCode"] == 401
    assert r.json()["response"]["error"]["code"] == 40101


def test_request_token_checks(emulator):
    client = sync_client(emulator)
    req = client.auth.create_token_request({"client_id": "ann"}).to_dict()
    url = f"{emulator.url}/keys/{req['keyName']}/requestToken"
    ok = httpx.post(url, json=req)
    assert ok.status_code == 200 and ok.json()["clientId"] == "ann"
    assert httpx.post(url, json=req).json()["error"]["code"] == 40105  # nonce reused
    forged = dict(req, nonce="f" * 16)
    assert httpx.post(url, json=forged).json()["error"]["code"] == 40101  # MAC no longer matches


def test_provisioned_apps_are_isolated_and_deletable(emulator):
    spec = {
        "keys": [{}, {"capability": json.dumps({"public": ["subscribe", "history"]})}],
        "namespaces": [{"id": "persisted", "persisted": True}],
        "channels": [
            {
                "name": "persisted:fixtures",
                "presence": [
                    {"clientId": "client_string", "data": "a string"},
                    {"clientId": "client_json", "data": '{"test":1}', "encoding": "json"},
                    {"clientId": "client_encoded", "data": "AAEC", "encoding": "json/utf-8/cipher+aes-128-cbc/base64"},
                ],
            }
        ],
    }
    r = httpx.post(f"{emulator.url}/apps", json=spec)
    assert r.status_code == 201
    app = r.json()
    assert app["appId"] and app["accountId"] and len(app["keys"]) == 2
    full, limited = app["keys"]
    assert full["keyStr"] == f"{full['keyName']}:{full['value']}" == f"{app['appId']}.{full['id']}:{full['value']}"
    assert json.loads(limited["capability"]) == {"public": ["subscribe", "history"]}

    own = sync_client(emulator, key=full["keyStr"])
    own.channels.get("shared-name").publish("m", "in the new app")
    assert sync_client(emulator).channels.get("shared-name").history().items == []
    members = own.channels.get("persisted:fixtures").presence.get().items
    assert ("client_json", {"test": 1}) in [(m.client_id, m.data) for m in members]
    assert {m.action for m in members} == {1}  # present
    history = own.channels.get("persisted:fixtures").presence.history().items
    assert sorted((m.client_id, m.action) for m in history) == [
        ("client_encoded", 2),
        ("client_json", 2),
        ("client_string", 2),
    ]  # entered
    url = f"{emulator.url}/channels/persisted%3Afixtures/presence"
    filtered = httpx.get(f"{url}?clientId=client_string", headers=basic_auth(full["keyStr"])).json()
    assert [(m["clientId"], m["data"]) for m in filtered] == [("client_string", "a string")]
    as_json = httpx.get(url, headers=basic_auth(full["keyStr"])).json()
    assert sorted(m["clientId"] for m in as_json) == ["client_encoded", "client_json", "client_string"]
    encoded = next(m for m in as_json if m["clientId"] == "client_encoded")
    assert (encoded["data"], encoded["encoding"]) == ("AAEC", "json/utf-8/cipher+aes-128-cbc/base64")
    as_msgpack = msgpack.unpackb(
        httpx.get(url, headers={**basic_auth(full["keyStr"]), "Accept": "application/x-msgpack"}).content
    )
    encoded = next(m for m in as_msgpack if m["clientId"] == "client_encoded")
    assert (encoded["data"], encoded["encoding"]) == (b"\x00\x01\x02", "json/utf-8/cipher+aes-128-cbc")
    with pytest.raises(AblyException) as e:
        sync_client(emulator, key=limited["keyStr"]).channels.get("public").publish("m", "x")
    assert e.value.code == 40160

    assert httpx.delete(f"{emulator.url}/apps/{app['appId']}", headers=basic_auth(DEFAULT_KEY)).status_code == 401
    assert httpx.delete(f"{emulator.url}/apps/{app['appId']}", headers=basic_auth(full["keyStr"])).status_code == 204
    r = httpx.get(f"{emulator.url}/channels/shared-name/messages", headers=basic_auth(full["keyStr"]))
    assert r.json()["error"]["code"] == 40101


async def test_unknown_key_is_refused_for_async_client(emulator):
    async with AblyRest(
        key="local.nope:x", endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True
    ) as client:
        with pytest.raises(AsyncAblyException) as e:
            await client.channels.get("x").publish("a", "b")
    assert e.value.code == 40101


async def test_presence_history_and_channel_details_over_rest(emulator, channel_name):
    member = AblyRealtime(key=emulator.key, endpoint=f"{emulator.host}:{emulator.port}", tls=False, client_id="pat")
    try:
        channel = member.channels.get(channel_name)
        await channel.presence.enter("first")
        await channel.presence.update("second")
        async with AblyRest(
            key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True
        ) as client:
            history = await client.channels.get(channel_name).presence.history(direction="forwards")
            assert [(m.action, m.data) for m in history.items] == [(2, "first"), (4, "second")]
            members = (await client.channels.get(channel_name).presence.get()).items
            assert [(m.client_id, m.data) for m in members] == [("pat", "second")]
        r = httpx.get(f"{emulator.url}/channels/{channel_name}", headers=basic_auth(emulator.key))
        occupancy = r.json()["status"]["occupancy"]["metrics"]
        assert occupancy["presenceMembers"] == 1 and occupancy["connections"] == 1
    finally:
        await member.close()


@pytest.fixture(scope="module")
def http():
    with httpx.Client() as client:  # one client: building one per request is slow
        yield client


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        [
            "/channels/fuzz/messages",
            "/keys/local.dev/requestToken",
            "/apps",
            "/messages",
            "/channels/fuzz/presence",
            "/channels/f%2Fz/messages?limit=x",
            "/time",
            "/channels?prefix=f&limit=2&by=value",
            "/channels?cursor=%FF&limit=%C2%B2",
            "/channels/fuzz",
            "/presence?channels=fuzz,%5Bx&separator=%00",
        ]
    ),
    method=st.sampled_from(["GET", "POST"]),
    body=json_values,
    fmt=st.sampled_from(["application/json", "application/x-msgpack"]),
)
def test_arbitrary_rest_requests_get_ably_answers(emulator, http, path, method, body, fmt):
    content = msgpack.packb(body) if fmt.endswith("msgpack") else json.dumps(body).encode()
    r = http.request(
        method,
        f"{emulator.url}{path}",
        content=content,
        headers={**basic_auth(emulator.key), "Content-Type": fmt, "Accept": fmt},
    )
    assert r.status_code < 500, r.text
    decoded = msgpack.unpackb(r.content) if fmt.endswith("msgpack") else r.json()
    if r.status_code >= 400:
        assert decoded["error"]["code"] // 100 == r.status_code
