"""Run the whole app locally: the Ably emulator (unless a real key is configured), a redis-server
(when one is installed and no REDIS_URL is configured) and `vercel dev`, saying little.

Everything is checked before anything starts: the settings, with chat.config's own rules, and the
ports (devtools/dev_ports.py). The settings reach the functions through a generated vercel config
(devtools/dev_config.py). The launcher prints its own progress lines and one "ready" line once a
page and a function really answer; the servers' own output goes to a log under `.vercel/`, shown
with VERBOSE=1, or its last lines when something fails (devtools/dev_console.py).
"""

import argparse
import os
import re
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from chat.config import ConfigError, check_environment
from devtools import ROOT
from devtools.child_output import ChildOutput
from devtools.dev_children import Children
from devtools.dev_config import CONFIG_DIR, dev_config_path, dev_log_path, remove_stale_files, write_dev_config
from devtools.dev_console import LaunchError, ServerLog, notice_if_slow, say
from devtools.dev_ports import (
    DEFAULT_EMULATOR_PORT,
    DEFAULT_PORT,
    app_port_advice,
    check_port,
    choose_emulator_port,
    port_taken,
    requested_port,
)
from devtools.dev_settings import check_dotenv_overrides_nothing, configured_settings, describe_realtime, dotenv_lines
from devtools.emulator import MUTABLE_RULES, PERSISTED_RULES
from devtools.redis import redis_command, redis_url, wait_until_answering
from devtools.tcp_ports import free_port
from emulator import DEFAULT_KEY

# Every function Vercel makes of api/ (files and folders starting with "_" are not functions).
FUNCTION_PATHS = tuple(
    "/" + path.relative_to(ROOT).with_suffix("").as_posix()
    for path in sorted((ROOT / "api").rglob("*.py"))
    if not any(part.startswith("_") for part in path.relative_to(ROOT).parts)
)
READY_CHECKS = ("/", "/api/rooms")  # a page and a function: ready means both really answer

EMULATOR_START_TIMEOUT_S = 30
REDIS_START_TIMEOUT_S = 10
VERCEL_START_TIMEOUT_S = 120  # it builds the client first
BUILD_TIMEOUT_S = 240  # the first build of a function installs its packages

EMULATOR_READY = re.compile(r"ready on (http://\S+)")
VERCEL_READY = re.compile(r"Ready! Available at (?P<url>http://\S+)|Requested port (?P<taken>\d+) is already in use")
CLIENT_BUILD = re.compile(r"^> Creating initial build")
# Straight to 127.0.0.1, never through a proxy configured for the user's browsing.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for_line(output: ChildOutput, what: str, timeout: float) -> re.Match | None:
    with notice_if_slow(what, timeout):
        try:
            return output.wait_for_match(timeout)
        except TimeoutError:
            raise LaunchError(f"Gave up waiting for {what} after {timeout:.0f} s", show_log=True) from None


def start_emulator(children: Children, log: ServerLog, port: int, key: str) -> str:
    say("Starting the Ably emulator...")
    command = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(port), "--key", key]
    process = children.start("The Ably emulator", [*command, *MUTABLE_RULES, *PERSISTED_RULES])
    output = ChildOutput(process.stdout, EMULATOR_READY, log.writer("[emulator] "))
    if not wait_for_line(output, "the Ably emulator to start", EMULATOR_START_TIMEOUT_S):
        raise LaunchError(f"The Ably emulator stopped before it was ready: {output.last_line()}")
    return output.match[1]


def start_redis(children: Children, log: ServerLog) -> str:
    say("Starting Redis...")
    port = free_port()
    process = children.start("Redis", redis_command(port, str(CONFIG_DIR)))  # it writes nothing there
    output = ChildOutput(process.stdout, None, log.writer("[redis] "))
    with notice_if_slow("Redis to start", REDIS_START_TIMEOUT_S):
        if not wait_until_answering(port, process, REDIS_START_TIMEOUT_S):
            output.join(timeout=2)
            raise LaunchError(f"Redis did not start on 127.0.0.1:{port}: {output.last_line()}")
    return redis_url(port)


def start_vercel_dev(children: Children, log: ServerLog, port: int, config) -> str:
    """Start vercel dev and return the URL it says it serves, which must be on `port` (0: any)."""
    tools = os.pathsep.join([os.path.dirname(sys.executable), str(ROOT / "node_modules" / ".bin")])
    env = {**os.environ, "PATH": tools + os.pathsep + os.environ.get("PATH", ""), "VERCEL_TELEMETRY_DISABLED": "1"}
    command = ["vercel", "dev", "--local", "--yes", "-A", str(config), "--listen", f"127.0.0.1:{port}"]
    say("Starting vercel dev...")
    try:
        process = children.start("vercel dev", command, env=env)
    except FileNotFoundError:
        raise LaunchError("The vercel CLI is not installed: run make install") from None
    write = log.writer("[vercel] ")

    def on_line(line: str) -> None:
        write(line)
        if CLIENT_BUILD.search(line):
            say("Building the client (npm run build)...")

    output = ChildOutput(process.stdout, VERCEL_READY, on_line)
    match = wait_for_line(output, f"vercel dev to listen on 127.0.0.1:{port}", VERCEL_START_TIMEOUT_S)
    if match is None:
        raise LaunchError("vercel dev stopped before it was ready", show_log=True)
    # Taken since the check above: vercel dev would move to the next port, where nobody looks.
    if match["taken"] or (port and urlsplit(match["url"]).port != port):
        raise port_taken(port, "PORT", app_port_advice(port))
    return match["url"]


def fetch(url: str) -> int:
    """The HTTP status vercel dev answers `url` with."""
    try:
        with HTTP.open(url, timeout=BUILD_TIMEOUT_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise LaunchError(f"vercel dev did not answer {url}: {reason}", show_log=True) from None


def build_functions(app_url: str) -> None:
    """`vercel dev` builds each function on its first request; do that now, not on the user's first click."""
    for number, path in enumerate(FUNCTION_PATHS, 1):
        say(f"Building functions {number}/{len(FUNCTION_PATHS)}: {path}")
        fetch(app_url + path)  # a harmless request, answered with 4xx


def check_answering(app_url: str) -> None:
    for path in READY_CHECKS:
        if (status := fetch(app_url + path)) != 200:
            raise LaunchError(f"vercel dev answered {path} with HTTP {status}", show_log=True)


def serve(children: Children, log: ServerLog) -> int:
    """Return 1 once a server stops by itself; Ctrl-C and the signals handled in main end it otherwise."""
    while (ended := children.first_exited()) is None:
        time.sleep(0.5)
    log.show_tail()
    say(f"{ended}, so make dev stops everything.", sys.stderr)
    return 1


def checked_settings(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str], int | None]:
    """The settings the functions will get, checked; which of them the launcher supplies itself (by
    name, whose they are); and the emulator's port (None: no emulator)."""
    dotenv = dotenv_lines()
    settings = configured_settings(dotenv)
    own, emulator_port = {"LOOPBACK_HOSTS_ONLY": "make dev's"}, None
    if "ABLY_API_KEY" not in settings:
        emulator_port = choose_emulator_port(requested_port("--emulator-port", args.emulator_port, "EMULATOR_PORT"))
        # Its real address is known once it listens; any port passes the same checks.
        settings |= {
            "ABLY_API_KEY": args.emulator_key or DEFAULT_KEY,
            "ABLY_ENDPOINT": f"http://127.0.0.1:{emulator_port}",
        }
        own |= dict.fromkeys(("ABLY_API_KEY", "ABLY_ENDPOINT"), "the emulator's")
    if "REDIS_URL" not in settings and shutil.which("redis-server"):
        settings["REDIS_URL"] = redis_url(6379)  # likewise: its port is chosen when it starts
        own["REDIS_URL"] = "make dev's Redis's"
    settings["LOOPBACK_HOSTS_ONLY"] = "1"  # the functions refuse a DNS-rebinding page's requests
    check_dotenv_overrides_nothing(settings, dotenv, own)
    check_environment(settings)
    return settings, own, emulator_port


def describe_store(settings: dict[str, str], own: dict[str, str]) -> str:
    if "REDIS_URL" in own:
        return "names and limits: a local Redis"
    return "names and limits: REDIS_URL" if "REDIS_URL" in settings else "names and limits: per worker"


def run(
    children: Children,
    log: ServerLog,
    app_port: int,
    settings: dict[str, str],
    own: dict[str, str],
    emulator_port: int | None,
) -> int:
    emulator_url = None
    if emulator_port is not None:
        emulator_url = settings["ABLY_ENDPOINT"] = start_emulator(
            children, log, emulator_port, settings["ABLY_API_KEY"]
        )
    if "REDIS_URL" in own:
        settings["REDIS_URL"] = start_redis(children, log)
    elif "REDIS_URL" not in settings:
        say(
            "redis-server is not installed: names and limits hold only per vercel dev worker "
            "(apt-get install redis-server, or set REDIS_URL)"
        )
    config = dev_config_path()
    children.add_file(config)
    write_dev_config(config, settings)
    app_url = start_vercel_dev(children, log, app_port, config)
    build_functions(app_url)
    check_answering(app_url)
    say(
        f"Chat ready at {app_url} (realtime: {describe_realtime(settings, emulator_url)}; "
        f"{describe_store(settings, own)}). Servers' output: {log.relative_path()}. Ctrl-C stops everything."
    )
    return serve(children, log)


def launch(args: argparse.Namespace) -> int:
    remove_stale_files()
    app_port = requested_port("--port", args.port, "PORT")
    app_port = DEFAULT_PORT if app_port is None else app_port
    settings, own, emulator_port = checked_settings(args)
    check_port(app_port, "PORT", lambda: app_port_advice(app_port))
    log = ServerLog(dev_log_path(), verbose=os.environ.get("VERBOSE", "") not in ("", "0"))
    children = Children()
    try:
        return run(children, log, app_port, settings, own, emulator_port)
    except LaunchError as error:
        if error.show_log:
            log.show_tail()
        raise
    finally:
        # A second Ctrl-C or signal must not cut the clean-up short and leave servers behind.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        children.stop()
        log.close()


def exit_on_signal(signum, frame) -> None:
    sys.exit(0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", help=f"the app's port (default: PORT, else {DEFAULT_PORT}; 0: any)")
    parser.add_argument(
        "--emulator-port",
        help=f"the emulator's port (default: EMULATOR_PORT, else {DEFAULT_EMULATOR_PORT} or a free one; 0: any)",
    )
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
