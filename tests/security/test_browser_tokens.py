"""Runs tests/security/js with ably-js against the app under `vercel dev` and its emulator."""

import os
import re
import subprocess

from tests.support.functions import ROOT


def test_browser_tokens_are_narrow(live_app):
    env = {**os.environ, "CHAT_APP_URL": live_app.url, "ABLY_EMULATOR_URL": live_app.emulator_url}
    result = subprocess.run(["node", "--test", "--test-force-exit", "tests/security/js/browser-token.test.mjs"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "# fail 0" in result.stdout, result.stdout + result.stderr
    assert int(re.search(r"# pass (\d+)", result.stdout)[1]) > 0
