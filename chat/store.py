"""Where the functions keep what every instance must see: Redis when REDIS_URL is set, else memory.

On Vercel each concurrent request may run in its own instance, and instances come and go, so
state kept in one instance's memory covers only what that instance sees. With REDIS_URL set
(`redis://` or TLS `rediss://`, as Vercel's Redis integrations hand out), every instance shares
Redis; without it, each keeps its own memory, which is what the tests and a single process need.

When Redis cannot be reached, or does not answer within REDIS_TIMEOUT_S, `Store.attempt` answers
from the instance's memory for STORE_RETRY_S before Redis is tried again: a weaker guarantee for a
while rather than refusing every request, which would take the chat down with the store. Each
change between the two is logged once. That is for counts (chat/rate_limits.py); the name records
(chat/holders.py) have a client of their own and never fall back, since two memories would hold
two different answers to who holds a name. Every operation on Redis is one command or one Lua
script, never a read followed by a write.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported at run time only when REDIS_URL is set
    from redis import Redis

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.05  # a command must not hold a request up for longer
# Opening a connection (a TLS handshake to a hosted Redis, or a cold worker on a busy machine) takes
# longer than a command; a connect timeout of 50 ms would send every cold start to the fallback.
REDIS_CONNECT_TIMEOUT_S = 1.0
RECORD_TIMEOUT_S = 0.5  # who holds a name: worth a longer wait than a count, and it has no fallback
STORE_RETRY_S = 5.0
KEY_PREFIX = "chat"

T = TypeVar("T")


class Store:
    def __init__(self, redis_url: str | None = None, clock=time.monotonic):
        self.redis: Redis | None = None  # for counts
        self.records: Redis | None = None  # for the name records
        self.redis_url = redis_url or ""
        self.options: dict[str, Any] = {}  # redis.Redis's keyword arguments: timeouts and retries
        self._errors: tuple[type[BaseException], ...] = ()
        if redis_url:
            # Made now, while the function loads, never lazily by concurrent first requests.
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # No retries: a second try would double the wait, and the fallback is ready.
            self.options = {
                "socket_timeout": REDIS_TIMEOUT_S,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_S,
                "retry": Retry(NoBackoff(), 0),
            }
            self.redis = redis.Redis.from_url(redis_url, **self.options)
            self._errors = (redis.RedisError, OSError)
            # The name records' own client: they never fall back to memory (see chat/holders.py),
            # so they wait longer than a rate limit may, and a slow count never trips them.
            self.records = redis.Redis.from_url(redis_url, **{**self.options, "socket_timeout": RECORD_TIMEOUT_S})
        self._clock = clock
        self._down = False
        self._retry_at = 0.0
        self._state_lock = threading.Lock()

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What Redis raises when it is down, slow or unreachable."""
        return self._errors

    def attempt(self, in_redis: Callable[[], T], in_memory: Callable[[], T]) -> T:
        """`in_redis()` while Redis answers; `in_memory()` without Redis, or while it does not answer."""
        if self._usable():
            try:
                result = in_redis()
            except self._errors as error:
                self._failed(error)
            else:
                self._answered()
                return result
        return in_memory()

    def _usable(self) -> bool:
        if self.redis is None:
            return False
        with self._state_lock:
            return not self._down or self._clock() >= self._retry_at

    def _failed(self, error: BaseException) -> None:
        with self._state_lock:
            if not self._down:
                log.warning(
                    "Redis is unavailable (%s): using this instance's memory, trying again every %.0f s",
                    type(error).__name__,
                    STORE_RETRY_S,
                )
            self._down = True
            self._retry_at = self._clock() + STORE_RETRY_S

    def _answered(self) -> None:
        if self._down:
            with self._state_lock:
                if self._down:
                    log.warning("Redis is reachable again: using it")
                    self._down = False
