"""The realtime service goes away and comes back: clients notice, reconnect by themselves, and chat on.

The emulator runs on a fixed port with a history file; it is stopped with SIGTERM and a new one is
started on the same port with the same key. Connections and tokens do not survive that (only history
does), so the page has to fetch a new token, the Node client gets a new connection, and a warm
function has to renew the token it holds.
"""

import contextlib
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from devtools.app import running_app
from devtools.chromium import running_chromium
from devtools.emulator import running_emulator
from devtools.tcp_ports import free_port
from tests.reliability.helpers import ChatWatcher
from tests.support import chat_api

# ably-js retries a lost connection once at once, then every 15 s (disconnectedRetryTimeout).
RECONNECT_TIMEOUT_S = 60
TIMEOUT_MS = 20_000  # for the page to show something; the machine may be busy

# Keeps every value the connection indicator takes, so a short outage cannot slip between two polls.
RECORD_CONNECTION_STATES = """() => {
  const status = document.getElementById('connection-status');
  window.connectionStates = [status.dataset.state];
  new MutationObserver(() => window.connectionStates.push(status.dataset.state))
    .observe(status, { attributes: true, attributeFilter: ['data-state'] });
}"""


class EmulatorOnFixedPort:
    """The emulator on one port, with one key and one history file, that a test stops and starts again."""

    def __init__(self, port: int, key: str, history_file: Path):
        self.url = f"http://127.0.0.1:{port}"
        self.key = key
        self._args = ("--port", str(port), "--history-file", str(history_file))
        self._running = contextlib.ExitStack()

    def start(self) -> None:
        self._running.enter_context(running_emulator(*self._args, key=self.key))

    def stop(self) -> None:
        self._running.close()  # SIGTERM; running_emulator checks that it exited cleanly

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def emulator_on_fixed_port(tmp_path):
    emulator = EmulatorOnFixedPort(
        free_port(), f"restart.dev:{secrets.token_urlsafe(24)}", tmp_path / "history.sqlite3"
    )
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def new_page():
    """Pages in fresh browser contexts (separate people); fails the test on any uncaught script error."""
    errors = []
    with running_chromium() as browser:

        def new_page():
            page = browser.new_context().new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            return page

        yield new_page
    assert not errors, errors


def join(page, app, name: str) -> None:
    page.goto(app.url)
    page.fill("#username", name)
    page.press("#username", "Enter")
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "connected", timeout=TIMEOUT_MS)


def expect_shown_once(page, text: str) -> None:
    rows = page.locator("#messages li").filter(has=page.get_by_text(text, exact=True))
    expect(rows).to_have_count(1, timeout=TIMEOUT_MS)


def post_message(app, text: str) -> str:
    """Sends as Bo through the app's own functions; returns the message's Ably id."""
    return chat_api.post_message(app, "Bo", text)["id"]


def test_page_and_node_client_reconnect_by_themselves_after_the_emulator_restarts(emulator_on_fixed_port, new_page):
    with (
        running_app(key=emulator_on_fixed_port.key, endpoint=emulator_on_fixed_port.url) as app,
        ChatWatcher(emulator_on_fixed_port.url, emulator_on_fixed_port.key) as watcher,
    ):
        page = new_page()
        join(page, app, "Ana")
        before = post_message(app, "said before the restart")
        expect_shown_once(page, "said before the restart")
        watcher.wait_for_message(before)
        page.evaluate(RECORD_CONNECTION_STATES)
        watcher_states_before = len(watcher.states)

        emulator_on_fixed_port.restart()

        status = page.locator("#connection-status")
        expect(status).to_have_attribute("data-state", "connected", timeout=RECONNECT_TIMEOUT_S * 1000)
        page_states = page.evaluate("window.connectionStates")
        assert set(page_states) - {"connected"}, f"the page never showed the connection was lost: {page_states}"
        watcher.wait_until(
            lambda: watcher.states[watcher_states_before:][-1:] == ["connected"],
            RECONNECT_TIMEOUT_S,
            "the Node client was connected again",
        )
        watcher_states = watcher.states[watcher_states_before:]
        assert "disconnected" in watcher_states or "connecting" in watcher_states

        # Through the function and through the page.
        after = post_message(app, "said after the restart")
        page.fill("#message", "typed after the restart")
        page.press("#message", "Enter")
        expect_shown_once(page, "said after the restart")
        expect_shown_once(page, "typed after the restart")
        watcher.wait_for_message(after)
        # Catching up after the reconnect did not show the earlier message twice,
        expect_shown_once(page, "said before the restart")
        # and someone joining now still sees it: the history file outlived the first emulator_on_fixed_port.
        latecomer = new_page()
        join(latecomer, app, "Cy")
        expect_shown_once(latecomer, "said before the restart")
        expect_shown_once(latecomer, "typed after the restart")

    print(
        f"\nemulator restart: page went {' -> '.join(page_states)}; "
        f"Node client went {' -> '.join(watcher_states)}; messages before and after the restart shown once"
    )


def test_a_warm_function_keeps_publishing_after_the_emulator_restarts(emulator_on_fixed_port, send_message_to):
    send = send_message_to(emulator_on_fixed_port.url, emulator_on_fixed_port.key)
    assert send({"username": "Ana", "message": "before", "id": "warm-before"}).status_code == 200

    emulator_on_fixed_port.restart()  # the connection the function keeps alive is gone with it

    response = send({"username": "Ana", "message": "after", "id": "warm-after"})
    assert response.status_code == 200, response.get_json()
