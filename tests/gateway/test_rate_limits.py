"""Rate limits per user and per business: the GCRA arithmetic with a moving clock, the API's 429 with
Retry-After, and the Redis limiter (shared by two "processes", atomic under concurrency)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from hero365.gateway.ratelimit import Limit, MemoryRateLimiter, RedisRateLimiter

SESSIONS = "/api/v1/voice-agents/sessions"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def test_gcra_allows_a_burst_then_one_per_interval() -> None:
    clock = Clock()
    rl = MemoryRateLimiter(clock=clock)
    limit = [Limit("v1:user:1", 6, 60.0)]  # 6 a minute: one every 10 s, a burst of 6
    assert [(await rl.hit(limit)).allowed for _ in range(7)] == [True] * 6 + [False]
    refused = await rl.hit(limit)
    assert refused.limited_by == "user" and refused.retry_after == pytest.approx(10.0)
    clock.t += 9.9
    assert not (await rl.hit(limit)).allowed
    clock.t += 0.1
    assert (await rl.hit(limit)).allowed
    assert not (await rl.hit(limit)).allowed
    clock.t += 60
    assert [(await rl.hit(limit)).allowed for _ in range(7)] == [True] * 6 + [False]


async def test_a_refused_request_does_not_use_up_the_other_limit() -> None:
    rl = MemoryRateLimiter(clock=Clock())
    user_a, user_b = Limit("v1:user:a", 2), Limit("v1:user:b", 100)
    biz = Limit("v1:business:1", 3)
    assert (await rl.hit([user_a, biz])).allowed and (await rl.hit([user_a, biz])).allowed
    refused = await rl.hit([user_a, biz])
    assert refused.limited_by == "user"
    assert (await rl.hit([user_b, biz])).allowed  # the business still had one left: the refusal took nothing
    assert (await rl.hit([user_b, biz])).limited_by == "business"


async def test_the_api_answers_429_with_retry_after_per_user(make_app, world, auth) -> None:
    import httpx

    app = make_app(rate_limit_user_per_minute=3, rate_limit_business_per_minute=100)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        codes = [(await c.get(SESSIONS, headers=auth(world.tech))).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = await c.get(SESSIONS, headers=auth(world.tech))
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
        assert r.headers["retry-after"] == "20" and "this user" in r.json()["message"]
        # another member of the same business is not held back by the first one's limit
        assert (await c.get(SESSIONS, headers=auth(world.tech2))).status_code == 200


async def test_the_api_limits_the_whole_business(make_app, world, auth) -> None:
    import httpx

    app = make_app(rate_limit_user_per_minute=100, rate_limit_business_per_minute=4)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for member in (world.owner, world.office, world.tech, world.tech2):
            assert (await c.get(SESSIONS, headers=auth(member))).status_code == 200
        r = await c.get(SESSIONS, headers=auth(world.owner))
        assert r.status_code == 429 and "this business" in r.json()["message"]
        assert int(r.headers["retry-after"]) == 15


@pytest.fixture
async def redis_limiters(redis_url: str):  # type: ignore[no-untyped-def]
    prefix = f"h365:test:{uuid.uuid4().hex[:8]}:"
    a, b = RedisRateLimiter(redis_url, prefix=prefix), RedisRateLimiter(redis_url, prefix=prefix)
    yield a, b
    keys = [k async for k in a._redis.scan_iter(match=prefix + "*")]
    if keys:
        await a._redis.delete(*keys)
    await a.close()
    await b.close()


@pytest.mark.redis
async def test_redis_limits_are_shared_between_processes_and_atomic(redis_limiters) -> None:
    a, b = redis_limiters
    limit = [Limit("v1:user:7", 10, 60.0), Limit("v1:business:3", 1000, 60.0)]
    # 60 concurrent requests from two "gateway processes": exactly the burst of 10 gets through
    results = await asyncio.gather(*[(a if i % 2 else b).hit(limit) for i in range(60)])
    assert sum(r.allowed for r in results) == 10
    refused = [r for r in results if not r.allowed]
    assert all(r.limited_by == "user" for r in refused)
    assert all(0 < r.retry_after <= 6.01 for r in refused)


@pytest.mark.redis
async def test_redis_refills_one_per_interval(redis_limiters) -> None:
    a, _ = redis_limiters
    limit = [Limit("v1:user:fast", 2, 0.4)]  # two per 0.4 s: one back every 0.2 s
    assert [(await a.hit(limit)).allowed for _ in range(3)] == [True, True, False]
    await asyncio.sleep(0.25)
    assert (await a.hit(limit)).allowed
    assert not (await a.hit(limit)).allowed


@pytest.mark.redis
async def test_the_api_uses_redis_when_configured(make_app, world, auth, redis_url) -> None:
    import httpx

    app = make_app(redis_url=redis_url, rate_limit_user_per_minute=2, rate_limit_business_per_minute=100)
    limiter = app.state.gateway.limiter
    assert isinstance(limiter, RedisRateLimiter)
    limiter.prefix = f"h365:test:{uuid.uuid4().hex[:8]}:"
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        codes = [(await c.get(SESSIONS, headers=auth(world.office))).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert (await c.get("/readyz")).json()["checks"]["rate_limits"] is True
