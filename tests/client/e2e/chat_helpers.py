"""Helpers for driving the chat page from the browser tests."""

import json
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect

from devtools import ROOT
from tests.support.http import basic_auth

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


def publish_directly(app, messages: list[dict]) -> None:
    """Publishes to `chat` on the emulator with the app's key, skipping our API and its checks:
    what a buggy or hostile publisher could put on the channel."""
    request = urllib.request.Request(
        f"{app.emulator_url}/channels/chat/messages",
        data=json.dumps(messages).encode(),
        headers={"Content-Type": "application/json", **basic_auth(app.key)},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


def save_screenshot(page: Page, *paths: Path) -> None:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
