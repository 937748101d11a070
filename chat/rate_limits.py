"""Rate limits: at most `amount` requests in any `per_seconds` span, per address or per person.

The counting is the `limits` package's moving window, in Redis when REDIS_URL is set (every
instance sees one count, kept across cold starts) or in the instance's memory; chat/store.py
decides which, and falls back to memory while Redis does not answer.
"""

import math
import time
from typing import NamedTuple

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from chat.store import KEY_PREFIX, Store

# An IPv6 /48 is one site (an office, a provider's customer): it gets this many times a /64's allowance.
NETWORK_SCALE = 4


class Rule(NamedTuple):
    name: str
    amount: int  # requests allowed in any window of `per_seconds`
    per_seconds: int

    def item(self, scale: int = 1) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(self.amount * scale, self.per_seconds, namespace=KEY_PREFIX)

    def per_network(self) -> "Rule":
        """The looser rule for a whole IPv6 /48, beside this one for its /64."""
        return Rule(f"{self.name}-48", self.amount * NETWORK_SCALE, self.per_seconds)


# A burst of `amount`, then amount/per_seconds a second: the same bursts and rates as the token
# buckets these replace.
SEND_PER_IP = Rule("send-ip", 60, 12)  # 5 a second: a shared office address, well under Ably's 50/s
SEND_PER_USER = Rule("send-user", 10, 10)  # 1 a second per person in a room (edits and deletes count too)
REACT_PER_USER = Rule("react-user", 20, 10)  # clicking through the picker, 2 a second
TOKEN_PER_IP = Rule("token-ip", 60, 60)  # browsers ask once per connection, then every few minutes
SESSION_PER_IP = Rule("session-ip", 120, 60)  # claims, 5-minutely renewals and leaves of an office
ROOMS_PER_IP = Rule("rooms-ip", 120, 60)  # the lobby refreshes every few seconds


class RateLimits:
    def __init__(self, store: Store | None = None, scale: int = 1):
        """`scale` multiplies every rule's amount: benchmarks and tests that send far more than
        a person could still go through a real limiter."""
        self._scale = scale
        self._store = store or Store()
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if self._store.redis is not None:
            from limits.storage import RedisStorage

            storage = RedisStorage(
                self._store.redis_url,
                connection_pool=self._store.redis.connection_pool,
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                **self._store.options,
            )
            self._shared = MovingWindowRateLimiter(storage)

    def take(self, rule: Rule, key: str) -> int:
        """Take one request from `key`'s allowance under `rule`: 0 if there was one, else the seconds
        to wait before there is."""
        identity, shared = (rule.name, key), self._shared
        if shared is None:
            return self._count(self._local, rule, identity)
        return self._store.attempt(
            lambda: self._count_shared(shared, rule, identity), lambda: self._count(self._local, rule, identity)
        )

    def _count_shared(self, shared: MovingWindowRateLimiter, rule: Rule, identity: tuple[str, str]) -> int:
        try:
            return self._count(shared, rule, identity)
        except StorageError as error:
            raise error.storage_error from None  # the Redis error itself, which the store knows

    def _count(self, limiter: MovingWindowRateLimiter, rule: Rule, identity: tuple[str, str]) -> int:
        item = rule.item(self._scale)
        if limiter.hit(item, *identity):
            return 0
        reset_at, _ = limiter.get_window_stats(item, *identity)
        return max(1, math.ceil(reset_at - time.time()))
