import pytest

from chat import config, publisher
from tests.support.functions import load_function

TEST_KEY = "testapp.testkey:test-secret-value"


@pytest.fixture
def configure(monkeypatch):
    """Set the Ably environment for one test, as a fresh function instance would read it."""

    def apply(key: str | None = TEST_KEY, endpoint: str | None = None, token_ttl: str | None = None):
        # An empty value counts as unset and, unlike a missing one, is never filled in from
        # a developer's .env file, which keeps these tests hermetic.
        monkeypatch.setenv("ABLY_API_KEY", key or "")
        monkeypatch.setenv("ABLY_ENDPOINT", endpoint or "")
        monkeypatch.setenv("ABLY_TOKEN_TTL", token_ttl or "")
        config.ably_settings.cache_clear()
        monkeypatch.setattr(publisher, "_client", None)

    apply()
    yield apply
    config.ably_settings.cache_clear()


@pytest.fixture
def send_client(configure):
    return load_function("api/sendMessage.py").app.test_client()


@pytest.fixture
def auth_client(configure):
    return load_function("api/ably/auth.py").app.test_client()
