"""The lobby's list: rooms with people in them now, and how many.

Ably's channel enumeration and batch presence answer it (every page of each, at most 100 channels
a presence request), and the answer is kept for a few seconds, so a busy lobby costs Ably little.
When Ably fails, the last good list is served, marked stale; only a lobby that never had one fails.
"""

import logging
import threading
import time

from chat.ably_client import Ably, AblyFailed
from chat.rooms import NAMESPACE, room_for

CACHE_S = 5.0

log = logging.getLogger(__name__)


class Lobby:
    def __init__(self, ably: Ably, clock=time.monotonic):
        self._ably = ably
        self._clock = clock
        self._lock = threading.Lock()
        self._rooms: list[dict] | None = None  # None until a refresh succeeds
        self._stale = False
        self._fresh_until = 0.0

    def occupied_rooms(self) -> tuple[list[dict], bool]:
        """([{"room", "people"}], stale): busiest first, people counted once however many tabs they
        have; `stale` when Ably failed and this is the last good list. AblyFailed if there is none."""
        with self._lock:  # one refresh at a time; the others wait for its answer
            if self._clock() >= self._fresh_until:
                try:
                    self._rooms, self._stale = self._count_people(), False
                except AblyFailed:
                    if self._rooms is None:
                        raise
                    log.warning("serving the last good list of rooms")
                    self._stale = True
                # A failure is retried no sooner than a success would be: Ably is not hammered.
                self._fresh_until = self._clock() + CACHE_S
            assert self._rooms is not None, "a first refresh either succeeds or raises"
            return self._rooms, self._stale

    def _count_people(self) -> list[dict]:
        channels = [name for name in self._ably.active_channels(NAMESPACE) if room_for(name)]
        members = self._ably.members_of(channels)
        people = {
            room_for(channel): len({member.client_id for member in members.get(channel, [])}) for channel in channels
        }
        return sorted(
            ({"room": room, "people": count} for room, count in people.items() if count),
            key=lambda entry: (-entry["people"], entry["room"]),
        )
