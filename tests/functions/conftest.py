"""Fixtures for driving the functions in api/ through Flask, each test with a fresh app built as the
function file builds it (chat.web.create_app), but with the test's own settings."""

import base64
import json
import urllib.request

import pytest

from chat.config import Settings
from chat.limits import Limits
from chat.sessions import Sessions, new_claim_id
from chat.web import create_app
from tests.support.emulator import running_emulator
from tests.support.functions import load_function

TEST_KEY = "testapp.testkey:test-secret-value"
TEST_SECRET = TEST_KEY.split(":")[1]


def settings_with(**environ) -> Settings:
    """Settings as a function reads them from an environment holding `environ` (and a test key)."""
    return Settings.from_environment({"ABLY_API_KEY": TEST_KEY, **environ})


def session_header(settings: Settings, name: str = "Ana", room: str = "general", claim: str | None = None) -> dict:
    """An Authorization header with a session for `name` in `room`, as POST /api/session signs it."""
    token = Sessions(settings).issue(name, room, claim or new_claim_id())
    return {"Authorization": f"Bearer {token}"}


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


@pytest.fixture(scope="module")
def emulator():
    with running_emulator() as running:
        yield running


@pytest.fixture
def on_emulator(emulator):
    """Settings that point the functions at the test's emulator."""
    return Settings.from_environment({"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url})


@pytest.fixture
def unlimited():
    """A real limiter that allows far more than any person sends (limits have their own tests)."""
    return Limits(scale=10**6)


def provision_app(emulator, channels: dict[str, list[dict]] | None = None) -> Settings:
    """A fresh emulator app whose channels already hold presence members (Ably sandbox fixtures),
    and settings for its key: a room where people are present, without connecting them."""
    spec = {"channels": [{"name": name, "presence": members} for name, members in (channels or {}).items()]}
    request = urllib.request.Request(f"{emulator.url}/apps", data=json.dumps(spec).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        key = json.load(response)["keys"][0]["keyStr"]
    return Settings.from_environment({"ABLY_API_KEY": key, "ABLY_ENDPOINT": emulator.url})


def basic_auth(key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode()}
