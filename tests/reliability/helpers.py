"""Small helpers shared by the reliability suites."""

from __future__ import annotations

import json
import os
import subprocess
import threading

from devtools import ROOT
from devtools.node import node_executable
from devtools.processes import stop

# Every message these suites send goes out under this claim, so its Ably id is known in advance.
CLAIM = "reliability"


def ably_id(browser_id: str) -> str:
    """The id Ably gives a message sent with `browser_id` (see chat/messages.py)."""
    return f"{CLAIM}:{browser_id}"


def start_node_client(script: str, emulator_url: str, key: str, *, stdin: bool = False, **env: str) -> subprocess.Popen:
    """tests/reliability/js/`script` under Node, against the emulator at `emulator_url` with `key` and
    `env`; it reports on stdout, one line of text at a time (and reads stdin with `stdin`)."""
    return subprocess.Popen(
        [node_executable(), f"tests/reliability/js/{script}"],
        cwd=ROOT,
        env={**os.environ, "ABLY_EMULATOR_URL": emulator_url, "ABLY_EMULATOR_KEY": key, **env},
        stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE,
        text=True,
    )


class ChatWatcher:
    """An ably-js client in Node (tests/reliability/js/watch-chat.mjs) subscribed to `chat`, with
    the default options a real client has, reporting its connection states and the messages it gets."""

    def __init__(self, emulator_url: str, key: str):
        self.process = start_node_client("watch-chat.mjs", emulator_url, key)
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
                raise AssertionError(
                    f"timed out after {timeout} s waiting until {what}; "
                    f"states {self.states}, messages {self.message_ids}"
                )

    def wait_for_message(self, message_id: str, timeout: float = 10) -> None:
        self.wait_until(lambda: message_id in self.message_ids, timeout, f"message {message_id} arrived")

    def close(self) -> None:
        stop(self.process, timeout=5)
        self._reader.join(timeout=5)

    def __enter__(self) -> ChatWatcher:
        self.wait_until(lambda: self.attached, 20, "the watcher was attached to chat")
        return self

    def __exit__(self, *exc) -> None:
        self.close()
