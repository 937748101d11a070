import socket

import pytest


@pytest.fixture
def closed_port():
    """A loopback port with nothing listening on it: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_app():
    """The whole app as `make dev` serves it, with REDIS_URL set to a real redis-server so that every
    `vercel dev` worker counts rate limits and name reservations in one place; started once."""
    from tests.support.app import running_app
    from tests.support.redis import running_redis

    with running_redis() as redis, running_app(redis_url=redis.url) as app:
        yield app
    secret = app.key.split(":")[1]
    leaks = [line for line in app.log if secret in line]
    assert not leaks, f"the API key's secret was printed by the dev server or emulator: {leaks[:3]}"
