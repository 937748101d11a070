"""Short-lived browser tokens, with the functions served over real HTTP (Werkzeug) and ably-js as the
browser's SDK: a token that runs out is renewed through the token function and the connection
resumes with nothing lost; an expired token is refused."""

import contextlib

import pytest

from chat.config import Settings
from devtools.emulator import running_emulator
from devtools.functions import function_app, held_session
from devtools.node import run_node_suite
from tests.support.http import serving_app

TOKEN_TTL_S = 5  # the shortest ABLY_TOKEN_TTL allows


@pytest.fixture
def served():
    """The token and send functions on real HTTP ports, against an emulator, with 5-second tokens."""
    with running_emulator() as emulator, contextlib.ExitStack() as stack:
        settings = Settings.from_environment(
            {"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url, "ABLY_TOKEN_TTL": str(TOKEN_TTL_S)}
        )
        urls = {
            name: stack.enter_context(serving_app(function_app(path, settings)))
            for name, path in (("auth", "api/ably/auth.py"), ("send", "api/sendMessage.py"))
        }
        yield urls, settings, emulator


def test_short_lived_tokens_are_renewed_and_expired_ones_refused(served):
    urls, settings, emulator = served
    env = {
        "CHAT_AUTH_URL": urls["auth"] + "/api/ably/auth",
        "CHAT_SEND_URL": urls["send"] + "/api/sendMessage",
        "ABLY_EMULATOR_URL": emulator.url,
        "TOKEN_TTL_S": str(TOKEN_TTL_S),
        "EVE_SESSION": held_session(settings, "Eve", "general"),
        "MALLORY_SESSION": held_session(settings, "Mallory", "general"),
    }
    run_node_suite("tests/security/js/token-expiry.test.mjs", options=("--test-force-exit",), env=env)
