"""A real redis-server (the Debian package) on a loopback port, with nothing persisted, stopped afterwards."""

import contextlib
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

from devtools.ports import free_port
from devtools.processes import stop
from devtools.tools import program


@dataclass
class RunningRedis:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self) -> None:
        """Freeze the server: connections stay open and nothing answers (a slow or hung Redis)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def running_redis(port: int | None = None):
    """Start redis-server on `port` (default: a free one); yields a RunningRedis once it answers PING."""
    server = program("redis-server", "apt-get install redis-server")
    port = port or free_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
             "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}")
                time.sleep(0.05)
            yield RunningRedis(port, process)
        finally:
            stop(process)  # a paused server is woken to act on SIGTERM
