"""The functions served by the real `vercel dev`, as `make dev` runs them, against the emulator."""

import json
import re
import uuid

import httpx
import pytest
from ably.sync.rest.rest import AblyRestSync

from devtools import ROOT


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=60) as client:
        yield client


def claim(live_app, http, name, room="general"):
    response = http.post(live_app.url + "/api/session", json={"username": name, "room": room})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['session']}"}


def test_static_pages_carry_the_security_headers(live_app, http):
    response = http.get(live_app.url + "/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "wss://*.ably.io" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_claimed_session_gets_a_token_that_names_the_local_emulator(live_app, http):
    name = f"Vera {uuid.uuid4().hex[:4]}"
    headers = claim(live_app, http, name)
    response = http.get(live_app.url + "/api/ably/auth", headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Realtime-Endpoint"] == live_app.emulator_url
    assert response.json()["keyName"] == live_app.key.split(":")[0]
    assert response.json()["clientId"] == name
    assert http.get(live_app.url + "/api/ably/auth", params={"clientId": "*"}, headers=headers).status_code == 400
    assert http.get(live_app.url + "/api/ably/auth", params={"clientId": "Someone"}, headers=headers).status_code == 403
    assert http.get(live_app.url + "/api/ably/auth").status_code == 401


def test_send_message_publishes_to_the_emulator(live_app, http):
    headers = claim(live_app, http, f"Vic {uuid.uuid4().hex[:4]}", room="vercel-dev")
    browser_id = str(uuid.uuid4())
    response = http.post(
        live_app.url + "/api/sendMessage", headers=headers, json={"message": "through vercel dev", "id": browser_id}
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    host, port = live_app.emulator_url.removeprefix("http://").split(":")
    rest = AblyRestSync(key=live_app.key, endpoint=host, port=int(port), tls=False, use_token_auth=True)
    history = rest.channels.get("chat:vercel-dev").history(limit=1000).items
    assert [m.data["text"] for m in history if m.id == response.json()["id"]] == ["through vercel dev"]
    anonymous = http.post(live_app.url + "/api/sendMessage", json={"username": "Vic", "message": "forged"})
    assert anonymous.status_code == 401


def test_errors_are_json_without_stack_traces(live_app, http):
    bad = http.post(live_app.url + "/api/session", content="{oops", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    assert "Traceback" not in bad.text
    wrong_method = http.get(live_app.url + "/api/sendMessage")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST"
    assert http.get(live_app.url + "/api/doesNotExist").status_code == 404


def test_the_key_secret_appears_in_no_response(live_app, http):
    secret = live_app.key.split(":")[1]
    static_paths = [
        "/" + str(path.relative_to(ROOT / "public")) for path in (ROOT / "public").rglob("*") if path.is_file()
    ]
    requests = [("GET", path, None) for path in ["/", "/index.html", "/.env", "/vercel.json", *static_paths]]
    requests += [
        ("GET", "/api/ably/auth?clientId=Ana", None),
        ("GET", "/api/ably/auth?clientId=", None),
        ("POST", "/api/ably/auth", None),
        ("POST", "/api/sendMessage", {"username": "Ana", "message": "hi"}),
        ("POST", "/api/session", {"username": "server"}),
        ("POST", "/api/session", {"username": "*"}),
        ("PUT", "/api/sendMessage", None),
        ("POST", "/api/sendMessage", "x" * 20000),
        ("GET", "/api/nothing", None),
        ("GET", "/api/rooms", None),
        ("GET", "/r/some-room", None),
    ]
    for method, path, body in requests:
        response = http.request(
            method, live_app.url + path, **({"json": body} if isinstance(body, dict) else {"content": body or b""})
        )
        assert response.status_code < 500, (method, path, response.text)
        seen = response.text + "".join(f"{k}: {v}" for k, v in response.headers.items())
        assert secret not in seen, (method, path)


def test_production_allows_only_ably_and_make_dev_adds_just_its_emulator(live_app, http):
    config = json.loads((ROOT / "vercel.json").read_text())
    production = next(
        header["value"]
        for rule in config["headers"]
        for header in rule["headers"]
        if header["key"] == "Content-Security-Policy"
    )
    assert not re.search(r"localhost|127\.0\.0\.1|\[::1\]|http://|ws://", production)
    local = http.get(live_app.url + "/").headers["Content-Security-Policy"]
    websocket = live_app.emulator_url.replace("http://", "ws://")
    assert f"connect-src {live_app.emulator_url} {websocket} 'self' https://*.ably.io" in local.replace("  ", " ")
    assert local.count("127.0.0.1") == 2  # the emulator's one port, nothing else local
