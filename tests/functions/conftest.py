"""Fixtures for driving the functions in api/ through Flask, each test with a fresh app built as the
function file builds it (chat.web.create_app), but with the test's own settings. The apps of one
test share one fresh record of who holds which name (tests/conftest.py starts it afresh)."""

import pytest

from chat.config import Settings
from chat.web import create_app
from devtools.functions import generous_limits, load_function
from tests.functions.helpers import session_header, settings_with


@pytest.fixture
def function():
    """A factory: a Flask test client for one of api/*.py with the given settings and collaborators."""

    def function(path: str, settings: Settings | None = None, **collaborators):
        routes = load_function(path).routes
        return create_app(routes, settings=settings or settings_with(), **collaborators).test_client()

    return function


@pytest.fixture
def send_client(function):
    return function("api/sendMessage.py")


@pytest.fixture
def auth_client(function):
    return function("api/ably/auth.py")


@pytest.fixture
def ana():
    """Ana's session header for the default settings."""
    return session_header(settings_with())


@pytest.fixture
def on_emulator(emulator):
    """Settings that point the functions at the test's emulator."""
    return Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})


@pytest.fixture
def unlimited():
    """A real limiter that allows far more than any person sends (limits have their own tests)."""
    return generous_limits()
