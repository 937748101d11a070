"""Run the whole app as `make dev` does (emulator + real `vercel dev --local`) on free ports."""

import contextlib
import os
import re
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from devtools import ROOT
from devtools.ports import free_port
from devtools.processes import stop

START_TIMEOUT = 240  # the first run builds both functions with uv
STOP_TIMEOUT = 30  # the launcher stops its own servers first


@dataclass
class RunningApp:
    url: str
    emulator_url: str
    key: str  # the emulator's key, as the functions use it
    log: list[str] = field(default_factory=list)  # everything the dev server and emulator printed


@contextlib.contextmanager
def running_app(key: str | None = None, endpoint: str | None = None, redis_url: str | None = None):
    """Yield the running app, with its own emulator or, given `endpoint` and `key`, an emulator the
    caller runs (to restart it, say), and counting its limits in `redis_url` if given. A fresh random
    key by default, so a test can look for leaks of it."""
    key = key or f"local.dev:{secrets.token_urlsafe(24)}"
    # An endpoint in the environment is "a configured Ably" to dev.py, which then starts no emulator.
    env = {**os.environ, "ABLY_API_KEY": key if endpoint else "", "ABLY_ENDPOINT": endpoint or "",
           "REDIS_URL": redis_url or "", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.dev", "--port", str(free_port()), "--emulator-port", "0", "--emulator-key", key],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    log: list[str] = []
    ready = threading.Event()
    urls: dict[str, str] = {}

    def read_output():
        for line in process.stdout:
            log.append(line)
            if match := re.search(r"\[emulator\].*ready on (http://\S+)", line):
                urls["emulator"] = match[1]
            if match := re.search(r"Chat ready at (http://\S+)", line):
                urls["app"] = match[1]
                ready.set()
        ready.set()  # the process ended: stop waiting

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        if not ready.wait(START_TIMEOUT) or "app" not in urls:
            raise RuntimeError("the app did not start:\n" + "".join(log[-60:]))
        yield RunningApp(urls["app"], endpoint or urls["emulator"], key, log)
    finally:
        stop(process, group=True, timeout=STOP_TIMEOUT)
        reader.join(timeout=5)
