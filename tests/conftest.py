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
    """The whole app as `make dev` serves it; started once, as it takes a while."""
    from tests.support.app import running_app

    with running_app() as app:
        yield app
    secret = app.key.split(":")[1]
    leaks = [line for line in app.log if secret in line]
    assert not leaks, f"the API key's secret was printed by the dev server or emulator: {leaks[:3]}"
