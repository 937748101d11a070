"""Run the whole app locally: the Ably emulator (unless a real key is configured) and `vercel dev`.

`vercel dev` hands functions only the variables in `.env` and in its config's `env`, not its own
environment, so the settings reach the functions through a generated config file that copies
vercel.json and adds them: the emulator's key and address, and any setting from the environment.
It lives in the project's git-ignored `.vercel/` and is removed on exit, by a guard process if the
launcher is killed outright, or else by the next start.

Everything is checked before anything starts: the settings, with chat.config's own rules, and the
ports. A busy app port is refused rather than followed (the README says why); a busy emulator port
is replaced by a free one, unless it was asked for.
"""

import argparse
import contextlib
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from chat.config import VARIABLES, ConfigError, check_environment, parse_endpoint
from devtools.processes import STOP_TIMEOUT_S, is_running, stop_groups
from emulator import DEFAULT_KEY

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / ".vercel"  # git-ignored, and never uploaded or bundled
CONFIG_PREFIX = "dev-launcher-"  # then the launcher's pid, to tell live files from stale ones
DEFAULT_PORT = 3000
DEFAULT_EMULATOR_PORT = 8081
# Every function Vercel makes of api/ (files and folders starting with "_" are not functions).
FUNCTION_PATHS = tuple(
    "/" + path.relative_to(ROOT).with_suffix("").as_posix() for path in sorted((ROOT / "api").rglob("*.py"))
    if not any(part.startswith("_") for part in path.relative_to(ROOT).parts))

NOTICE_AFTER_S = 5
EMULATOR_START_TIMEOUT_S = 30
VERCEL_START_TIMEOUT_S = 120  # it builds the client first
BUILD_TIMEOUT_S = 240  # the first build of a function installs its packages

EMULATOR_READY = re.compile(r"ready on (http://\S+)")
VERCEL_READY = re.compile(r"Ready! Available at (?P<url>http://\S+)|Requested port (?P<taken>\d+) is already in use")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# Straight to 127.0.0.1, never through a proxy configured for the user's browsing.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LaunchError(Exception):
    """Why the app cannot start, in one line for the user."""


def say(message: str, stream=None) -> None:
    """Print a line; once the terminal is gone (its window closed), carry on without it."""
    with contextlib.suppress(OSError, ValueError):
        print(message, file=stream or sys.stdout, flush=True)


@contextlib.contextmanager
def notice_if_slow(what: str, timeout: float):
    """Say what the launcher waits for, and for how long at most, once the wait passes a few seconds."""
    timer = threading.Timer(NOTICE_AFTER_S, say, [f"Waiting for {what} (up to {timeout:.0f} s)..."])
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


# Settings


def dotenv_lines() -> dict[str, str]:
    """.env as vercel dev reads it: no ${VAR} expansion, and a line without `=` sets nothing."""
    values = dotenv_values(ROOT / ".env", interpolate=False)
    return {name: value for name, value in values.items() if value is not None}


def configured_settings(dotenv: dict[str, str]) -> dict[str, str]:
    """The functions' settings by the project's rule: the environment wins over .env; blank is unset."""
    merged = {**dotenv, **os.environ}
    return {name: merged[name].strip() for name in VARIABLES if merged.get(name, "").strip()}


def check_dotenv_overrides_nothing(settings: dict[str, str], dotenv: dict[str, str], emulator: dict) -> None:
    """vercel dev gives functions .env's lines over its config's `env`; refuse where that would change a
    value, such as a blank `ABLY_API_KEY=` line hiding the emulator's key."""
    for name in VARIABLES:
        if name in dotenv and dotenv[name].strip() != settings.get(name, ""):
            source = "the emulator's" if name in emulator else "the environment's"
            raise LaunchError(f"{name} in .env would replace {source} value for the functions "
                              "(vercel dev prefers .env): delete that line from .env")


def emulator_settings(key: str, url: str) -> dict[str, str]:
    return {"ABLY_API_KEY": key, "ABLY_ENDPOINT": url}


def describe_realtime(settings: dict[str, str], emulator_url: str | None) -> str:
    if emulator_url:
        return f"the local Ably emulator at {emulator_url} (no ABLY_API_KEY configured)"
    if "ABLY_ENDPOINT" in settings:
        return f"the Ably-compatible service at {settings['ABLY_ENDPOINT']}"
    return "Ably's cloud"


# Ports


def requested_port(flag: str, flag_value: str | None, variable: str) -> int | None:
    """The port asked for with the flag, else with the environment variable; None if neither."""
    source, value = (flag, flag_value) if flag_value is not None else (variable, os.environ.get(variable, ""))
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > 65535:
        raise LaunchError(f"{source} is not a port number: expected 0 to 65535")
    return int(value)


def listen_error(port: int) -> int | None:
    """The errno a server would get listening on 127.0.0.1:port now, or None. With SO_REUSEADDR, as
    Node and aiohttp listen: a port that a previous run left in TIME_WAIT is free for them too."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError as error:
            return error.errno
    return None


def port_taken(port: int, variable: str, advice: str) -> LaunchError:
    return LaunchError(f"Port {port} ({variable}) is already in use on 127.0.0.1: {advice}")


def check_port(port: int, variable: str, advice: Callable[[], str]) -> None:
    """Refuse a port that a server could not listen on now; `advice` says what to do if it is taken."""
    error = listen_error(port) if port else None
    if error == errno.EADDRINUSE:
        raise port_taken(port, variable, advice())
    if error:
        raise LaunchError(f"Port {port} ({variable}) cannot be used on 127.0.0.1: {os.strerror(error)}")


def app_port_advice(port: int) -> str:
    free = next((p for p in range(port + 1, min(port + 100, 65536)) if listen_error(p) is None), port + 1)
    return f"stop what uses it, or choose another port, e.g. PORT={free} make dev"


def choose_emulator_port(asked: int | None) -> int:
    """A port asked for must be free. Otherwise the usual one, or, when that is busy, any free one
    (0: the emulator picks it); the launcher hands the address on to the functions anyway."""
    if asked is None:
        return DEFAULT_EMULATOR_PORT if listen_error(DEFAULT_EMULATOR_PORT) is None else 0
    check_port(asked, "EMULATOR_PORT",
               lambda: "choose another, or leave EMULATOR_PORT unset and make dev picks a free one")
    return asked


# The generated vercel config


def dev_config_path() -> Path:
    return CONFIG_DIR / f"{CONFIG_PREFIX}{os.getpid()}.json"


def remove_stale_configs() -> None:
    """Remove configs left by launchers killed together with their guard: each one holds a key."""
    for path in CONFIG_DIR.glob(f"{CONFIG_PREFIX}*.json"):
        pid = path.stem.removeprefix(CONFIG_PREFIX)
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


# Child processes


class ChildOutput(threading.Thread):
    """Prints a child's output as it comes, so that its pipe never fills up, and catches the first line
    matching `pattern` for the launcher to wait on. With `hold`, the lines before that one are kept
    back: a failure to start is then told in one line, not as the child's traceback."""

    def __init__(self, process: subprocess.Popen, pattern: re.Pattern, prefix: str = "", hold: bool = False):
        super().__init__(daemon=True)
        self.process, self.pattern, self.prefix, self.hold = process, pattern, prefix, hold
        self.match: re.Match | None = None
        self.done = threading.Event()  # set at the matching line, or at the end of the output
        self.unshown: list[str] = []
        self.start()

    def run(self) -> None:
        for raw in self.process.stdout:
            self.unshown.append(ANSI_ESCAPE.sub("", raw.rstrip("\n")))
            if not self.done.is_set() and (match := self.pattern.search(self.unshown[-1])):
                self.match = match
                self.show()
                self.done.set()
            elif self.done.is_set() or not self.hold:
                self.show()
        self.done.set()

    def show(self) -> None:
        for line in self.unshown:
            say(self.prefix + line)
        self.unshown.clear()

    def last_line(self) -> str:
        return next((line for line in reversed(self.unshown) if line.strip()), "it printed nothing")

    def wait_for_match(self, what: str, timeout: float) -> re.Match | None:
        """The matching line, or None if the output ended without one."""
        with notice_if_slow(what, timeout):
            if not self.done.wait(timeout):
                raise LaunchError(f"Gave up waiting for {what} after {timeout:.0f} s")
        return self.match


class Children:
    """The processes the launcher starts, each leading a process group of its own, and the files it
    writes. A guard process (scripts/dev_guard.py) stops and removes them if the launcher dies first."""

    def __init__(self):
        self.names: dict[subprocess.Popen, str] = {}
        self.files: list[Path] = []
        self.guard = subprocess.Popen([sys.executable, "-m", "scripts.dev_guard"], cwd=ROOT, text=True,
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)

    def tell_guard(self, line: str) -> None:
        try:
            self.guard.stdin.write(line + "\n")
            self.guard.stdin.flush()
        except OSError:
            raise LaunchError("The clean-up guard (scripts/dev_guard.py) stopped unexpectedly") from None

    def start(self, name: str, command: list[str], **options) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, encoding="utf-8", errors="replace",
                                   start_new_session=True, **options)
        self.names[process] = name
        self.tell_guard(f"group {process.pid}")
        return process

    def add_file(self, path: Path) -> None:
        self.files.append(path)
        self.tell_guard(f"file {path}")

    def first_exited(self) -> tuple[str, int] | None:
        return next(((name, p.returncode) for p, name in self.names.items() if p.poll() is not None), None)

    def stop(self) -> None:
        processes = list(self.names)
        with notice_if_slow("the servers to stop", STOP_TIMEOUT_S):
            stop_groups([p.pid for p in processes], reap=lambda: [p.poll() for p in processes])
        for process in processes:
            process.wait()
        for path in self.files:
            path.unlink(missing_ok=True)
        self.guard.kill()  # nothing is left for it to do
        self.guard.wait()


def start_emulator(children: Children, port: int, key: str) -> str:
    process = children.start("the Ably emulator", [sys.executable, "-m", "emulator", "--host", "127.0.0.1",
                                                    "--port", str(port), "--key", key])
    output = ChildOutput(process, EMULATOR_READY, prefix="[emulator] ", hold=True)
    if not output.wait_for_match("the Ably emulator to start", EMULATOR_START_TIMEOUT_S):
        raise LaunchError(f"The Ably emulator stopped before it was ready: {output.last_line()}")
    return output.match[1]


def start_vercel_dev(children: Children, port: int, config: Path) -> str:
    """Start vercel dev and return the URL it says it serves, which must be on `port` (0: any)."""
    tools = os.pathsep.join([str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin")])
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", ""), "VERCEL_TELEMETRY_DISABLED": "1"}
    command = ["vercel", "dev", "--local", "--yes", "-A", str(config), "--listen", f"127.0.0.1:{port}"]
    try:
        process = children.start("vercel dev", command, env=env)
    except FileNotFoundError:
        raise LaunchError("The vercel CLI is not installed: run make install") from None
    output = ChildOutput(process, VERCEL_READY)
    match = output.wait_for_match(f"vercel dev to listen on 127.0.0.1:{port}", VERCEL_START_TIMEOUT_S)
    if match is None:
        raise LaunchError("vercel dev stopped before it was ready (its output is above)")
    # Taken since the check above: vercel dev would move to the next port, where nobody looks.
    if match["taken"] or (port and urlsplit(match["url"]).port != port):
        raise port_taken(port, "PORT", app_port_advice(port))
    return match["url"]


def build_functions(app_url: str) -> None:
    """`vercel dev` builds each function on its first request; do that now, not on the user's first click."""
    for path in FUNCTION_PATHS:  # harmless requests, answered with 4xx
        with notice_if_slow(f"vercel dev to build {path}", BUILD_TIMEOUT_S):
            try:
                HTTP.open(app_url + path, timeout=BUILD_TIMEOUT_S).close()
            except urllib.error.HTTPError:
                pass
            except OSError as error:
                raise LaunchError(f"vercel dev did not answer {path}: {getattr(error, 'reason', error)}") from None


def serve(children: Children) -> int:
    """Return 1 once a server exits by itself; Ctrl-C and the signals handled in main end it otherwise."""
    while (exited := children.first_exited()) is None:
        time.sleep(0.5)
    name, code = exited
    say(f"{name} exited with code {code}; stopping everything", sys.stderr)
    return 1


def checked_settings(args: argparse.Namespace) -> tuple[dict[str, str], int | None]:
    """The settings the functions will get, checked, and the emulator's port (None: no emulator)."""
    dotenv = dotenv_lines()
    settings = configured_settings(dotenv)
    emulator, port = {}, None
    if "ABLY_API_KEY" not in settings:
        port = choose_emulator_port(requested_port("--emulator-port", args.emulator_port, "EMULATOR_PORT"))
        # Its real address is known once it listens; any port passes the same checks.
        emulator = emulator_settings(args.emulator_key or DEFAULT_KEY, f"http://127.0.0.1:{port}")
    settings |= emulator
    check_dotenv_overrides_nothing(settings, dotenv, emulator)
    check_environment(settings)
    return settings, port


def run(children: Children, app_port: int, settings: dict[str, str], emulator_port: int | None) -> int:
    emulator_url = None
    if emulator_port is not None:
        emulator_url = start_emulator(children, emulator_port, settings["ABLY_API_KEY"])
        settings["ABLY_ENDPOINT"] = emulator_url
    config = dev_config_path()
    children.add_file(config)
    write_dev_config(config, settings)
    app_url = start_vercel_dev(children, app_port, config)
    build_functions(app_url)
    say(f"\nChat ready at {app_url} (realtime: {describe_realtime(settings, emulator_url)}). "
        "Ctrl-C stops everything.")
    return serve(children)


def launch(args: argparse.Namespace) -> int:
    remove_stale_configs()
    app_port = requested_port("--port", args.port, "PORT")
    app_port = DEFAULT_PORT if app_port is None else app_port
    settings, emulator_port = checked_settings(args)
    check_port(app_port, "PORT", lambda: app_port_advice(app_port))
    children = Children()
    try:
        return run(children, app_port, settings, emulator_port)
    finally:
        # A second Ctrl-C or signal must not cut the clean-up short and leave servers behind.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        children.stop()


def exit_on_signal(signum, frame) -> None:
    sys.exit(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", help=f"the app's port (default: PORT, else {DEFAULT_PORT}; 0: any)")
    parser.add_argument("--emulator-port",
                        help=f"the emulator's port (default: EMULATOR_PORT, else {DEFAULT_EMULATOR_PORT} "
                             "or a free one; 0: any)")
    parser.add_argument("--emulator-key", help="the emulator's API key (default: its well-known dev key)")
    args = parser.parse_args()
    # Ctrl-C, SIGTERM and a closed terminal (SIGHUP) all end in launch()'s clean-up.
    signal.signal(signal.SIGTERM, exit_on_signal)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # under nohup, a hangup must not stop it
        signal.signal(signal.SIGHUP, exit_on_signal)
    try:
        return launch(args)
    except (LaunchError, ConfigError) as error:
        say(str(error), sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
