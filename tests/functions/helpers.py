"""Settings, sessions and emulator apps for the function tests (their fixtures are in conftest.py)."""

import json
import os
import re
import subprocess
import sys
import urllib.request

from chat.config import Settings
from chat.names import name_key
from chat.sessions import Sessions, new_claim_id
from devtools import ROOT
from devtools.functions import held_session
from devtools.processes import stop

TEST_KEY = "testapp.testkey:test-secret-value"
TEST_SECRET = TEST_KEY.split(":")[1]


def settings_with(**environ) -> Settings:
    """Settings as a function reads them from an environment holding `environ` (and a test key)."""
    return Settings.from_environment({"ABLY_API_KEY": TEST_KEY, **environ})


def session_header(settings: Settings, name: str = "Ana", room: str = "general", claim: str | None = None) -> dict:
    """An Authorization header with a session for `name` in `room`, as POST /api/session signs it, its
    claim recorded as the name's holder (in the deployment's record the test's apps share)."""
    return {"Authorization": f"Bearer {held_session(settings, name, room, claim)}"}


def unheld_session(settings: Settings, name: str = "Ana", room: str = "general", claim: str | None = None) -> str:
    """A genuinely signed session whose claim was never recorded as the name's holder (one kept from an
    earlier claim, say)."""
    return Sessions(settings).issue(name, room, claim or new_claim_id(), name_key(name))


def provision_app(emulator, channels: dict[str, list[dict]] | None = None) -> Settings:
    """A fresh emulator app whose channels already hold presence members (Ably sandbox fixtures),
    and settings for its key: a room where people are present, without connecting them."""
    spec = {"channels": [{"name": name, "presence": members} for name, members in (channels or {}).items()]}
    request = urllib.request.Request(
        f"{emulator.url}/apps",
        data=json.dumps(spec).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        key = json.load(response)["keys"][0]["keyStr"]
    return Settings.from_environment({"ABLY_API_KEY": key, "ABLY_ENDPOINT": emulator.url})


def start_function(path: str, environ: dict) -> tuple[subprocess.Popen, str]:
    """One of api/*.py served over HTTP by a process of its own (an instance), and its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.serve_function", path, "0"],
        cwd=ROOT,
        env={**os.environ, **environ},
        stdout=subprocess.PIPE,
        text=True,
    )
    port = re.search(r"serving on (\d+)", process.stdout.readline())[1]
    return process, f"http://127.0.0.1:{port}"


def stop_function(process: subprocess.Popen) -> None:
    stop(process)
    process.stdout.close()
