"""The functions served by the real `vercel dev`, as `make dev` runs them, against the emulator."""

import uuid

import httpx
import pytest
from ably.sync.rest.rest import AblyRestSync

from tests.support.functions import ROOT


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=30) as client:
        yield client


def test_static_pages_carry_the_security_headers(live_app, http):
    response = http.get(live_app.url + "/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "wss://*.ably.io" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_auth_names_the_local_emulator(live_app, http):
    response = http.get(live_app.url + "/api/ably/auth", params={"clientId": "Ana"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Realtime-Endpoint"] == live_app.emulator_url
    assert response.json()["keyName"] == live_app.key.split(":")[0]


def test_send_message_publishes_to_the_emulator(live_app, http):
    message_id = str(uuid.uuid4())
    response = http.post(live_app.url + "/api/sendMessage",
                         json={"username": "Ana", "message": "through vercel dev", "id": message_id})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    host, port = live_app.emulator_url.removeprefix("http://").split(":")
    rest = AblyRestSync(key=live_app.key, endpoint=host, port=int(port), tls=False, use_token_auth=True)
    history = rest.channels.get("chat").history(limit=1000).items
    assert [m.data["text"] for m in history if m.id == message_id] == ["through vercel dev"]


def test_errors_are_json_without_stack_traces(live_app, http):
    bad = http.post(live_app.url + "/api/sendMessage", content="{oops", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    assert "Traceback" not in bad.text
    wrong_method = http.get(live_app.url + "/api/sendMessage")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST"
    assert http.get(live_app.url + "/api/doesNotExist").status_code == 404


def test_the_key_secret_appears_in_no_response(live_app, http):
    secret = live_app.key.split(":")[1]
    static_paths = ["/" + str(path.relative_to(ROOT / "public")) for path in (ROOT / "public").rglob("*")
                    if path.is_file()]
    requests = [("GET", path, None) for path in ["/", "/index.html", "/.env", "/vercel.json", *static_paths]]
    requests += [
        ("GET", "/api/ably/auth?clientId=Ana", None), ("GET", "/api/ably/auth?clientId=", None),
        ("POST", "/api/ably/auth", None), ("POST", "/api/sendMessage", {"username": "Ana", "message": "hi"}),
        ("POST", "/api/sendMessage", {"username": "server", "message": "hi"}), ("PUT", "/api/sendMessage", None),
        ("POST", "/api/sendMessage", "x" * 20000), ("GET", "/api/nothing", None),
    ]
    for method, path, body in requests:
        response = http.request(method, live_app.url + path, **(
            {"json": body} if isinstance(body, dict) else {"content": body or b""}))
        assert response.status_code < 500, (method, path, response.text)
        seen = response.text + "".join(f"{k}: {v}" for k, v in response.headers.items())
        assert secret not in seen, (method, path)
