"""A real redis-server (the Debian package) on a loopback port, with nothing persisted: for the tests
(`running_redis`) and for `make dev`, which starts it as one of its own children (`redis_command`)."""

import contextlib
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

from devtools.processes import stop
from devtools.tcp_ports import free_port
from devtools.tools import program

INSTALL = "apt-get install redis-server"
START_TIMEOUT_S = 10


@dataclass
class RunningRedis:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return redis_url(self.port)

    def pause(self) -> None:
        """Freeze the server: connections stay open and nothing answers (a slow or hung Redis)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def redis_url(port: int) -> str:
    return f"redis://127.0.0.1:{port}/0"


def redis_command(port: int, workdir: str) -> list[str]:
    """redis-server on 127.0.0.1:port that persists nothing; ToolMissing if it is not installed."""
    return [
        program("redis-server", INSTALL),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        workdir,
        "--loglevel",
        "warning",
    ]


def wait_until_answering(port: int, process: subprocess.Popen, timeout: float = START_TIMEOUT_S) -> bool:
    """Whether the server answers PING within `timeout` seconds; False at once if it exits."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def running_redis(port: int | None = None):
    """Start redis-server on `port` (default: a free one); yields a RunningRedis once it answers PING."""
    port = port or free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(redis_command(port, workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait_until_answering(port, process):
                raise RuntimeError(f"redis-server did not start on port {port}")
            yield RunningRedis(port, process)
        finally:
            stop(process)  # a paused server is woken to act on SIGTERM
