import pytest

from chat import config, publisher
from chat.ratelimit import Rate, RateLimiter
from tests.support.emulator import running_emulator
from tests.support.functions import load_function


@pytest.fixture(scope="module")
def emulator():
    with running_emulator() as running:
        yield running


@pytest.fixture
def send_message_to(monkeypatch):
    """A factory: POST /api/sendMessage in-process, publishing to the Ably service at `endpoint` with
    `key`, rate limits lifted (they have their own tests)."""

    def send_message_to(endpoint: str, key: str):
        monkeypatch.setenv("ABLY_API_KEY", key)
        monkeypatch.setenv("ABLY_ENDPOINT", endpoint)
        config.ably_settings.cache_clear()
        monkeypatch.setattr(publisher, "_client", None)
        module = load_function("api/sendMessage.py")
        unlimited = RateLimiter(Rate(burst=10**9, per_second=10**9))
        monkeypatch.setattr(module, "per_ip", unlimited)
        monkeypatch.setattr(module, "per_user", unlimited)
        client = module.app.test_client()
        return lambda body: client.post("/api/sendMessage", json=body)

    yield send_message_to
    config.ably_settings.cache_clear()


@pytest.fixture
def send_message(emulator, send_message_to):
    """POST /api/sendMessage in-process against the emulator, rate limits lifted (they have their own tests)."""
    return send_message_to(emulator.url, emulator.key)
