"""The processes `make dev` starts, each leading a process group of its own, and the files it writes;
a guard process (scripts/dev_guard.py) stops and removes them if the launcher dies first."""

import signal
import subprocess
import sys
from pathlib import Path

from devtools import ROOT
from devtools.dev_console import LaunchError, notice_if_slow
from devtools.processes import STOP_TIMEOUT_S, stop_groups


class Children:
    def __init__(self):
        self.names: dict[subprocess.Popen, str] = {}
        self.files: list[Path] = []
        self.guard = subprocess.Popen(
            [sys.executable, "-m", "scripts.dev_guard"],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )

    def tell_guard(self, line: str) -> None:
        try:
            self.guard.stdin.write(line + "\n")
            self.guard.stdin.flush()
        except OSError:
            raise LaunchError("The clean-up guard (scripts/dev_guard.py) stopped unexpectedly") from None

    def start(self, name: str, command: list[str], **options) -> subprocess.Popen:
        """Start `command` with its output on a pipe; `name` says what it is ("the Ably emulator")."""
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
            **options,
        )
        self.names[process] = name
        self.tell_guard(f"group {process.pid}")
        return process

    def add_file(self, path: Path) -> None:
        self.files.append(path)
        self.tell_guard(f"file {path}")

    def first_exited(self) -> str | None:
        """How the first child that stopped by itself ended, in words, or None while all run."""
        for process, name in self.names.items():
            if process.poll() is not None:
                return f"{name} {how_it_ended(process.returncode)}"
        return None

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


def how_it_ended(returncode: int) -> str:
    """A child's end in words. The servers exit 0 only when told to stop (SIGTERM or Ctrl-C)."""
    if returncode == 0:
        return "was stopped from outside make dev (it exits cleanly only when sent SIGTERM or SIGINT)"
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"failed (exit status {returncode})"
