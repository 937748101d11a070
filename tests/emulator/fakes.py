"""Stand-ins for the I/O the emulator's core is handed (see emulator/io_ports.py), so unit tests
drive it frame by frame, with time moved by hand and ids that repeat from run to run."""

from __future__ import annotations

import heapq
import itertools
import string

from emulator.apps import Registry
from emulator.connection import ConnectionSettings
from emulator.messaging import Fanout
from emulator.realtime import Realtime
from emulator.service import Service


class FakeTime:
    """Clock and scheduler in one: `advance` runs timers that fall due."""

    def __init__(self, now_ms: int = 1_700_000_000_000):
        self.now_ms = now_ms
        self._timers = []
        self._order = itertools.count()

    def __call__(self):
        return self.now_ms

    def call_later(self, delay_s, fn):
        entry = [self.now_ms + delay_s * 1000, next(self._order), fn]
        heapq.heappush(self._timers, entry)

        class Handle:
            def cancel(self):
                entry[2] = None

        return Handle()

    def advance(self, seconds):
        target = self.now_ms + seconds * 1000
        while self._timers and self._timers[0][0] <= target:
            due, _, fn = heapq.heappop(self._timers)
            self.now_ms = max(self.now_ms, int(due))
            if fn:
                fn()
        self.now_ms = int(target)


class SequentialIds:
    """Distinct, predictable ids of the requested shape."""

    def __init__(self):
        self._counter = itertools.count(1)

    def _next(self, alphabet: str, length: int) -> str:
        n, out = next(self._counter), []
        for _ in range(length):
            n, digit = divmod(n, len(alphabet))
            out.append(alphabet[digit])
        return "".join(reversed(out))

    def short_id(self, length):
        return self._next(string.ascii_letters + string.digits, length)

    def secret(self, nbytes):
        return self._next(string.ascii_letters + string.digits + "-_", (nbytes * 4 + 2) // 3)


class FakeTransport:
    def __init__(self):
        self.frames = []
        self.closed = False

    def send(self, pm):
        self.frames.append(pm)

    def close(self):
        self.closed = True

    def take(self):
        frames, self.frames = self.frames, []
        return frames


def make_realtime(key: str, settings: ConnectionSettings | None = None, heartbeats: bool = False):
    """A clock, a registry with `key`, and the realtime machine over them (sending heartbeats only
    if asked, so that tests counting frames over long fake spans see no others)."""
    clock, ids = FakeTime(), SequentialIds()
    registry = Registry(clock, ids)
    registry.add_key_str(key)
    return clock, registry, Realtime(Service(registry, Fanout(clock, ids)), clock, ids, settings, heartbeats)
