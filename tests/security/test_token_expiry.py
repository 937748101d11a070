"""Short-lived browser tokens, with the functions served over real HTTP (Werkzeug) and ably-js as the
browser's SDK: a token that runs out is renewed through the token function and the connection
resumes with nothing lost; an expired token is refused."""

import threading

import pytest
from werkzeug.serving import make_server

from chat.config import Settings
from chat.rate_limits import RateLimits
from chat.web import create_app
from devtools.emulator import running_emulator
from devtools.functions import held_session, load_function
from devtools.node import run_node_suite

TOKEN_TTL_S = 5  # the shortest ABLY_TOKEN_TTL allows


@pytest.fixture
def served():
    """The token and send functions on real HTTP ports, against an emulator, with 5-second tokens."""
    with running_emulator() as emulator:
        settings = Settings.from_environment(
            {"ABLY_API_KEY": emulator.key, "ABLY_ENDPOINT": emulator.url, "ABLY_TOKEN_TTL": str(TOKEN_TTL_S)}
        )
        servers = {}
        for name, path in (("auth", "api/ably/auth.py"), ("send", "api/sendMessage.py")):
            app = create_app(load_function(path).routes, settings=settings, limits=RateLimits(scale=100))
            servers[name] = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=servers[name].serve_forever, daemon=True).start()
        try:
            yield (
                {name: f"http://127.0.0.1:{server.server_port}" for name, server in servers.items()},
                settings,
                emulator,
            )
        finally:
            for server in servers.values():
                server.shutdown()


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
