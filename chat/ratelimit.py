"""Token-bucket rate limits, kept in memory.

On Vercel each function instance keeps its own buckets: a warm instance serves many requests
(concurrently, under Fluid compute), so a limit holds for a burst from one client, but several
instances each allow the full rate. A limit shared by all instances needs a shared store.
"""

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    burst: int  # requests allowed at once
    per_second: float  # refill speed


class RateLimiter:
    def __init__(self, rate: Rate, max_keys: int = 10_000, clock=time.monotonic):
        self._rate = rate
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int:
        """Take one request for `key`: 0 if allowed, else the seconds to wait before retrying."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self._rate.burst, now))
            tokens = min(self._rate.burst, tokens + (now - last) * self._rate.per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)  # re-inserted as newest
            if len(self._buckets) > self._max_keys:  # bounded memory: forget the oldest key
                del self._buckets[next(iter(self._buckets))]
        return 0 if allowed else math.ceil((1 - tokens) / self._rate.per_second)
