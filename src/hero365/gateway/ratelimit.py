"""Rate limits per user and per business: GCRA (the token bucket as one timestamp per key).

For a limit of N requests per period with a burst of N, each request moves the key's "theoretical arrival
time" (TAT) forward by period/N; a request is refused while TAT would run more than `period` ahead of now,
and the wait until it wouldn't is the Retry-After. Both keys of a request are checked and moved together,
atomically: in Redis by one Lua script (Redis's own clock, so every gateway process agrees), in-process
under the event loop (no await between the check and the update).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Limit:
    key: str
    per_period: int
    period_s: float = 60.0

    @property
    def interval(self) -> float:
        return self.period_s / max(self.per_period, 1)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0
    #: Which limit refused ("user" / "business"), when one did.
    limited_by: str | None = None
    remaining: int = 0


class RateLimiter(Protocol):
    async def hit(self, limits: list[Limit]) -> Decision: ...

    async def close(self) -> None: ...


def _gcra(tat: float, now: float, limit: Limit) -> tuple[bool, float, float]:
    """(allowed, new TAT or retry-after, remaining) for one key."""
    base = max(tat, now)
    new_tat = base + limit.interval
    allow_at = new_tat - limit.period_s
    if now < allow_at:
        return False, allow_at - now, 0
    return True, new_tat, math.floor((limit.period_s - (new_tat - now)) / limit.interval)


class MemoryRateLimiter:
    """One process's limits (no REDIS_URL); bounded memory: least recently used keys are forgotten."""

    def __init__(self, max_keys: int = 100_000, clock: Any = time.monotonic) -> None:
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max, self._clock = max_keys, clock

    async def hit(self, limits: list[Limit]) -> Decision:
        now = self._clock()
        new: list[float] = []
        remaining = 1 << 30
        for limit in limits:
            ok, value, left = _gcra(self._tat.get(limit.key, 0.0), now, limit)
            if not ok:
                return Decision(False, value, limit.key.split(":")[1], 0)
            new.append(value)
            remaining = min(remaining, int(left))
        for limit, tat in zip(limits, new, strict=True):
            self._tat[limit.key] = tat
            self._tat.move_to_end(limit.key)
        while len(self._tat) > self._max:
            self._tat.popitem(last=False)
        return Decision(True, 0.0, None, remaining)

    async def close(self) -> None:
        return None


# KEYS: the limit keys; ARGV: per key (interval, period) pairs. Times in microseconds from Redis's clock.
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local new = {}
local remaining = 1073741824
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - period
  if now < allow_at then
    return {0, allow_at - now, i, 0}
  end
  new[i] = new_tat
  local left = math.floor((period - (new_tat - now)) / interval)
  if left < remaining then remaining = left end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d', new[i]), 'PX', math.ceil((new[i] - now) / 1000) + 1)
end
return {1, 0, 0, remaining}
"""


class RedisRateLimiter:
    """Shared limits for every gateway process on one Redis (atomic: one Lua script per request)."""

    def __init__(self, url: str, prefix: str = "h365:rl:") -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)
        self._script = self._redis.register_script(_LUA)
        self.prefix = prefix

    async def hit(self, limits: list[Limit]) -> Decision:
        keys = [self.prefix + lim.key for lim in limits]
        argv: list[int] = []
        for lim in limits:
            argv += [round(lim.interval * 1e6), round(lim.period_s * 1e6)]
        allowed, wait_us, which, remaining = await self._script(keys=keys, args=argv)
        if int(allowed):
            return Decision(True, 0.0, None, int(remaining))
        return Decision(False, int(wait_us) / 1e6, limits[int(which) - 1].key.split(":")[1], 0)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()


def limits_for(user_key: str, business_id: int, user_per_minute: int, business_per_minute: int) -> list[Limit]:
    """The two limits every authenticated request counts against."""
    return [Limit(f"v1:user:{user_key}", user_per_minute), Limit(f"v1:business:{business_id}", business_per_minute)]
