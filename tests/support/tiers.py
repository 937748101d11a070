"""Which tier each test runs in: `make test-fast` runs the tests not marked `slow`, `make test` runs all.

A test is slow when it starts something big (vercel dev or build, Chromium, the launcher, a Node suite),
waits on the wall clock, or belongs to a suite that does. The rule goes by path and by fixture, so a new
test in a slow place, or one that uses a slow fixture, is slow without anybody remembering to say so; a
test in a fast file that is slow for reasons of its own says `@pytest.mark.slow`. In tests/emulator only
the core, driven by the fake clock (`*_unit.py`), is fast.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLOW_PLACES = (
    "tests/client/e2e/",  # Chromium against `vercel dev`
    "tests/deploy/",  # `vercel build`
    "tests/launcher/",  # `make dev`'s launcher, with `vercel dev`
    "tests/reliability/",  # many clients, outages and restarts
    "tests/emulator/",  # the emulator over sockets, ably-js under Node and in Chromium; its core is `*_unit.py`
    "tests/functions/test_vercel_dev.py",
    "tests/security/test_browser_tokens.py",  # Chromium against `vercel dev`
    "tests/security/test_token_expiry.py",  # waits for real tokens to expire
    "tests/client/test_rules_agree.py",  # Node, on every character of Unicode
)
SLOW_FIXTURES = frozenset({"live_app", "browser", "new_page", "join", "launchers"})
# A fast-tier test that takes longer than this is named at the end of `make test-fast`: it belongs in the slow tier.
FAST_TEST_BUDGET_S = 5.0


def is_slow(item: pytest.Item) -> bool:
    if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    place = item.path.relative_to(ROOT).as_posix()
    if place.startswith("tests/emulator/") and place.endswith("_unit.py"):
        return False
    return place.startswith(SLOW_PLACES)


def mark_slow_tests(items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item) and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)


class OverBudget:
    """Notes the fast-tier tests that took longer than FAST_TEST_BUDGET_S, to name them at the end of a
    `-m "not slow"` run; a slow test in the fast tier is a mistake to fix, not a failure of the code."""

    def __init__(self):
        self.tests: list[tuple[str, float]] = []

    def note(self, report: pytest.TestReport) -> None:
        if report.when == "call" and report.duration > FAST_TEST_BUDGET_S and "slow" not in report.keywords:
            self.tests.append((report.nodeid, report.duration))

    def summary(self, config: pytest.Config) -> list[str]:
        if "not slow" not in (config.getoption("markexpr") or "") or not self.tests:
            return []
        lines = [f"{duration:5.1f} s  {nodeid}" for nodeid, duration in sorted(self.tests, key=lambda t: -t[1])]
        return [f"over the fast tier's {FAST_TEST_BUDGET_S:.0f} s a test (mark them slow):", *lines]
