"""Run the whole app as `make dev` does (emulator, redis-server, real `vercel dev --local`) on free ports."""

import contextlib
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devtools import ROOT
from devtools.child_output import ChildOutput
from devtools.processes import stop
from devtools.tcp_ports import free_port

START_TIMEOUT = 240  # the first run builds every function with uv
STOP_TIMEOUT = 30  # the launcher stops its own servers first
CHAT_READY = re.compile(
    r"Chat ready at (?P<url>http://\S+) \(realtime: (?:the local Ably emulator at "
    r"(?P<emulator>http://[^\s;)]+))?.*Servers' output: (?P<log>\S+)\."
)


@dataclass
class RunningApp:
    url: str
    emulator_url: str
    key: str  # the emulator's key, as the functions use it
    process: subprocess.Popen  # the launcher
    log_path: Path  # the servers' output
    log: list[str] = field(default_factory=list)  # everything the launcher printed, then the servers' log


@contextlib.contextmanager
def running_app(
    key: str | None = None, endpoint: str | None = None, redis_url: str | None = None, env: dict[str, str] | None = None
):
    """Yield the running app, with its own emulator or, given `endpoint` and `key`, an emulator the
    caller runs (to restart it, say), and counting its limits in `redis_url` if given (else in the
    launcher's own Redis). A fresh random key by default, so a test can look for leaks of it. `env`
    adds to the launcher's environment."""
    key = key or f"local.dev:{secrets.token_urlsafe(24)}"
    # An endpoint in the environment is "a configured Ably" to dev.py, which then starts no emulator.
    env = {
        **os.environ,
        "ABLY_API_KEY": key if endpoint else "",
        "ABLY_ENDPOINT": endpoint or "",
        "REDIS_URL": redis_url or "",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "scripts.dev",
        "--port",
        str(free_port()),
        "--emulator-port",
        "0",
        "--emulator-key",
        key,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    output = ChildOutput(process.stdout, CHAT_READY)
    log_path = None
    try:
        try:
            ready = output.wait_for_match(START_TIMEOUT)
        except TimeoutError:
            ready = None
        if ready is None:
            raise RuntimeError("the app did not start:\n" + "\n".join(output.lines[-60:]))
        log_path = ROOT / ready["log"]
        yield RunningApp(ready["url"], endpoint or ready["emulator"], key, process, log_path, output.lines)
    finally:
        stop(process, group=True, timeout=STOP_TIMEOUT)
        output.join(timeout=5)
        if log_path and log_path.exists():
            output.lines += log_path.read_text(errors="replace").splitlines()
