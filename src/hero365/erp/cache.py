"""Cache for the hot reads agents make every turn, invalidated by generation counters.

Each business has a generation per topic (jobs, contacts, products, members). A cached value's key
includes the generations it was read under; a committed write bumps them. A reader that raced a
write stores its value under the old generation, which no later reader asks for, so a write is never
followed by a stale read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

TOPICS = ("jobs", "contacts", "products", "members")


class Cache(Protocol):
    async def generations(self, business_id: int, topics: Iterable[str]) -> list[int]: ...

    async def bump(self, business_id: int, topics: Iterable[str]) -> None: ...

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: int) -> None: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryCache:
    """In-process cache for one process (the default without REDIS_URL)."""

    def __init__(self, max_items: int = 10_000) -> None:
        self._gens: dict[tuple[int, str], int] = {}
        self._items: dict[str, tuple[float, str]] = {}
        self._max = max_items

    async def generations(self, business_id: int, topics: Iterable[str]) -> list[int]:
        return [self._gens.get((business_id, t), 0) for t in topics]

    async def bump(self, business_id: int, topics: Iterable[str]) -> None:
        for t in topics:
            self._gens[(business_id, t)] = self._gens.get((business_id, t), 0) + 1

    async def get(self, key: str) -> str | None:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    async def set(self, key: str, value: str, ttl: int) -> None:
        if len(self._items) >= self._max:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if v[0] >= now}
            if len(self._items) >= self._max:
                self._items.clear()
        self._items[key] = (time.monotonic() + ttl, value)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._items.clear()


class RedisCache:
    """Shared cache for many processes and machines."""

    def __init__(self, url: str, prefix: str = "h365") -> None:
        import redis.asyncio as redis

        self._r = redis.from_url(url, decode_responses=True)
        self._p = prefix

    def _gen_key(self, business_id: int, topic: str) -> str:
        return f"{self._p}:gen:{business_id}:{topic}"

    async def generations(self, business_id: int, topics: Iterable[str]) -> list[int]:
        values = await self._r.mget([self._gen_key(business_id, t) for t in topics])
        return [int(v or 0) for v in values]

    async def bump(self, business_id: int, topics: Iterable[str]) -> None:
        async with self._r.pipeline(transaction=False) as pipe:
            for t in topics:
                pipe.incr(self._gen_key(business_id, t))
            await pipe.execute()

    async def get(self, key: str) -> str | None:
        return await self._r.get(f"{self._p}:v:{key}")

    async def set(self, key: str, value: str, ttl: int) -> None:
        await self._r.set(f"{self._p}:v:{key}", value, ex=ttl)

    async def ping(self) -> bool:
        try:
            return bool(await self._r.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._r.aclose()


async def cached(cache: Cache, business_id: int, topics: tuple[str, ...], name: str, ttl: int,
                 load: Callable[[], Awaitable[Any]]) -> Any:
    """Return the JSON-able value of `load()`, from the cache when it is current."""
    gens = await cache.generations(business_id, topics)
    key = f"{business_id}:{name}:" + ".".join(map(str, gens))
    hit = await cache.get(key)
    if hit is not None:
        return json.loads(hit)
    value = await load()
    await cache.set(key, json.dumps(value, default=str), ttl)
    return value


def make_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else MemoryCache()
