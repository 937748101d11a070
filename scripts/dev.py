"""Run the whole app locally: the Ably emulator (unless a real key is configured) and `vercel dev`.

`vercel dev` hands functions only the variables in `.env` and in its config's `env`, not its own
environment, so the emulator's key and URL reach the functions through a generated config file
that copies vercel.json and adds them. A value in `.env` still wins, as it does on its own.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
EMULATOR_READY = re.compile(r"ready on (http://\S+)")


def configured_ably() -> dict:
    """ABLY_* settings from .env, overridden by the environment, as the functions will see them."""
    values = {**dotenv_values(ROOT / ".env"), **os.environ}
    return {name: values[name] for name in ("ABLY_API_KEY", "ABLY_ENDPOINT", "ABLY_TOKEN_TTL") if values.get(name)}


def forward_output(stream) -> None:
    """Keep printing the emulator's log, so that its pipe never fills up and blocks it."""
    for line in stream:
        print(f"[emulator] {line}", end="", flush=True)


def start_emulator(port: int, key: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port), "--key", key],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        for line in process.stdout:
            print(f"[emulator] {line}", end="", flush=True)
            if match := EMULATOR_READY.search(line):
                threading.Thread(target=forward_output, args=(process.stdout,), daemon=True).start()
                return process, match[1]
    except BaseException:  # Ctrl-C while it starts: it has its own session, so stop it here
        stop(process)
        raise
    raise SystemExit(f"the Ably emulator exited with code {process.wait()} before it was ready")


def write_dev_config(env: dict) -> Path:
    config = json.loads((ROOT / "vercel.json").read_text())
    config["env"] = {**config.get("env", {}), **env}
    handle, path = tempfile.mkstemp(prefix="vercel-dev-", suffix=".json")
    with os.fdopen(handle, "w") as file:  # mkstemp's mode 0600 keeps any key private
        json.dump(config, file)
    return Path(path)


def start_vercel_dev(port: int, config: Path) -> subprocess.Popen:
    tools = os.pathsep.join([str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin")])
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", ""),
           "VERCEL_TELEMETRY_DISABLED": "1"}
    command = ["vercel", "dev", "--local", "--yes", "-A", str(config), "--listen", f"127.0.0.1:{port}"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"vercel dev exited with code {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"vercel dev did not answer on {url} within {timeout:.0f} s")


def build_functions(app_url: str) -> None:
    """`vercel dev` builds each function on its first request; do that now, not on the user's first click."""
    for path in ("/api/ably/auth", "/api/sendMessage", "/api/session", "/api/rooms"):  # harmless requests
        try:
            urllib.request.urlopen(app_url + path, timeout=120).close()
        except urllib.error.HTTPError:
            pass


def stop(process: subprocess.Popen | None) -> None:
    """End a child and its whole process group: vercel dev leaves Python workers behind otherwise."""
    if process is None:
        return
    group = process.pid  # each child leads its own session, hence its own group
    try:
        os.killpg(group, signal.SIGTERM)
        os.killpg(group, signal.SIGCONT)  # vercel dev freezes idle workers; frozen ones must wake to exit
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(group, signal.SIGKILL)  # whatever is left of the group
    except ProcessLookupError:
        pass
    process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 8081)))
    parser.add_argument("--emulator-key", help="the emulator's API key (default: its well-known dev key)")
    args = parser.parse_args()

    # Ctrl-C and SIGTERM both end up in the finally block below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    emulator = vercel = config = None
    try:
        ably = configured_ably()
        if "ABLY_API_KEY" in ably:
            where = f"the Ably-compatible service at {ably['ABLY_ENDPOINT']}" if "ABLY_ENDPOINT" in ably \
                else "Ably's cloud"
        else:
            from emulator import DEFAULT_KEY
            key = args.emulator_key or DEFAULT_KEY
            emulator, emulator_url = start_emulator(args.emulator_port, key)
            ably |= {"ABLY_API_KEY": key, "ABLY_ENDPOINT": emulator_url}
            where = f"the local Ably emulator at {emulator_url} (no ABLY_API_KEY configured)"
        config = write_dev_config(ably)
        vercel = start_vercel_dev(args.port, config)
        app_url = f"http://127.0.0.1:{args.port}"
        wait_until_serving(app_url + "/", vercel)
        build_functions(app_url)
        print(f"\nChat ready at {app_url} (realtime: {where}). Ctrl-C stops everything.", flush=True)
        while True:
            for name, process in (("vercel dev", vercel), ("the Ably emulator", emulator)):
                if process is not None and process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C or SIGTERM must not cut the clean-up short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(vercel)
        stop(emulator)
        if config:
            config.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
