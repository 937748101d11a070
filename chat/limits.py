"""Rate limits and name reservations, counted where every function instance can see them.

On Vercel each concurrent request may run in its own instance, and instances come and go, so
counts kept in one instance's memory limit only what that instance sees. With REDIS_URL set
(`redis://` or TLS `rediss://`, as Vercel's Redis integrations hand out), every instance counts
in Redis; without it, in memory, which is what `make dev` and the tests need.

When Redis cannot be reached, or does not answer within REDIS_TIMEOUT_S, every limit falls
back to the instance's own memory for STORE_RETRY_S before Redis is tried again: a weaker limit
for a while (a burst from one client on one warm instance is still stopped) rather than none,
and rather than refusing every request, which would take the chat down with the store. Each
change between the two is logged once.

The counting itself is the `limits` package's moving window: at most `amount` requests in any
`per_seconds` span.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.05  # a limiter must not hold a request up for longer
STORE_RETRY_S = 5.0
_KEY_PREFIX = "chat"


@dataclass(frozen=True)
class Rule:
    name: str
    amount: int  # requests allowed in any window of `per_seconds`
    per_seconds: int

    def item(self, scale: int = 1) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(self.amount * scale, self.per_seconds, namespace=_KEY_PREFIX)


# A burst of `amount`, then amount/per_seconds a second: the same bursts and rates as the token
# buckets these replace.
SEND_PER_IP = Rule("send-ip", 60, 12)  # 5 a second: a shared office address, well under Ably's 50/s
SEND_PER_USER = Rule("send-user", 10, 10)  # 1 a second per person in a room
TOKEN_PER_IP = Rule("token-ip", 60, 60)  # browsers ask once per connection, then hourly
SESSION_PER_IP = Rule("session-ip", 120, 60)  # claims, 5-minutely renewals and leaves of an office
ROOMS_PER_IP = Rule("rooms-ip", 120, 60)  # the lobby refreshes every few seconds


class Limits:
    def __init__(self, redis_url: str | None = None, clock=time.monotonic, scale: int = 1):
        """`scale` multiplies every rule's amount: benchmarks and tests that send far more than
        a person could still go through a real limiter."""
        self._scale = scale
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._local_reservations = _MemoryReservations(clock)
        self._shared = self._redis = None
        if redis_url:
            # Made now, while the function loads, never lazily by concurrent first requests.
            import redis
            from limits.storage import RedisStorage
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # No retries: a second try would double the wait, and the fallback is ready.
            options = {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S,
                       "retry": Retry(NoBackoff(), 0)}
            self._redis = redis.Redis.from_url(redis_url, **options)
            self._redis_errors = (redis.RedisError, OSError)
            storage = RedisStorage(redis_url, connection_pool=self._redis.connection_pool,
                                   key_prefix=_KEY_PREFIX, wrap_exceptions=True, **options)
            self._shared = MovingWindowRateLimiter(storage)
        self._clock = clock
        self._down = False
        self._retry_at = 0.0
        self._state_lock = threading.Lock()

    def take(self, rule: Rule, key: str) -> int:
        """Take one request from `key`'s allowance under `rule`: 0 if there was one, else the seconds
        to wait before there is."""
        identity = (rule.name, key)
        if self._store_usable():
            try:
                wait = self._count(self._shared, rule, identity)
            except StorageError as error:
                self._store_failed(error.storage_error)
            else:
                self._store_answered()
                return wait
        return self._count(self._local, rule, identity)

    def reserve(self, key: str, owner: str, seconds: int) -> bool:
        """Hold `key` for `owner` for `seconds`: True if it was free or already `owner`'s."""
        if self._store_usable():
            name = f"{_KEY_PREFIX}:reservation:{key}"
            try:
                held = self._redis.set(name, owner, nx=True, ex=seconds) or self._redis.get(name) == owner.encode()
            except self._redis_errors as error:
                self._store_failed(error)
            else:
                self._store_answered()
                return held
        return self._local_reservations.reserve(key, owner, seconds)

    def release(self, key: str, owner: str) -> None:
        """Let go of `key` if `owner` holds it."""
        if self._store_usable():
            name = f"{_KEY_PREFIX}:reservation:{key}"
            try:
                if self._redis.get(name) == owner.encode():
                    self._redis.delete(name)
            except self._redis_errors as error:
                self._store_failed(error)
            else:
                self._store_answered()
        self._local_reservations.release(key, owner)

    def _count(self, limiter: MovingWindowRateLimiter, rule: Rule, identity: tuple[str, str]) -> int:
        item = rule.item(self._scale)
        if limiter.hit(item, *identity):
            return 0
        reset_at, _ = limiter.get_window_stats(item, *identity)
        return max(1, math.ceil(reset_at - time.time()))

    def _store_usable(self) -> bool:
        if self._shared is None:
            return False
        with self._state_lock:
            return not self._down or self._clock() >= self._retry_at

    def _store_failed(self, error: Exception) -> None:
        with self._state_lock:
            if not self._down:
                log.warning("Redis is unavailable (%s): counting in this instance's memory, trying "
                            "again every %.0f s", type(error).__name__, STORE_RETRY_S)
            self._down = True
            self._retry_at = self._clock() + STORE_RETRY_S

    def _store_answered(self) -> None:
        if self._down:
            with self._state_lock:
                if self._down:
                    log.warning("Redis is reachable again: counting there")
                    self._down = False


class _MemoryReservations:
    MAX_KEYS = 10_000

    def __init__(self, clock=time.monotonic):
        self._held: dict[str, tuple[str, float]] = {}  # key -> (owner, until)
        self._lock = threading.Lock()
        self._clock = clock

    def reserve(self, key: str, owner: str, seconds: int) -> bool:
        now = self._clock()
        with self._lock:
            holder, until = self._held.get(key, (owner, now))
            if holder != owner and until > now:
                return False
            self._held.pop(key, None)
            self._held[key] = (owner, now + seconds)  # re-inserted as the newest
            if len(self._held) > self.MAX_KEYS:  # bounded memory: forget the oldest
                del self._held[next(iter(self._held))]
            return True

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            if self._held.get(key, (None,))[0] == owner:
                del self._held[key]
