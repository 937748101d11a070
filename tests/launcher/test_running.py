"""The launcher with real servers: what it serves where it says, and what is left when it is killed."""

import os
import signal
import stat

import httpx

from devtools import ROOT
from devtools.app import START_TIMEOUT
from devtools.dev_ports import DEFAULT_EMULATOR_PORT
from devtools.processes import signal_groups
from devtools.tcp_ports import free_port, listen_error
from tests.launcher.support import (
    GONE_TIMEOUT,
    children_of,
    eventually,
    files_holding,
    launcher_env,
    left_in,
    new_key,
    other_app,
    run_to_exit,
    silent_listener,
    wait_for_child,
)

CHAT_READY = r"Chat ready at (http://\S+)"
EMULATOR_READY = r"Chat ready at .* the local Ably emulator at (http://[^\s;)]+)"
VERCEL_DEV = " dev --local"  # in the command line of the vercel dev process
CHILDREN = ["-m emulator", "redis-server", "scripts.dev_guard", VERCEL_DEV]


def known_groups(launcher, launchers) -> set[int]:
    """The process groups of the launcher's children: its guard, the emulator, Redis, and vercel dev
    with the workers it spawns."""
    children = children_of(launcher.pid)
    assert sorted(part for child in children for part in CHILDREN if part in child.args) == sorted(CHILDREN), children
    groups = {child.pgid for child in children}
    launchers.groups |= groups
    return groups


def test_with_the_default_emulator_port_busy_it_serves_the_chat_and_goes_entirely_with_a_sigkill(
    launchers, default_emulator_port_busy
):
    key, secret = new_key()
    port = free_port()
    launcher = launchers.start(launcher_env(PORT=str(port)), args=("--emulator-key", key))
    app_url = launcher.wait_for(CHAT_READY)[1]
    emulator_url = launcher.wait_for(EMULATOR_READY)[1]
    emulator_port = int(emulator_url.rsplit(":", 1)[1])
    assert app_url == f"http://127.0.0.1:{port}" and emulator_port != DEFAULT_EMULATOR_PORT

    page = httpx.get(app_url + "/")
    assert page.status_code == 200 and "<title>Chat" in page.text
    claimed = httpx.post(app_url + "/api/session", json={"username": "Ana"}, timeout=60)
    assert claimed.status_code == 200, claimed.text
    auth = httpx.get(
        app_url + "/api/ably/auth", headers={"Authorization": f"Bearer {claimed.json()['session']}"}, timeout=60
    )
    assert auth.status_code == 200 and auth.json()["keyName"] == "local.dev"
    assert auth.headers["X-Realtime-Endpoint"] == emulator_url
    assert httpx.get(emulator_url + "/time").status_code == 200

    # Quiet: the launcher's own lines, one of them "ready"; vercel dev's output is in the log only.
    ready_lines = [line for line in launcher.lines if "ready" in line.lower()]
    assert len(ready_lines) == 1 and ready_lines[0].startswith("Chat ready at "), launcher.output()
    assert not [line for line in launcher.lines if "[vercel]" in line or "WSGI" in line or "Vercel CLI" in line]
    log = ROOT / launcher.wait_for(r"Servers' output: (\S+)\.")[1]
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert f"[vercel] > Ready! Available at {app_url}" in log.read_text()

    [config] = files_holding(secret)
    assert config.parent == ROOT / ".vercel" and stat.S_IMODE(config.stat().st_mode) == 0o600
    # Another make dev on the same port is refused, and does not take the running one's config for stale.
    second = run_to_exit(launcher_env(PORT=str(port)))
    assert second.returncode == 1 and f"Port {port} (PORT) is already in use" in second.stderr
    assert files_holding(secret) == [config]

    groups = known_groups(launcher, launchers)
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.process.wait()
    assert left_in(groups) == []
    assert files_holding(secret) == []
    assert listen_error(port) is None and listen_error(emulator_port) is None  # the next make dev can have them


def test_closing_its_terminal_stops_everything_and_a_slow_start_says_what_it_waits_for(launchers):
    key, secret = new_key()
    port, emulator_port = free_port(), free_port()
    launcher = launchers.start(
        launcher_env(PORT=str(port), EMULATOR_PORT=str(emulator_port), VERBOSE="1"),
        args=("--emulator-key", key),
        terminal=True,
    )
    vercel = wait_for_child(launcher.pid, VERCEL_DEV)
    launchers.groups.add(vercel.pgid)
    os.killpg(vercel.pgid, signal.SIGSTOP)  # frozen, it cannot say it is ready: the wait must be announced
    try:
        launcher.wait_for(
            rf"^Waiting for vercel dev to listen on 127\.0\.0\.1:{port} \(up to \d+ s\)\.\.\.$", timeout=60
        )
    finally:
        os.killpg(vercel.pgid, signal.SIGCONT)
    assert launcher.wait_for(CHAT_READY)[1] == f"http://127.0.0.1:{port}"
    assert launcher.wait_for(EMULATOR_READY)[1] == f"http://127.0.0.1:{emulator_port}"
    assert launcher.search(r"^\[vercel\] > Ready! Available at "), "VERBOSE=1 shows vercel dev's own output"
    assert len(files_holding(secret)) == 1

    groups = known_groups(launcher, launchers)
    launcher.hang_up()
    assert launcher.process.wait(timeout=GONE_TIMEOUT) >= 0, "the hang-up killed it before it could clean up"
    assert left_in(groups) == []
    assert files_holding(secret) == []
    assert listen_error(port) is None and listen_error(emulator_port) is None


def test_an_app_port_taken_while_vercel_dev_starts_is_refused_all_the_same(launchers):
    key, secret = new_key()
    port = free_port()
    launcher = launchers.start(launcher_env(PORT=str(port), EMULATOR_PORT="0"), args=("--emulator-key", key))
    wait_for_child(launcher.pid, VERCEL_DEV)
    groups = known_groups(launcher, launchers)
    # Taken after the launcher's own check, while vercel dev boots (it listens 1.5 s or more after it starts).
    with other_app(port):
        assert launcher.process.wait(timeout=START_TIMEOUT) == 1, launcher.output()
        launcher.wait_for(rf"^Port {port} \(PORT\) is already in use on 127\.0\.0\.1: .* e\.g\. PORT=\d+ make dev$")
        assert not launcher.search(CHAT_READY)
        assert "Another app" in httpx.get(f"http://127.0.0.1:{port}/").text
    assert left_in(groups) == []
    assert files_holding(secret) == []


def test_a_config_left_by_a_launcher_killed_with_its_guard_goes_at_the_next_start(launchers):
    key, secret = new_key()
    launcher = launchers.start(launcher_env(PORT=str(free_port()), EMULATOR_PORT="0"), args=("--emulator-key", key))
    eventually(lambda: files_holding(secret), "the launcher to write its vercel config")
    os.kill(launcher.pid, signal.SIGSTOP)  # so that it starts nothing more while the test looks
    children = children_of(launcher.pid)
    launchers.groups |= {child.pgid for child in children}
    [guard] = [child for child in children if "scripts.dev_guard" in child.args]
    os.kill(guard.pid, signal.SIGKILL)  # `kill -9` of the launcher and its guard alike
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.process.wait()
    signal_groups(launchers.groups, signal.SIGKILL)  # what they started is the test's to stop now
    assert left_in(launchers.groups) == []
    [stale] = files_holding(secret)

    with silent_listener() as busy:  # the next start, even one refused at once, removes it
        assert run_to_exit(launcher_env(PORT=str(busy))).returncode == 1
    assert not stale.exists()
