"""The chat functions in this process, loaded as Vercel loads them and pointed at an emulator."""

import os

import chat.publisher
from chat.config import ably_settings
from chat.ratelimit import Rate, RateLimiter
from tests.support.functions import load_function

# The benchmarks send far more than one person could; the limiters still run, they just never refuse.
UNLIMITED = Rate(burst=10**9, per_second=10**9)


def use_emulator(emulator) -> None:
    """Point chat.config at `emulator` (settings are cached per process, so reset them)."""
    os.environ["ABLY_API_KEY"] = emulator.key
    os.environ["ABLY_ENDPOINT"] = emulator.url
    ably_settings.cache_clear()
    chat.publisher._client = None  # the process-wide REST client of an earlier emulator


def send_message_function():
    """A fresh copy of api/sendMessage.py whose rate limits never refuse a benchmark request."""
    module = load_function("api/sendMessage.py")
    module.per_ip = RateLimiter(UNLIMITED)
    module.per_user = RateLimiter(UNLIMITED)
    return module
