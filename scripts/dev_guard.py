"""Stop what `make dev` started when the launcher dies without doing it itself (SIGKILL, a crash).

The launcher (scripts/dev.py) starts this process in a session of its own, out of reach of the
terminal's signals, and writes to its stdin one line per thing to clean up: `group PGID` for each
process group it starts, `file PATH` for each file it writes. The launcher is the only writer, so
end-of-file on stdin means it is gone: every group is then stopped and every file removed. After
a clean shutdown the launcher has done all that already and ends this process first.
"""

import signal
import sys
from pathlib import Path

from devtools.processes import stop_groups


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
