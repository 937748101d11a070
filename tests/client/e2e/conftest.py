"""Real headless Chromium against the whole app as `make dev` serves it (emulator + vercel dev).

Every test shares one app and so one `chat` channel: tests tell their own people and messages
apart with a fresh tag, never by counting what is on the channel.
"""

import contextlib
import secrets

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from devtools.chromium import running_chromium
from tests.client.e2e.chat_helpers import wait_until_live

# The first send builds the sendMessage function, which takes a few seconds.
TIMEOUT_MS = 20_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="package")
def browser():
    # Package scope, not session: Playwright's sync API keeps an event loop running while it is
    # open, and later suites (ably-python, aiohttp) need to start their own.
    with running_chromium() as browser:
        yield browser


@pytest.fixture
def tag():
    """A short token unique to the test, for names and message texts."""
    return secrets.token_hex(2)


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (separate storage: separate people). Fails the test on
    any uncaught script error or Content-Security-Policy violation."""
    contexts, problems = [], []

    def new_page(*, context=None, **context_options) -> Page:
        if context is None:
            context = browser.new_context(**{"viewport": {"width": 1000, "height": 700}, **context_options})
            contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and problems.append(f"CSP: {message.text}"),
        )
        return page

    yield new_page
    for context in contexts:
        for page in context.pages:
            with contextlib.suppress(PlaywrightError):  # a page the test closed may still be closing
                page.goto("about:blank")  # unloads like a closed tab: the person leaves at once
        context.close()
    assert not problems, problems


@pytest.fixture
def join(live_app, new_page):
    """Opens the app (the lobby, or `room`'s link), enters `name` and waits until the room is live."""

    def join(name: str, page: Page | None = None, room: str | None = None, **context_options) -> Page:
        page = page or new_page(**context_options)
        page.goto(f"{live_app.url}/r/{room}" if room else live_app.url)
        page.fill("#username", name)
        page.press("#username", "Enter")
        wait_until_live(page)
        return page

    return join
