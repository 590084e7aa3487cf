"""Shared fixtures: a store on SQLite and on the real PostgreSQL, a pinned clock, a small business."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.domain.inventory import Product, ProductKind
from hero365.erp.domain.tenancy import Actor, Role
from hero365.erp.services import businesses
from hero365.erp.store.db import Store
from hero365.insights.tables import map_insights

map_insights()  # the conversation store's tables are part of every test schema
from hero365.calls import tables as _calls_tables  # noqa: E402,F401  (campaigns, call attempts, DNC, decisions)
from hero365.gateway import tables as _gateway_tables  # noqa: E402,F401  (the audit log's table)
from hero365.insights import alerts as _alerts  # noqa: E402,F401  (the alerts table)

#: Monday 2026-11-23 08:00 in Chicago: the moment the NLU contract is judged at.
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: Calls placed by tests that build their own settings or run `hero365` processes are recorded here, not into
#: the user's data folder.
os.environ.setdefault("RECORDINGS_DIR", tempfile.mkdtemp(prefix="hero365-test-recordings-"))
#: Piper samples its delivery (pauses, pitch, length) afresh on every run, so what Whisper hears of the same
#: sentence changed from run to run and a test could fail by chance; without that noise the same text is the same
#: audio. The benchmarks keep the voice's own variation.
os.environ.setdefault("PIPER_NOISE_SCALE", "0")
os.environ.setdefault("PIPER_NOISE_W", "0")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


PG_UP = _port_open("127.0.0.1", 5432)
REDIS_UP = _port_open("127.0.0.1", 6379)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this test run (several runs may share the server)."""
    if not PG_UP:
        yield None
        return
    import asyncpg

    name = f"h365_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def run(sql: str) -> None:  # in a thread: the fixture may be set up inside a running event loop
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, admin(sql)).result()

    run(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Clock:
    """A clock tests can move."""

    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> AsyncIterator[Store]:
    """An empty, migrated-schema store on SQLite, then on PostgreSQL (skipped, saying so, without one)."""
    if request.param == "postgres":
        url = request.getfixturevalue("pg_database")
        if url is None:
            pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432: PostgreSQL half of this test skipped")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    s = Store(Settings(database_url=url, redis_url=None, recordings_dir=tmp_path / "recordings"),  # not the user's
              cache=MemoryCache(), clock=clock)
    await s.create_all()  # creates only what's missing (tables modules imported since the last test)
    if request.param == "postgres":  # empty every table, numbering from 1 again: far faster than drop/create
        from sqlalchemy import text

        from hero365.erp.store.tables import metadata

        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with s.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield s
    await s.close()


@dataclass
class World:
    """A small plumbing business: owner, office, two technicians with hours, products and services."""

    store: Store
    business_id: int
    owner: Actor
    office: Actor
    tech: Actor
    tech2: Actor

    def call_agent(self, contact_id: int) -> Actor:
        return Actor(user_id=None, business_id=self.business_id, role=Role.CALL_AGENT, name="Assistant",
                     contact_id=contact_id)


@pytest.fixture
async def world(store: Store) -> World:
    biz, owner_user = await businesses.create_business(store, "Hero Plumbing", "America/Chicago",
                                                       owner_name="Olivia Owner", owner_email="owner@hero.test",
                                                       tax_rate_bp=825, phone="+15125550000")
    owner = await businesses.actor_for(store, owner_user.id, biz.id)  # type: ignore[arg-type]
    office_u = await businesses.add_member(store, owner, "Oscar Office", "office@hero.test", Role.OFFICE)
    tech_u = await businesses.add_member(store, owner, "Tina Tech", "tina@hero.test", Role.TECHNICIAN)
    tech2_u = await businesses.add_member(store, owner, "Tom Tech", "tom@hero.test", Role.TECHNICIAN)
    for u in (tech_u, tech2_u):
        await businesses.set_working_hours(store, owner, u.id, [0, 1, 2, 3, 4], time(8), time(17))  # type: ignore[arg-type]
    async with store.uow(biz.id) as uow:  # type: ignore[arg-type]
        uow.products.add(Product(business_id=biz.id, sku="WH-40", name="40 gallon water heater",  # type: ignore[arg-type]
                                 unit_price_cents=89900, unit_cost_cents=52000, stock_on_hand=3, reorder_point=2,
                                 reorder_quantity=4, supplier="Ferguson"))
        uow.products.add(Product(business_id=biz.id, sku="PT-12", name="pex tubing", unit="ft",  # type: ignore[arg-type]
                                 unit_price_cents=150, unit_cost_cents=60, stock_on_hand=500, reorder_point=100,
                                 reorder_quantity=500))
        uow.products.add(Product(business_id=biz.id, sku="SV-DRAIN", name="drain cleaning",  # type: ignore[arg-type]
                                 kind=ProductKind.SERVICE, unit_price_cents=18900))
    return World(store=store, business_id=biz.id, owner=owner,  # type: ignore[arg-type]
                 office=await businesses.actor_for(store, office_u.id, biz.id),  # type: ignore[arg-type]
                 tech=await businesses.actor_for(store, tech_u.id, biz.id),  # type: ignore[arg-type]
                 tech2=await businesses.actor_for(store, tech2_u.id, biz.id))  # type: ignore[arg-type]


@pytest.fixture
async def redis_url() -> str:
    if not REDIS_UP:
        pytest.skip("Redis is not answering on 127.0.0.1:6379: Redis part of this test skipped")
    return REDIS_URL


# --- Shared helpers for the service and store tests (added with the ERP test suite) -------------------------

CHICAGO = "America/Chicago"


@pytest.fixture
def local():
    """`local(day, hour, minute=0)`: a wall-clock time in the business's zone, in the test week.

    `day` is a day of November 2026 (23 = Monday, the pinned "now") or a `date`.
    """
    from datetime import date as _date
    from zoneinfo import ZoneInfo

    def make(day: int | _date, hour: int, minute: int = 0) -> datetime:
        d = day if isinstance(day, _date) else _date(2026, 11, day)
        return datetime.combine(d, time(hour, minute), ZoneInfo(CHICAGO))

    return make


@dataclass
class People:
    """Three customers of the world's business."""

    johnson: object
    smith: object
    garcia: object


@pytest.fixture
async def people(world: World) -> People:
    from hero365.erp.services import contacts

    async with world.store.uow(world.business_id) as uow:
        johnson = await contacts.create_contact(uow, world.office, "Bob Johnson", "(512) 555-0100",
                                                street="100 Main St", city="Austin", state="TX", postal_code="78701")
        smith = await contacts.create_contact(uow, world.office, "Mary Smith", "512.555.0101",
                                              email="mary@smith.test", street="7 Oak Ave", city="Austin", state="TX")
        garcia = await contacts.create_contact(uow, world.office, "Carlos Garcia", "+1 212 555 0102",
                                               company="Garcia Rentals")
    return People(johnson=johnson, smith=smith, garcia=garcia)


@pytest.fixture
async def empty_pg_url() -> AsyncIterator[str]:
    """A brand-new, empty PostgreSQL database for one test (dropped after), or a skip saying why."""
    if not PG_UP:
        pytest.skip("PostgreSQL is not answering on 127.0.0.1:5432: PostgreSQL half of this test skipped")
    import asyncpg

    name = f"h365_empty_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture
def rows(store: Store):
    """`await rows("jobs", business_id=1)`: how many rows a table holds (optionally where column = value),
    read straight from the database, past every cache and tenant scope: what "nothing half-written" checks."""
    import sqlalchemy as sa

    from hero365.erp.store.tables import metadata

    async def count(table: str, **where: object) -> int:
        t = metadata.tables[table]
        stmt = sa.select(sa.func.count()).select_from(t)
        for column, value in where.items():
            stmt = stmt.where(t.c[column] == value)
        async with store.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    return count


@pytest.fixture
def redis_test_url() -> str:
    """`redis_url` as a plain (synchronous) fixture, so async fixtures can ask for it with getfixturevalue."""
    if not REDIS_UP:
        pytest.skip("Redis is not answering on 127.0.0.1:6379: Redis part of this test skipped")
    return REDIS_URL
