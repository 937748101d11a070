"""Node.js and the npm packages, for the Python suites and benchmarks that run ably-js."""

import os
import re
import subprocess
from pathlib import Path

from devtools import ROOT
from devtools.tools import ToolMissing, program

SUITE_TIMEOUT_S = 120


def node_executable() -> str:
    """The path of `node`; ToolMissing if it is not installed."""
    return program("node", "install Node.js 20 or newer (package.json)")


def npm_package(name: str) -> Path:
    """The folder of an installed npm package; ToolMissing if `npm ci` has not installed it."""
    folder = ROOT / "node_modules" / name
    if not folder.is_dir():
        raise ToolMissing(f"the npm package {name} is missing: npm ci (make install runs it)")
    return folder


def ably_js_bundle() -> Path:
    """ably-js as a browser loads it: the packaged UMD build, `ably.min.js`."""
    return npm_package("ably") / "build" / "ably.min.js"


def run_node_suite(*test_files: str, env: dict[str, str], options: tuple[str, ...] = ()) -> None:
    """Run `node --test` on `test_files` (paths from the repo root) with `env` added to this process's
    environment; AssertionError, with the suite's output, unless it passed with at least one test."""
    # The TAP reporter, whose summary is read below, whatever Node's default is on this terminal.
    command = [node_executable(), "--test", "--test-reporter=tap", *options, *test_files]
    try:
        result = subprocess.run(
            command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as error:
        output = f"{error.stdout}\n{error.stderr}"
        raise AssertionError(f"node --test timed out after {SUITE_TIMEOUT_S} s:\n{output}") from None
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or "\n# fail 0\n" not in result.stdout or not passed or int(passed[1]) == 0:
        raise AssertionError(f"node --test failed:\n{result.stdout}\n{result.stderr}")
