"""Helpers for driving the chat page and the API from tests."""

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"


def wait_until_live(page: Page) -> None:
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected")
    expect(page.locator(".entry--notification", has_text="Connected to chat!")).to_have_count(1)


def send(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")


def message_row(page: Page, text: str):
    """The row of the chat message whose whole text is `text`."""
    return page.locator(".entry--message").filter(has=page.get_by_text(text, exact=True))


def call_api(app, path: str, body: dict, session: str | None = None) -> dict:
    """POSTs JSON to one of the app's functions, as the page does, waiting out rate limits."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {session}"} if session else {})}
    request = urllib.request.Request(f"{app.url}{path}", data=json.dumps(body).encode(), headers=headers,
                                     method="POST")
    for _ in range(30):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(float(error.headers.get("Retry-After", "1")))
    raise AssertionError(f"still rate-limited after 30 tries: {path}")


_sessions: dict[tuple, str] = {}


def claim_name(app, username: str, room: str = "general") -> str:
    """A session for `username` in `room`, claimed once per app (the name must be free)."""
    key = (app.url, username, room)
    if key not in _sessions:
        _sessions[key] = call_api(app, "/api/session", {"username": username, "room": room})["session"]
    return _sessions[key]


def post_message(app, username: str, text: str, room: str = "general") -> dict:
    """Sends through the API as the browser does, as `username` (who is not in the room)."""
    return call_api(app, "/api/sendMessage", {"message": text, "id": secrets.token_hex(16)},
                    session=claim_name(app, username, room))


def publish_directly(app, messages: list[dict]) -> None:
    """Publishes to `chat` on the emulator with the app's key, skipping our API and its checks:
    what a buggy or hostile publisher could put on the channel."""
    request = urllib.request.Request(
        f"{app.emulator_url}/channels/chat/messages", data=json.dumps(messages).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(app.key.encode()).decode()},
        method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def save_screenshot(page: Page, *paths: Path) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
