"""Short-lived browser tokens, with the auth function served over real HTTP (Werkzeug) and ably-js
as the browser's SDK: they run out, are renewed through authUrl and the connection resumes with
nothing lost; an expired one is refused."""

import os
import re
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from chat import config
from tests.support.emulator import running_emulator
from tests.support.functions import ROOT, load_function

TOKEN_TTL_S = 5  # the shortest ABLY_TOKEN_TTL allows


@pytest.fixture
def auth_url(monkeypatch):
    with running_emulator() as emulator:
        monkeypatch.setenv("ABLY_API_KEY", emulator.key)
        monkeypatch.setenv("ABLY_ENDPOINT", emulator.url)
        monkeypatch.setenv("ABLY_TOKEN_TTL", str(TOKEN_TTL_S))
        config.ably_settings.cache_clear()
        server = make_server("127.0.0.1", 0, load_function("api/ably/auth.py").app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/api/ably/auth", emulator
        finally:
            server.shutdown()
            config.ably_settings.cache_clear()


def test_short_lived_tokens_are_renewed_and_expired_ones_refused(auth_url):
    url, emulator = auth_url
    env = {**os.environ, "CHAT_AUTH_URL": url, "ABLY_EMULATOR_URL": emulator.url, "ABLY_EMULATOR_KEY": emulator.key,
           "TOKEN_TTL_S": str(TOKEN_TTL_S)}
    result = subprocess.run(["node", "--test", "--test-force-exit", "tests/security/js/token-expiry.test.mjs"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "# fail 0" in result.stdout, result.stdout + result.stderr
    assert int(re.search(r"# pass (\d+)", result.stdout)[1]) > 0
