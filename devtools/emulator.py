"""The Ably emulator as a subprocess (`running_emulator`), for the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

from devtools import ROOT
from devtools.child_output import ChildOutput
from devtools.processes import stop
from emulator import DEFAULT_KEY

READY_PATTERN = re.compile(r"ready on http://(?P<host>[^:/\s]+):(?P<port>\d+)")
# Edits, deletes and reactions need Ably's mutable-messages rule on every channel the rooms use: the
# default room's `chat` and the `chat:` namespace (`make dev` and the suites alike).
MUTABLE_RULES = ("--mutable-messages", "chat", "--mutable-messages", "chat:*")
# And Ably's persist-all-messages rule on the same channels, so a room's history outlasts the ordinary
# retention (kept for the emulator's --persisted-history-ttl, 24 h by default).
PERSISTED_RULES = ("--persisted", "chat", "--persisted", "chat:*")


@dataclass
class RunningEmulator:
    url: str
    host: str
    port: int
    key: str
    process: subprocess.Popen
    lines: list = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


@contextlib.contextmanager
def running_emulator(*extra_args: str, key: str | None = None, timeout: float = 15.0):
    """Run `python -m emulator --port 0 ...`; yields a RunningEmulator and stops it on exit."""
    key = key or DEFAULT_KEY
    args = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0", *extra_args]
    if key != DEFAULT_KEY:
        args += ["--key", key]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = ChildOutput(proc.stdout, READY_PATTERN)
    try:
        try:
            match = output.wait_for_match(timeout)
        except TimeoutError:
            match = None
        if match is None:
            stop(proc)
            output.join(timeout=5)
            raise RuntimeError(
                f"emulator did not become ready within {timeout}s (exit code {proc.returncode}); output:\n{output.text}"
            )
        host, port = match["host"], int(match["port"])
        yield RunningEmulator(f"http://{host}:{port}", host, port, key, proc, output.lines)
        # Exiting with 0 inside the body is a shutdown the caller asked for; anything else crashed.
        crashed = proc.poll() not in (None, 0)
    finally:
        stop(proc)
        output.join(timeout=5)
    printed = output.text
    # Checked after the body so a failing test's own error isn't masked.
    assert not crashed, f"emulator exited early with code {proc.returncode}:\n{printed}"
    assert proc.returncode == 0, f"emulator did not shut down cleanly (code {proc.returncode}):\n{printed}"
    assert "Traceback" not in printed, f"emulator logged an exception:\n{printed}"
