"""Reading a child process's output: the one ready-line watcher of the launcher, the tests and the benchmarks."""

import re
import threading

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class ChildOutput(threading.Thread):
    """Reads a child's output to its end on a thread of its own, so that its pipe never fills up:
    keeps every line (colours stripped), hands each to `on_line`, and catches the first line that
    matches `pattern` (if given), for the caller to wait on."""

    def __init__(self, stream, pattern: re.Pattern | None, on_line=None):
        super().__init__(daemon=True)
        self.stream, self.pattern, self.on_line = stream, pattern, on_line
        self.lines: list[str] = []
        self.match: re.Match | None = None
        self.done = threading.Event()  # set at the matching line, or at the end of the output
        self.start()

    def run(self) -> None:
        for raw in self.stream:
            line = ANSI_ESCAPE.sub("", raw.rstrip("\n"))
            self.lines.append(line)
            if self.on_line:
                self.on_line(line)
            if self.pattern and self.match is None and (match := self.pattern.search(line)):
                self.match = match
                self.done.set()
        self.done.set()

    def wait_for_match(self, timeout: float) -> re.Match | None:
        """The matching line, or None if the output ended without one; TimeoutError if neither came."""
        if not self.done.wait(timeout):
            raise TimeoutError(f"no matching line within {timeout:.0f} s")
        return self.match

    def last_line(self) -> str:
        return next((line for line in reversed(self.lines) if line.strip()), "it printed nothing")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
