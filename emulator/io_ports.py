"""What the sans-I/O core needs from its host, as structural types.

The core (everything but `__main__.py`, `server.py`, `rest.py`, `http_render.py` and `persistence.py`)
never reads a clock, sleeps, draws randomness or touches a socket or a file itself: it is handed these
collaborators, so the asyncio layer supplies real ones and tests supply fakes they drive by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .channels import Channel, Event


class Clock(Protocol):
    def __call__(self) -> int:
        """Milliseconds since the Unix epoch."""


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    def call_later(self, delay_s: float, callback: Callable[[], None]) -> TimerHandle: ...


class Transport(Protocol):
    """One client socket: frames go out in order; `close` ends it after what was sent."""

    def send(self, pm: dict) -> None: ...

    def close(self) -> None: ...


class IdSource(Protocol):
    def short_id(self, length: int) -> str:
        """Letters and digits only: safe inside ids that clients split on `:`, `!` or `-`."""

    def secret(self, nbytes: int) -> str:
        """URL-safe text carrying `nbytes` of randomness (tokens, key secrets)."""


class EventSink(Protocol):
    def __call__(self, app_id: str, channel: Channel, event: Event) -> None:
        """Told of every event a channel logs, e.g. to journal history."""
