"""Tests that need a tool outside Python: skipped on a developer's machine without it, but under
CI=true a missing tool is a failure, never a silent skip."""

import os

import pytest


def require(available: bool, what: str) -> None:
    if available:
        return
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{what} is missing (CI=true: a missing tool fails the suite)", pytrace=False)
    pytest.skip(f"{what} is missing")
