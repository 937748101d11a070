import os

import pytest

from chat.holders import Holders
from devtools.app import running_app
from devtools.emulator import running_emulator
from devtools.redis import running_redis
from devtools.tcp_ports import free_port
from devtools.tools import ToolMissing
from tests.support.tiers import OverBudget, mark_slow_tests

ON_CI = os.environ.get("CI", "").lower() in ("true", "1")


def skip_where_a_tool_is_missing():
    """A test needing a tool that is not installed (devtools raises ToolMissing, saying how to install
    it) is skipped on a developer's machine. CI installs every tool (.ci/run): under CI=true a missing
    one is a broken setup, and the test fails, never a silent skip."""
    try:
        return (yield)
    except ToolMissing as missing:
        if not ON_CI:
            pytest.skip(str(missing))
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from skip_where_a_tool_is_missing())  # fixtures


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from skip_where_a_tool_is_missing())  # the test itself


def pytest_collection_modifyitems(items):
    mark_slow_tests(items)  # `make test-fast` is `-m "not slow"`: see tests/support/tiers.py


_over_budget = OverBudget()


def pytest_runtest_logreport(report):
    _over_budget.note(report)


def pytest_terminal_summary(terminalreporter, config):
    for line in _over_budget.summary(config):
        terminalreporter.write_line(line, yellow=True)


@pytest.fixture(autouse=True)
def fresh_name_records():
    """Every test starts with no name held in this process (the apps a test builds share one record)."""
    Holders.forget_shared()


@pytest.fixture
def closed_port():
    """A loopback port with nothing listening on it: connections are refused at once."""
    return free_port()


@pytest.fixture(scope="module")
def emulator():
    """An emulator for the module's tests (tests/emulator has a faster-timed one of its own)."""
    with running_emulator() as running:
        yield running


@pytest.fixture(scope="session")
def live_app():
    """The whole app as `make dev` serves it, with REDIS_URL set to a real redis-server so that every
    `vercel dev` worker counts rate limits and keeps the name records in one place; started once."""
    with running_redis() as redis, running_app(redis_url=redis.url) as app:
        yield app
    secret = app.key.split(":")[1]
    leaks = [line for line in app.log if secret in line]
    assert not leaks, f"the API key's secret was printed by the dev server or emulator: {leaks[:3]}"
