"""What `make dev` tells the user: its own short progress lines on the terminal, and everything its
servers print in a log file under the project's git-ignored `.vercel/`, shown only with VERBOSE=1
or, its last lines, when something fails."""

import contextlib
import os
import sys
import threading
from collections import deque
from pathlib import Path

NOTICE_AFTER_S = 5
TAIL_LINES = 25


class LaunchError(Exception):
    """Why the app cannot start, in one line for the user; with `show_log`, the servers' last lines
    come first, because what they printed says more."""

    def __init__(self, message: str, show_log: bool = False):
        super().__init__(message)
        self.show_log = show_log


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


class ServerLog:
    """The servers' output, each line prefixed with the server's name, in a file readable by the user
    only (a server may print a setting), and on the terminal too with `verbose`."""

    def __init__(self, path: Path, verbose: bool):
        self.path, self.verbose = path, verbose
        self.recent: deque[str] = deque(maxlen=TAIL_LINES)
        self.lock = threading.Lock()
        path.parent.mkdir(exist_ok=True)
        path.unlink(missing_ok=True)
        self.file = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8")

    def writer(self, prefix: str):
        """A function that logs one line of a server's output."""

        def write(line: str) -> None:
            with self.lock:
                self.recent.append(prefix + line)
                with contextlib.suppress(ValueError):  # closed: the launcher is stopping
                    self.file.write(prefix + line + "\n")
                    self.file.flush()
            if self.verbose:
                say(prefix + line)

        return write

    def show_tail(self) -> None:
        """The last lines the servers printed, and where the rest is (unless they are on screen already)."""
        if self.verbose:
            return
        with self.lock:
            lines = list(self.recent)
        say(f"The servers' last lines (all of them: {self.relative_path()}):", sys.stderr)
        for line in lines:
            say("  " + line, sys.stderr)

    def relative_path(self) -> str:
        with contextlib.suppress(ValueError):
            return str(self.path.relative_to(Path.cwd()))
        return str(self.path)

    def close(self) -> None:
        with self.lock:
            self.file.close()
