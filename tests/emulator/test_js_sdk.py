"""Runs the ably-js (Node) suite in tests/emulator/js against the shared emulator."""

from pathlib import Path

from devtools import ROOT
from devtools.node import npm_package, run_node_suite

from .helpers import CHANNEL_CLOSE_DELAY_S

JS_DIR = Path(__file__).parent / "js"


def test_ably_js_suite(emulator):
    npm_package("ably")
    tests = sorted(str(p.relative_to(ROOT)) for p in JS_DIR.glob("*.test.mjs"))
    run_node_suite(*tests, options=("--test-concurrency=2",),
                   env={"ABLY_EMULATOR_URL": emulator.url, "ABLY_EMULATOR_KEY": emulator.key,
                        "ABLY_EMULATOR_CHANNEL_CLOSE_DELAY_S": str(CHANNEL_CLOSE_DELAY_S)})
