"""Small helpers shared by the reliability suites."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time

from tests.support.functions import ROOT


def memory_mib(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of a live process from /proc/<pid>/status: VmRSS now, or VmHWM, its peak."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def percentile(histogram: dict[int, int], fraction: float) -> int | None:
    """The value below which `fraction` of the samples fall, from a {value: count} histogram (None if empty)."""
    total = sum(histogram.values())
    rank = fraction * total
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


class ChatWatcher:
    """An ably-js client in Node (tests/reliability/js/watch-chat.mjs) subscribed to `chat`, with
    the default options a real client has, reporting its connection states and the messages it gets."""

    def __init__(self, emulator_url: str, key: str):
        env = {**os.environ, "ABLY_EMULATOR_URL": emulator_url, "ABLY_EMULATOR_KEY": key}
        self.process = subprocess.Popen(["node", "tests/reliability/js/watch-chat.mjs"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, text=True)
        self.states: list[str] = []
        self.message_ids: list[str] = []
        self.attached = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            event = json.loads(line)
            with self._changed:
                if "state" in event:
                    self.states.append(event["state"])
                elif "message" in event:
                    self.message_ids.append(event["message"])
                else:
                    self.attached = True
                self._changed.notify_all()

    def wait_until(self, condition, timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(f"timed out after {timeout} s waiting until {what}; "
                                     f"states {self.states}, messages {self.message_ids}")

    def wait_for_message(self, message_id: str, timeout: float = 10) -> None:
        self.wait_until(lambda: message_id in self.message_ids, timeout, f"message {message_id} arrived")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)

    def __enter__(self) -> "ChatWatcher":
        self.wait_until(lambda: self.attached, 20, "the watcher was attached to chat")
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {what}")
        time.sleep(interval)
    return result
