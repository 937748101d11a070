"""Run the real launcher (scripts/dev.py) and look at what it leaves: processes, files, ports."""

import contextlib
import fcntl
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from chat.config import VARIABLES
from devtools import ROOT
from devtools.app import START_TIMEOUT
from devtools.processes import stop
from tests.support.http import QuietHandler, serving

GONE_TIMEOUT = 60  # generous: the machine is shared; the launcher and its guard stop within ~10 s


def launcher_env(**variables: str) -> dict[str, str]:
    """The test's environment without any setting or port a developer may have exported."""
    env = {name: value for name, value in os.environ.items() if name not in {*VARIABLES, "PORT", "EMULATOR_PORT"}}
    return {**env, "PYTHONUNBUFFERED": "1", **variables}


def new_key() -> tuple[str, str]:
    """An emulator key and its secret, unique to the test, so that files holding it can be found."""
    secret = secrets.token_urlsafe(18)
    return f"local.dev:{secret}", secret


def project_copy(folder: Path) -> Path:
    """What the launcher reads before it starts anything, in a folder of its own: a test's .env
    never touches the checkout's."""
    for name in ("scripts", "chat", "emulator", "devtools"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "vercel.json", folder)
    return folder


def run_to_exit(env: dict[str, str], cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scripts.dev"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def take_terminal() -> None:
    """In the child, after setsid: make the pty on stdin its controlling terminal, as a shell's is."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Launcher:
    """scripts/dev.py running in the background, in a session of its own, on a pipe or a terminal (pty)."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = (), terminal: bool = False):
        self.lines: list[str] = []
        self.ended = False
        self.changed = threading.Condition()
        self.hang_up_requested = threading.Event()
        if terminal:
            self.fd, child_side = os.openpty()
            options = {"stdin": child_side, "preexec_fn": take_terminal}
        else:
            self.fd, child_side = os.pipe()
            options = {"stdin": subprocess.DEVNULL}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.dev", *args],
            cwd=ROOT,
            env=env,
            stdout=child_side,
            stderr=child_side,
            start_new_session=True,
            **options,
        )
        os.close(child_side)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        pending = b""
        try:
            while not self.hang_up_requested.is_set():
                if not select.select([self.fd], [], [], 0.1)[0]:
                    continue
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # EIO: every process on the terminal has closed it
                    chunk = b""
                if not chunk:
                    break
                *complete, pending = (pending + chunk).split(b"\n")
                with self.changed:
                    self.lines += [line.decode(errors="replace").rstrip("\r") for line in complete]
                    self.changed.notify_all()
        finally:
            os.close(self.fd)  # for a terminal: the hang-up, as when its window closes
            with self.changed:
                self.ended = True
                self.changed.notify_all()

    def search(self, pattern: str) -> re.Match | None:
        return next((m for line in self.lines if (m := re.search(pattern, line))), None)

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match:
        with self.changed:
            self.changed.wait_for(lambda: self.search(pattern) or self.ended, timeout)
        match = self.search(pattern)
        assert match, f"no line matching {pattern!r} in the launcher's output:\n" + self.output()
        return match

    def output(self) -> str:
        return "\n".join(self.lines[-60:])

    def hang_up(self) -> None:
        """Close the terminal, as closing its window does."""
        self.hang_up_requested.set()
        self.reader.join(timeout=5)

    def stop(self) -> None:
        """The test's own clean-up: SIGTERM, as Ctrl-C would, then SIGKILL."""
        stop(self.process, group=True, timeout=GONE_TIMEOUT)
        self.hang_up_requested.set()
        self.reader.join(timeout=5)


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    pgid: int
    state: str
    args: str


def processes() -> list[Process]:
    """Every process on the machine, from ps (the same options on Linux and macOS; -ww: whole command lines)."""
    listing = subprocess.run(
        ["ps", "-A", "-ww", "-o", "pid=,ppid=,pgid=,stat=,args="], capture_output=True, text=True, check=True
    ).stdout
    rows = (line.split(None, 4) for line in listing.splitlines())
    return [
        Process(int(pid), int(ppid), int(pgid), state, rest[0] if rest else "")
        for pid, ppid, pgid, state, *rest in rows
    ]


def children_of(pid: int) -> list[Process]:
    return [p for p in processes() if p.ppid == pid]


def wait_for_child(pid: int, args_part: str) -> Process:
    found = eventually(
        lambda: [p for p in children_of(pid) if args_part in p.args],
        f"a child running {args_part!r}",
        timeout=GONE_TIMEOUT,
    )
    return found[0]


def left_in(groups: set[int], timeout: float = GONE_TIMEOUT) -> list[Process]:
    """The processes still running in `groups` once they had `timeout` seconds to go (zombies, already
    dead and waiting for init to collect them, do not count)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in processes() if p.pgid in groups and not p.state.startswith("Z")]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def files_holding(secret: str) -> list[Path]:
    """Files in the project's .vercel/ or the system's temp folder (top level) that contain `secret`."""
    found = []
    for folder in (ROOT / ".vercel", Path(tempfile.gettempdir())):
        for path in folder.glob("*") if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_size < 2**20 and secret in path.read_text(errors="ignore"):
                    found.append(path)
    return found


class OtherApp(QuietHandler):
    """Someone else's dev server."""

    def do_GET(self):
        self.respond(b"<title>Another app</title>", "text/html")


def other_app(port: int = 0):
    """Someone else's dev server on 127.0.0.1 (on `port`, or a free one), yielding its port."""
    return serving(OtherApp, port)


@contextlib.contextmanager
def silent_listener(port: int = 0):
    """A socket that accepts connections (the kernel does, into its backlog) and never answers."""
    with socket.create_server(("127.0.0.1", port)) as sock:
        yield sock.getsockname()[1]


def eventually(check, what: str, timeout: float = START_TIMEOUT):
    """The first truthy result of `check()`, polled for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"gave up waiting for {what} after {timeout} s"
        time.sleep(0.05)
    return result
