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
def send_message(emulator, monkeypatch):
    """POST /api/sendMessage in-process against the emulator, rate limits lifted (they have their own tests)."""
    monkeypatch.setenv("ABLY_API_KEY", emulator.key)
    monkeypatch.setenv("ABLY_ENDPOINT", emulator.url)
    config.ably_settings.cache_clear()
    monkeypatch.setattr(publisher, "_client", None)
    module = load_function("api/sendMessage.py")
    unlimited = RateLimiter(Rate(burst=10**9, per_second=10**9))
    monkeypatch.setattr(module, "per_ip", unlimited)
    monkeypatch.setattr(module, "per_user", unlimited)
    client = module.app.test_client()
    yield lambda body: client.post("/api/sendMessage", json=body)
    config.ably_settings.cache_clear()
