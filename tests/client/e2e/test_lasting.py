"""History that lasts and outages told honestly, from the user's side: the app as `make dev` runs it, on an
emulator of this module's own (so it can be frozen, and its ordinary retention made short) with the channel
rules `make dev` sets: `chat` and `chat:*` persisted, other channels kept for ORDINARY_RETENTION_S only.
"""

import json
import os
import secrets
import signal
import time
import urllib.request
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from devtools.app import running_app
from devtools.emulator import MUTABLE_RULES, PERSISTED_RULES, running_emulator
from tests.client.e2e.chat_helpers import message_row, send
from tests.support.chat_api import post_message
from tests.support.http import basic_auth

ORDINARY_RETENTION_S = 2
# The detector reports a freeze within 1.9 s at worst: tests/client/unit/liveness.test.mjs proves that on a
# fake clock, at every moment of a ping cycle. Here, on a real and possibly loaded machine, the bound only
# shows that the page's detector is wired in, far ahead of ably-js's own ~25 s.
LABEL_CHANGE_MS = 5_000
PAGE_SIZE = 50
HISTORY_LENGTH = 200


@pytest.fixture(scope="module")
def emulator():
    key = f"lasting.dev:{secrets.token_urlsafe(24)}"
    with running_emulator(
        "--history-ttl", str(ORDINARY_RETENTION_S), *MUTABLE_RULES, *PERSISTED_RULES, key=key
    ) as running:
        yield running


@pytest.fixture(scope="module")
def live_app(emulator):
    """Overrides the shared app: this one talks to the module's emulator (conftest's `join` uses it)."""
    with running_app(key=emulator.key, endpoint=emulator.url) as app:
        yield app


def emulator_rest(emulator, method: str, path: str, body=None):
    request = urllib.request.Request(
        f"{emulator.url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **basic_auth(emulator.key)},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def message_texts(page):
    return page.locator(".entry--message .entry__text").all_inner_texts()


def test_a_frozen_service_shows_at_once_and_a_message_written_meanwhile_arrives_once(emulator, join, tag):
    room = f"freeze-{tag}"
    ana, bo = join(f"Ana {tag}", room=room), join(f"Bo {tag}", room=room)
    text = f"written during the outage {tag}"
    os.kill(emulator.process.pid, signal.SIGSTOP)
    try:
        expect(ana.locator("#connection-label")).not_to_have_text("Live", timeout=LABEL_CHANGE_MS)
        send(ana, text)
        waiting = message_row(ana, text)
        expect(waiting).to_have_attribute("data-status", "waiting")
        expect(waiting.locator(".entry__delivery")).to_have_text("Waiting for connection…")
    finally:
        os.kill(emulator.process.pid, signal.SIGCONT)
    for page in (ana, bo):
        expect(message_row(page, text)).to_have_attribute("data-status", "delivered")
        expect(page.locator("#connection-label")).to_have_text("Live")
    for page in (ana, bo):
        assert message_texts(page).count(text) == 1
        expect(page.get_by_text("Not sent")).to_have_count(0)
    history = emulator_rest(emulator, "GET", f"/channels/chat:{room}/messages?limit=100")
    assert [json.loads(m["data"])["text"] for m in history].count(text) == 1  # published once


def test_a_late_joiner_reads_a_conversation_older_than_the_ordinary_retention(emulator, live_app, join, tag):
    room = f"late-{tag}"
    conversation = [f"hello {tag}", f"hi there {tag}", f"see you tomorrow {tag}"]
    for number, text in enumerate(conversation):
        post_message(live_app, f"{('Ana', 'Bo')[number % 2]} {tag}", text, room=room)
    # The same moment on a channel without the rule: its history goes once the ordinary retention is over.
    unpersisted = f"/channels/plain-{tag}/messages"
    emulator_rest(emulator, "POST", unpersisted, {"name": "message", "data": "said without the rule"})
    deadline = time.monotonic() + 30
    while emulator_rest(emulator, "GET", unpersisted):
        assert time.monotonic() < deadline, "the ordinary retention never ended"
        time.sleep(0.2)

    late = join(f"Cy {tag}", room=room)
    for text in conversation:
        expect(message_row(late, text)).to_have_count(1)
    assert message_texts(late) == conversation
    expect(late.locator("#empty")).to_be_hidden()


def test_load_earlier_messages_reaches_the_first_of_200(emulator, join, tag):
    room = f"long-{tag}"
    texts = [f"message {number} of {HISTORY_LENGTH} {tag}" for number in range(1, HISTORY_LENGTH + 1)]
    for number, text in enumerate(texts, start=1):  # one request each, as people send them
        data = {"username": f"Bot{number % 5} {tag}", "text": text, "date": datetime.now(UTC).isoformat()}
        message = {"name": "message", "id": f"{tag}-{number}", "data": json.dumps({**data, "type": "message"})}
        emulator_rest(emulator, "POST", f"/channels/chat:{room}/messages", dict(message, encoding="json"))

    reader = join(f"Reader {tag}", room=room)
    expect(message_row(reader, texts[-1])).to_have_count(1)
    earlier = reader.get_by_role("button", name="Load earlier messages")
    pages_read = 0
    while message_row(reader, texts[0]).count() == 0:
        assert pages_read < HISTORY_LENGTH // PAGE_SIZE, "more pages than the history holds"
        shown = len(message_texts(reader))
        earlier.click()
        expect(reader.locator(".entry--message")).not_to_have_count(shown)  # the page has arrived
        pages_read += 1
    assert message_texts(reader) == texts
    expect(earlier).to_be_hidden()  # nothing earlier than message 1
