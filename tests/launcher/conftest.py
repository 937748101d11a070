import errno
import signal
import socket

import pytest

from devtools.dev_ports import DEFAULT_EMULATOR_PORT
from devtools.processes import signal_groups
from devtools.tcp_ports import listen_error
from tests.launcher.support import Launcher


class Launchers:
    """Starts launchers for a test, and at its end stops them and anything a failed test left."""

    def __init__(self):
        self.started: list[Launcher] = []
        self.groups: set[int] = set()  # process groups the test saw started, to kill if they outlive it

    def start(self, env, args=(), terminal=False) -> Launcher:
        launcher = Launcher(env, args, terminal)
        self.started.append(launcher)
        return launcher

    def stop_all(self):
        for launcher in self.started:
            launcher.stop()
        signal_groups(self.groups, signal.SIGKILL)


@pytest.fixture
def launchers():
    started = Launchers()
    yield started
    started.stop_all()


@pytest.fixture
def default_emulator_port_busy():
    """Port 8081 taken, as on a laptop running something else there: by this test if it is free, or
    already by someone else (then nothing needs doing)."""
    try:
        sock = socket.create_server(("127.0.0.1", DEFAULT_EMULATOR_PORT))
    except OSError:
        sock = None
    assert listen_error(DEFAULT_EMULATOR_PORT) == errno.EADDRINUSE
    yield
    if sock:
        sock.close()
