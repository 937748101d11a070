"""Who holds each name in each room: the server's record, which is what decides who may be who.

For each (room, name key) the store keeps the current claim's id, since when its holder is known
to have been there (the claim, or the last renewal that found them present), and a lease. Every
change is atomic (one Lua script in Redis, one lock in memory): two claims of one free name can
never both win. chat/claims.py decides when a claim may take a name; this module only records it.

Every function that takes a session asks `check` first: the session counts only while its claim
is the recorded holder with a live lease. Two cases know less than that, and say so:
- without REDIS_URL, each instance sees only the claims made through it (all of them in one
  process; on Vercel each function is its own instance), so an instance with no record of the
  name answers UNKNOWN, and the signed session alone decides, as it always did;
- with REDIS_URL while Redis does not answer, every check is UNKNOWN (logged once), so the chat
  stays up on signed sessions until Redis is back. Claims and reads of the record then raise
  RecordsUnavailable (a 503: try again), rather than being held in one instance's memory where
  other instances could not see them and would give the same name to somebody else.
"""

import enum
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, NamedTuple, TypeVar

from chat.config import Settings
from chat.store import KEY_PREFIX, Store

if TYPE_CHECKING:  # redis is imported only where REDIS_URL is set (chat/store.py)
    from redis import Redis

log = logging.getLogger(__name__)
T = TypeVar("T")

# The page renews every RENEW_AFTER_S (300 s); the lease outlasts that by a minute and a half, enough
# for a background tab whose timers the browser slows to once a minute, and one retry.
LEASE_S = 390
_RECORD_TTL_MS = (LEASE_S + 60) * 1000  # Redis forgets a record a while after any lease in it ran out
_MAX_MEMORY_RECORDS = 10_000


class RecordsUnavailable(Exception):
    """Redis is configured but does not answer: who holds a name cannot be read or changed now."""


class Verdict(enum.Enum):
    HELD = "held"  # the claim is the recorded holder, with a live lease
    RELEASED = "released"  # another claim holds the name, or nobody does any more
    UNKNOWN = "unknown"  # this instance cannot tell (see the module docstring)


class Holder(NamedTuple):
    claim: str
    since: float  # seconds since the epoch: claimed, or last renewed while present
    lease_until: float

    def live(self, now: float) -> bool:
        return self.lease_until > now


# KEYS[1] the record; ARGV: claim, now, lease_until, the claim it may replace ("" for none), record TTL (ms).
# Takes the name if nobody holds a live lease, the lease is this claim's, or it is the replaced one's.
_TAKE = """
local record = redis.call('GET', KEYS[1])
if record then
  local lease, since, claim = string.match(record, '^(%S+) (%S+) (.*)$')
  if tonumber(lease) > tonumber(ARGV[2]) and claim ~= ARGV[1] and claim ~= ARGV[4] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3] .. ' ' .. ARGV[2] .. ' ' .. ARGV[1], 'PX', ARGV[5])
return 1
"""
# KEYS[1] the record; ARGV[1] the claim letting go. Only that claim's record is deleted.
_RELEASE = """
local record = redis.call('GET', KEYS[1])
if record and string.match(record, '^%S+ %S+ (.*)$') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""


class Holders:
    _shared: ClassVar[dict[tuple, "Holders"]] = {}
    _shared_lock = threading.Lock()

    def __init__(self, store: Store | None = None):
        self.store = store or Store()
        self._memory: dict[str, Holder] = {}  # oldest first; a released name keeps a record without a claim
        self._lock = threading.Lock()
        self._unknown_logged = False
        self._redis = self.store.records
        if self._redis is not None:
            self._take_script = self._redis.register_script(_TAKE)
            self._release_script = self._redis.register_script(_RELEASE)

    @classmethod
    def shared(cls, settings: Settings) -> "Holders":
        """The one record of a deployment in this process: the session, token and message apps built
        separately in one process (the tests, a local server) agree on who holds what."""
        identity = (settings.ably_key_name, settings.ably_endpoint, settings.redis_url)
        with cls._shared_lock:
            if identity not in cls._shared:
                cls._shared[identity] = cls(Store(settings.redis_url))
            return cls._shared[identity]

    @classmethod
    def forget_shared(cls) -> None:
        """Start every deployment's record afresh (between tests)."""
        with cls._shared_lock:
            cls._shared.clear()

    def read(self, room: str, key: str) -> Holder | None:
        """The recorded holder of `key` in `room`, live or not, or None."""
        name = _record_name(room, key)
        holder = self._memory.get(name) if self._redis is None else self._read_redis(self._redis, name)
        return holder if holder and holder.claim else None

    def take(self, room: str, key: str, claim: str, now: float, replacing: str | None = None) -> bool:
        """Record `claim` as the holder, with a fresh lease, unless another claim (but `replacing`) holds a
        live one. True if it now holds the name."""
        name, lease_until = _record_name(room, key), now + LEASE_S
        if self._redis is None:
            return self._take_in_memory(name, Holder(claim, now, lease_until), replacing)
        args: list[str | int] = [claim, repr(now), repr(lease_until), replacing or "", _RECORD_TTL_MS]
        return self._in_redis(lambda: bool(self._take_script(keys=[name], args=args)))

    def release(self, room: str, key: str, claim: str, now: float) -> None:
        """`claim` lets go of the name at once (nothing happens if it no longer holds it)."""
        name = _record_name(room, key)
        if self._redis is not None:
            self._in_redis(lambda: self._release_script(keys=[name], args=[claim]))
            return
        with self._lock:
            if (held := self._memory.get(name)) and held.claim in (claim, ""):
                self._remember(name, Holder("", now, now))  # released: its sessions are refused here

    def check(self, room: str, key: str, claim: str, now: float) -> Verdict:
        """Whether a session of `claim` may act as the name now: one read of the store."""
        name = _record_name(room, key)
        if self._redis is None:
            holder = self._memory.get(name)
            if holder is None:
                return Verdict.UNKNOWN
        else:
            try:
                holder = self._read_redis(self._redis, name) or Holder("", now, now)
            except RecordsUnavailable:
                if not self._unknown_logged:
                    self._unknown_logged = True
                    log.warning(
                        "Redis is unavailable: sessions are accepted on their signature alone until it "
                        "returns, and names cannot be claimed"
                    )
                return Verdict.UNKNOWN
            self._unknown_logged = False
        return Verdict.HELD if holder.claim == claim and holder.live(now) else Verdict.RELEASED

    def _read_redis(self, redis: "Redis", name: str) -> Holder | None:
        return self._in_redis(lambda: _parsed(redis.get(name)))

    def _in_redis(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except self.store.errors as error:
            raise RecordsUnavailable(type(error).__name__) from None

    def _take_in_memory(self, name: str, new: Holder, replacing: str | None) -> bool:
        with self._lock:
            held = self._memory.get(name)
            if held and held.claim and held.live(new.since) and held.claim not in (new.claim, replacing):
                return False
            self._remember(name, new)
            return True

    def _remember(self, name: str, holder: Holder) -> None:
        self._memory.pop(name, None)
        self._memory[name] = holder  # re-inserted as the newest
        if len(self._memory) > _MAX_MEMORY_RECORDS:  # bounded memory: forget the oldest
            del self._memory[next(iter(self._memory))]


def _record_name(room: str, key: str) -> str:
    return f"{KEY_PREFIX}:holder:{room}:{key}"


def _parsed(record: bytes | str | None) -> Holder | None:
    if record is None:
        return None
    text = record.decode() if isinstance(record, bytes) else record
    lease, since, claim = text.split(" ", 2)
    return Holder(claim, float(since), float(lease))
