"""Stop what `make dev` started when the launcher dies without doing it itself (SIGKILL, a crash).

The launcher (scripts/dev.py) starts this process in a session of its own, out of reach of the
terminal's signals, and writes to its stdin one line per thing to clean up: `group PGID` for each
process group it starts, `file PATH` for each file it writes. The launcher is the only writer, so
end-of-file on stdin means it is gone: every group is then stopped and every file removed. After
a clean shutdown the launcher has done all that already and ends this process first.
"""

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

STOP_TIMEOUT_S = 10


def group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        pass
    return True


def signal_groups(pgids: list[int], signum: int) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signum)


def stop_groups(pgids: list[int], reap: Callable[[], object] = lambda: None) -> None:
    """SIGTERM every group, wait until all are gone, SIGKILL whatever is left after STOP_TIMEOUT_S.

    `reap` lets the parent of the group leaders collect them: a leader that exited but was not waited
    for is a zombie, which keeps its group alive."""
    signal_groups(pgids, signal.SIGTERM)
    signal_groups(pgids, signal.SIGCONT)  # vercel dev freezes idle Python workers; frozen ones must wake to exit
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        reap()
        if not any(map(group_exists, pgids)):
            return
        time.sleep(0.1)
    signal_groups(pgids, signal.SIGKILL)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only end-of-file on stdin ends the watch
    groups, files = [], []
    for line in sys.stdin:
        kind, _, value = line.rstrip("\n").partition(" ")
        if kind == "group":
            groups.append(int(value))
        elif kind == "file":
            files.append(Path(value))
    stop_groups(groups)
    for path in files:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
