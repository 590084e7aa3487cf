"""The read cache never serves a stale read after a write: get_schedule, the contact name index and the
product index, with the in-process MemoryCache and with RedisCache on the real Redis, on SQLite and PostgreSQL.
Including the race: a reader loads, a writer commits and bumps, the reader stores; the next read is fresh."""

import uuid

import pytest

from hero365.erp.cache import MemoryCache, RedisCache, cached
from hero365.erp.domain.errors import NotFound
from hero365.erp.domain.inventory import Product
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.services import contacts, inventory, jobs
from hero365.erp.services.common import find_contact
from hero365.erp.store.db import Store


async def _drop_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as redis

    r = redis.from_url(url)
    try:
        keys = [k async for k in r.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await r.delete(*keys)
    finally:
        await r.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cw(request, world):
    """The world, its store reading through a MemoryCache or a RedisCache with a prefix of its own."""
    original = world.store.cache
    if request.param == "memory":
        world.store.cache = MemoryCache()
        yield world
    else:
        url = request.getfixturevalue("redis_test_url")
        prefix = f"h365test{uuid.uuid4().hex}"
        world.store.cache = RedisCache(url, prefix=prefix)
        world.cache_url, world.cache_prefix = url, prefix
        try:
            yield world
        finally:
            await world.store.cache.close()
            await _drop_prefix(url, prefix)
    world.store.cache = original


def count_calls(obj, name):
    calls = []
    original = getattr(obj, name)

    async def counted(*args, **kwargs):
        calls.append(1)
        return await original(*args, **kwargs)

    setattr(obj, name, counted)
    return calls


async def schedule(world, day=None):
    async with world.store.uow(world.business_id) as uow:
        return [(j["number"], j["customer"], j["status"], j["start"])
                for j in await jobs.get_schedule(uow, world.owner, day)]


async def test_the_schedule_is_served_from_the_cache_until_a_write(cw, people, local) -> None:
    async with cw.store.uow(cw.business_id) as uow:
        await jobs.create_job(uow, cw.owner, people.johnson.id, "Fix leak", local(23, 14))
    await schedule(cw)
    async with cw.store.uow(cw.business_id) as uow:
        loads = count_calls(uow.jobs, "between")
        await jobs.get_schedule(uow, cw.owner)
        await jobs.get_schedule(uow, cw.owner)
    assert loads == []  # a hit: the cache is really in the path, so the tests below mean something


async def test_every_kind_of_job_write_is_seen_by_the_next_schedule_read(cw, people, local) -> None:
    async with cw.store.uow(cw.business_id) as uow:
        job = await jobs.create_job(uow, cw.owner, people.johnson.id, "Fix leak", local(23, 14))
    assert [n for n, *_ in await schedule(cw)] == [job.number]
    async with cw.store.uow(cw.business_id) as uow:
        second = await jobs.create_job(uow, cw.owner, people.smith.id, "Drain", local(23, 10))
    assert [n for n, *_ in await schedule(cw)] == [second.number, job.number]
    async with cw.store.uow(cw.business_id) as uow:
        await jobs.update_job_status(uow, cw.owner, JobStatus.IN_PROGRESS, job.number)
    assert (await schedule(cw))[1][2] == "in_progress"
    async with cw.store.uow(cw.business_id) as uow:
        await jobs.reschedule_job(uow, cw.owner, local(24, 9), second.number)
    assert [n for n, *_ in await schedule(cw)] == [job.number]
    async with cw.store.uow(cw.business_id) as uow:  # a contact write changes what the schedule says too
        (await uow.contacts.get(people.johnson.id)).name = "Robert Johnson"
    assert (await schedule(cw))[0][1] == "Robert Johnson"


async def test_a_reader_that_raced_a_write_leaves_no_stale_schedule(cw, people, local) -> None:
    async with cw.store.uow(cw.business_id) as uow:
        await jobs.create_job(uow, cw.owner, people.johnson.id, "Fix leak", local(23, 14))
    async with cw.store.uow(cw.business_id) as reader:
        load = reader.jobs.between

        async def load_then_a_writer_commits(*args, **kwargs):
            loaded = await load(*args, **kwargs)  # the reader has loaded the old day ...
            async with cw.store.uow(cw.business_id) as writer:  # ... a writer commits and bumps ...
                await jobs.create_job(writer, cw.owner, people.smith.id, "Drain", local(23, 15))
            return loaded  # ... and the reader stores what it loaded

        reader.jobs.between = load_then_a_writer_commits
        raced = await jobs.get_schedule(reader, cw.owner)
    assert len(raced) == 1  # that reader's own answer predates the write: fine
    assert [c for _, c, *_ in await schedule(cw)] == ["Bob Johnson", "Mary Smith"]  # the next read is fresh


async def test_a_new_or_renamed_contact_is_found_by_name_right_after_the_write(cw, people) -> None:
    async with cw.store.uow(cw.business_id) as uow:
        assert (await find_contact(uow, cw.owner, "johnson")).id == people.johnson.id  # now cached
    async with cw.store.uow(cw.business_id) as uow:
        zed = await contacts.create_contact(uow, cw.office, "Zed Zimmer", "512 555 0190")
    async with cw.store.uow(cw.business_id) as uow:
        assert (await find_contact(uow, cw.owner, "zimmer")).id == zed.id
        (await uow.contacts.get(people.johnson.id)).name = "Bob Jackson"
    async with cw.store.uow(cw.business_id) as uow:
        assert (await find_contact(uow, cw.owner, "jackson")).id == people.johnson.id
        with pytest.raises(NotFound):
            await find_contact(uow, cw.owner, "johnson")


async def test_a_reader_that_raced_a_write_leaves_no_stale_name_index(cw, people) -> None:
    async with cw.store.uow(cw.business_id) as reader:
        load = reader.contacts.name_index

        async def load_then_a_writer_commits():
            loaded = await load()
            async with cw.store.uow(cw.business_id) as writer:
                await contacts.create_contact(writer, cw.office, "Zed Zimmer")
            return loaded

        reader.contacts.name_index = load_then_a_writer_commits
        with pytest.raises(NotFound):
            await find_contact(reader, cw.owner, "zimmer")
    async with cw.store.uow(cw.business_id) as uow:
        assert (await find_contact(uow, cw.owner, "zimmer")).name == "Zed Zimmer"


async def test_a_new_product_is_found_right_after_the_write(cw) -> None:
    async with cw.store.uow(cw.business_id) as uow:
        with pytest.raises(NotFound):
            await inventory.check_inventory(uow, cw.owner, "sump pump")
    async with cw.store.uow(cw.business_id) as uow:
        uow.products.add(Product(business_id=cw.business_id, sku="SP-1", name="sump pump", stock_on_hand=2))
    async with cw.store.uow(cw.business_id) as uow:
        assert (await inventory.check_inventory(uow, cw.owner, "sump pumps"))[0].sku == "SP-1"


async def test_a_unit_of_work_reads_its_own_writes_and_a_rollback_leaves_nothing_cached(cw, people, local) -> None:
    await schedule(cw)
    async with cw.store.uow(cw.business_id) as uow:
        await find_contact(uow, cw.owner, "johnson")  # the name index is cached before the write below
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with cw.store.uow(cw.business_id) as uow:
            zed = await contacts.create_contact(uow, cw.office, "Zed Zimmer")
            assert (await find_contact(uow, cw.owner, "zimmer")).id == zed.id
            job = await jobs.create_job(uow, cw.owner, zed.id, "Quote", local(23, 16))
            assert [j["number"] for j in await jobs.get_schedule(uow, cw.owner)] == [job.number]
            raise RuntimeError("changed my mind")
    assert await schedule(cw) == []  # the rolled-back job was never cached
    async with cw.store.uow(cw.business_id) as uow:
        with pytest.raises(NotFound):
            await find_contact(uow, cw.owner, "zimmer")


async def test_businesses_do_not_share_cache_entries(cw, people, local) -> None:
    from hero365.erp.services import businesses

    other, owner_b = await businesses.create_business(cw.store, "Other Co", owner_name="Bea",
                                                      owner_email="bea@other.test")
    actor_b = await businesses.actor_for(cw.store, owner_b.id, other.id)
    async with cw.store.uow(cw.business_id) as uow:
        await jobs.create_job(uow, cw.owner, people.johnson.id, "Fix leak", local(23, 14))
        assert len(await jobs.get_schedule(uow, cw.owner)) == 1
    async with cw.store.uow(other.id) as uow:
        assert await jobs.get_schedule(uow, actor_b) == []


@pytest.mark.redis
async def test_with_redis_a_write_in_one_process_invalidates_another_processs_cache(world, people, local,
                                                                                     redis_url, clock) -> None:
    prefix = f"h365test{uuid.uuid4().hex}"
    one = Store(world.store.settings, cache=RedisCache(redis_url, prefix=prefix), clock=clock)
    two = Store(world.store.settings, cache=RedisCache(redis_url, prefix=prefix), clock=clock)
    try:
        async with two.uow(world.business_id) as uow:
            assert await jobs.get_schedule(uow, world.owner) == []  # process two caches an empty day
        async with one.uow(world.business_id) as uow:
            await jobs.create_job(uow, world.owner, people.johnson.id, "Fix leak", local(23, 14))
        async with two.uow(world.business_id) as uow:
            assert [j["customer"] for j in await jobs.get_schedule(uow, world.owner)] == ["Bob Johnson"]
    finally:
        await one.close()
        await two.close()
        await _drop_prefix(redis_url, prefix)


@pytest.mark.redis
async def test_redis_cache_keys_carry_the_prefix_and_generations_count_up(redis_url) -> None:
    import redis.asyncio as redis

    prefix = f"h365test{uuid.uuid4().hex}"
    cache = RedisCache(redis_url, prefix=prefix)
    r = redis.from_url(redis_url, decode_responses=True)
    try:
        assert await cache.ping()
        assert await cache.generations(7, ["jobs", "contacts"]) == [0, 0]
        await cache.bump(7, ["jobs"])
        await cache.bump(7, ["jobs", "contacts"])
        assert await cache.generations(7, ["jobs", "contacts", "products"]) == [2, 1, 0]
        calls = []

        async def load():
            calls.append(1)
            return {"n": len(calls)}

        assert await cached(cache, 7, ("jobs",), "thing", 60, load) == {"n": 1}
        assert await cached(cache, 7, ("jobs",), "thing", 60, load) == {"n": 1}
        await cache.bump(7, ["jobs"])
        assert await cached(cache, 7, ("jobs",), "thing", 60, load) == {"n": 2}
        keys = [k async for k in r.scan_iter(match=f"{prefix}:*")]
        assert keys and all(k.startswith(f"{prefix}:") for k in keys)
        assert 0 < await r.ttl(f"{prefix}:v:7:thing:3") <= 60
    finally:
        await cache.close()
        await _drop_prefix(redis_url, prefix)
        await r.aclose()


async def test_memory_cache_expires_and_stays_bounded() -> None:
    cache = MemoryCache(max_items=3)
    await cache.set("a", "1", ttl=-1)
    assert await cache.get("a") is None
    for key in "bcdef":
        await cache.set(key, key, ttl=60)
    assert len(cache._items) <= 3 and await cache.get("f") == "f"
