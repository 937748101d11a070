"""The vercel config `make dev` generates: a copy of vercel.json with the functions' settings as its
`env` (vercel dev hands functions only those and .env's, not its own environment). It holds a key,
so it lives in the project's git-ignored `.vercel/`, readable by the user only, named after the
launcher's pid to tell live files from those of a launcher killed outright. The servers' log sits
beside it under the same rule."""

import json
import os
from pathlib import Path

from chat.config import parse_endpoint
from devtools import ROOT
from devtools.processes import is_running

CONFIG_DIR = ROOT / ".vercel"  # git-ignored, and never uploaded or bundled
CONFIG_PREFIX = "dev-launcher-"  # then the launcher's pid
LOG_PREFIX = "dev-"  # then the launcher's pid: .vercel/dev-1234.log


def dev_config_path() -> Path:
    return CONFIG_DIR / f"{CONFIG_PREFIX}{os.getpid()}.json"


def dev_log_path() -> Path:
    return CONFIG_DIR / f"{LOG_PREFIX}{os.getpid()}.log"


def remove_stale_files() -> None:
    """Remove what launchers that are gone left: configs of those killed together with their guard
    (each one holds a key), and older logs (the last one stays until a launcher starts again)."""
    for pattern, prefix in ((f"{CONFIG_PREFIX}*.json", CONFIG_PREFIX), (f"{LOG_PREFIX}*.log", LOG_PREFIX)):
        for path in CONFIG_DIR.glob(pattern):
            pid = path.stem.removeprefix(prefix)
            if pid.isdigit() and not is_running(int(pid)):
                path.unlink(missing_ok=True)


def write_dev_config(path: Path, env: dict[str, str]) -> None:
    config = json.loads((ROOT / "vercel.json").read_text())
    config["env"] = {**config.get("env", {}), **env}
    if endpoint := parse_endpoint(env.get("ABLY_ENDPOINT")):
        allow_connections_to(config, endpoint.url)
    CONFIG_DIR.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:  # it holds a key
        json.dump(config, file)


def allow_connections_to(config: dict, origin: str) -> None:
    """Let the page reach a local Ably-compatible service: production's Content-Security-Policy
    allows Ably's own hosts only."""
    websocket = "ws" + origin.removeprefix("http")
    for rule in config.get("headers", []):
        for header in rule["headers"]:
            if header["key"] == "Content-Security-Policy":
                header["value"] = header["value"].replace("connect-src ", f"connect-src {origin} {websocket} ", 1)
