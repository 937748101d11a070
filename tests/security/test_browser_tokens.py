"""Runs tests/security/js with ably-js against the app under `vercel dev` and its emulator."""

from devtools.node import run_node_suite


def test_browser_tokens_are_narrow(live_app):
    run_node_suite(
        "tests/security/js/browser-token.test.mjs",
        options=("--test-force-exit",),
        env={"CHAT_APP_URL": live_app.url, "ABLY_EMULATOR_URL": live_app.emulator_url},
    )
