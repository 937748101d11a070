"""Child processes that talk in JSON lines, and the CPU time /proc says any process has used."""

import json
import os
import queue
import subprocess
import threading
from pathlib import Path

from devtools import ROOT
from devtools.processes import stop

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


class JsonLineProcess:
    """A child that prints one JSON object per line on stdout and reads commands on stdin.
    Use as a context manager: the child is stopped (devtools.processes.stop) on exit."""

    def __init__(self, command: list[str], env: dict | None = None):
        self.command = command
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_stdout(self) -> None:
        for line in self.process.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.errors.append(line)

    def next_event(self, timeout: float) -> dict:
        try:
            event = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"{self.command[:3]} said nothing for {timeout} s") from None
        if event is None:
            raise RuntimeError(f"{self.command[:3]} exited ({self.process.wait()}):\n{''.join(self.errors[-20:])}")
        return event

    def wait_for(self, kind: str, timeout: float) -> dict:
        """The next event of this kind; events of other kinds in between are dropped."""
        while (event := self.next_event(timeout))["event"] != kind:
            pass
        return event

    def send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        stop(self.process)
