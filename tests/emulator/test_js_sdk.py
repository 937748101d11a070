"""Runs the ably-js (Node) suite in tests/emulator/js against the shared emulator."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import CHANNEL_CLOSE_DELAY_S
from .tools import require

JS_DIR = Path(__file__).parent / "js"
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_ably_js_suite(emulator):
    require(shutil.which("node") is not None, "Node.js")
    assert (REPO_ROOT / "node_modules" / "ably").is_dir(), "run `npm ci` first: ably-js is missing"
    env = dict(os.environ, ABLY_EMULATOR_URL=emulator.url, ABLY_EMULATOR_KEY=emulator.key,
               ABLY_EMULATOR_CHANNEL_CLOSE_DELAY_S=str(CHANNEL_CLOSE_DELAY_S))
    tests = sorted(str(p.relative_to(REPO_ROOT)) for p in JS_DIR.glob("*.test.mjs"))
    try:
        result = subprocess.run(
            ["node", "--test", "--test-concurrency=2", *tests],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"node --test timed out after 120 s:\n{e.stdout}\n{e.stderr}")
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    assert "# fail 0" in result.stdout
