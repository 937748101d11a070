"""The functions served by the real `vercel dev`, as `make dev` runs them, against the emulator."""

import uuid

import httpx

http = httpx.Client(timeout=30)
from ably.sync.rest.rest import AblyRestSync

from emulator import DEFAULT_KEY


def test_static_pages_carry_the_security_headers(live_app):
    response = http.get(live_app.url + "/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "wss://*.ably.io" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_auth_names_the_local_emulator(live_app):
    response = http.get(live_app.url + "/api/ably/auth", params={"clientId": "Ana"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Realtime-Endpoint"] == live_app.emulator_url
    assert response.json()["keyName"] == DEFAULT_KEY.split(":")[0]
    assert DEFAULT_KEY.split(":")[1] not in response.text


def test_send_message_publishes_to_the_emulator(live_app):
    message_id = str(uuid.uuid4())
    response = http.post(live_app.url + "/api/sendMessage",
                          json={"username": "Ana", "message": "through vercel dev", "id": message_id})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    host, port = live_app.emulator_url.removeprefix("http://").split(":")
    rest = AblyRestSync(key=DEFAULT_KEY, endpoint=host, port=int(port), tls=False, use_token_auth=True)
    history = rest.channels.get("chat").history(limit=1000).items
    assert [m.data["text"] for m in history if m.id == message_id] == ["through vercel dev"]


def test_errors_are_json_without_stack_traces(live_app):
    bad = http.post(live_app.url + "/api/sendMessage", content="{oops", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["message"]
    assert "Traceback" not in bad.text
    wrong_method = http.get(live_app.url + "/api/sendMessage")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST"
    assert http.get(live_app.url + "/api/doesNotExist").status_code == 404
