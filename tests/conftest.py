import socket

import pytest


@pytest.fixture
def closed_port():
    """A loopback port with nothing listening on it: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
