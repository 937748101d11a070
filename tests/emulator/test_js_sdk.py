"""Runs the ably-js (Node) suite in tests/emulator/js against the shared emulator, once, and reports each of
its tests as a pytest test of its own."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from devtools import ROOT
from devtools.node import SUITE_TIMEOUT_S, node_executable, npm_package

from .helpers import CHANNEL_CLOSE_DELAY_S

JS_DIR = Path(__file__).parent / "js"
FILES = sorted(str(p.relative_to(ROOT)) for p in JS_DIR.glob("*.test.mjs"))
# A top-level TAP result line (subtests are indented): "ok 3 - name" or "not ok 3 - name # SKIP why".
RESULT = re.compile(r"^(not ok|ok) \d+ - (.*?)(?: # (?:SKIP|TODO).*)?$", re.MULTILINE)


def node_tap(*options: str, env: dict | None = None) -> str:
    command = [node_executable(), "--test", "--test-reporter=tap", *options, *FILES]
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S
    ).stdout


def suite_test_names() -> list[str]:
    """The suite's test names, listed without running them (a pattern nothing matches skips them all)."""
    try:
        return [name for _, name in RESULT.findall(node_tap("--test-name-pattern=^$"))]
    except Exception:  # noqa: BLE001 (no node here: one placeholder test reports it when run)
        return ["(the ably-js suite)"]


@pytest.fixture(scope="module")
def js_results(emulator) -> dict[str, tuple[bool, str]]:
    """Each test's outcome and its TAP block, from one `node --test` run over the whole suite."""
    npm_package("ably")
    output = node_tap(
        "--test-concurrency=2",
        env={
            "ABLY_EMULATOR_URL": emulator.url,
            "ABLY_EMULATOR_KEY": emulator.key,
            "ABLY_EMULATOR_CHANNEL_CLOSE_DELAY_S": str(CHANNEL_CLOSE_DELAY_S),
        },
    )
    matches = list(RESULT.finditer(output))
    blocks = [
        output[m.start() : (matches[i + 1].start() if i + 1 < len(matches) else len(output))]
        for i, m in enumerate(matches)
    ]
    return {m[2]: (m[1] == "ok", block) for m, block in zip(matches, blocks)} | {"": (False, output)}


@pytest.mark.parametrize("name", suite_test_names())
def test_ably_js(js_results, name):
    assert name in js_results, f"node did not report {name!r}:\n{js_results[''][1]}"
    passed, report = js_results[name]
    assert passed, report
