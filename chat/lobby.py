"""The lobby's list: rooms with people in them now, and how many.

Two Ably requests answer it (the active channels of the chat namespace, then their presence in
one batch), and the answer is kept for a few seconds, so a busy lobby costs Ably little.
"""

import threading
import time

from chat.ably_rest import Ably
from chat.rooms import NAMESPACE, room_for

CACHE_S = 5.0


class Lobby:
    def __init__(self, ably: Ably, clock=time.monotonic):
        self._ably = ably
        self._clock = clock
        self._lock = threading.Lock()
        self._rooms: list[dict] = []
        self._fresh_until = 0.0

    def occupied_rooms(self) -> list[dict]:
        """[{"room", "people"}], busiest first; people counted once however many tabs they have."""
        with self._lock:  # one refresh at a time; the others wait for its answer
            if self._clock() >= self._fresh_until:
                self._rooms = self._count_people()
                self._fresh_until = self._clock() + CACHE_S
            return self._rooms

    def _count_people(self) -> list[dict]:
        channels = [name for name in self._ably.active_channels(NAMESPACE) if room_for(name)]
        members = self._ably.members_of(channels)
        people = {room_for(channel): len({member.client_id for member in members.get(channel, [])})
                  for channel in channels}
        return sorted(({"room": room, "people": count} for room, count in people.items() if count),
                      key=lambda entry: (-entry["people"], entry["room"]))
