"""Alembic migrations build exactly the schema the code maps (tables.metadata), on an empty SQLite file and
on an empty PostgreSQL database."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.services import businesses, contacts, jobs
from hero365.erp.store import migrate
from hero365.erp.store.db import Store
from hero365.erp.store.tables import metadata


def _describe(diff: list) -> str:
    """One line per difference, e.g. 'add_index ix_jobs_x': what a new migration has to do."""
    lines = []
    for item in diff:
        for op_ in item if isinstance(item, list) else [item]:
            name = getattr(op_[1], "name", None) if isinstance(op_, tuple) and len(op_) > 1 else None
            lines.append(f"{op_[0]} {name or op_[1:]!r}" if isinstance(op_, tuple) else repr(op_))
    return "tables.py and the migrations disagree (write a migration):\n  " + "\n  ".join(lines)


def _schema_and_diff(conn: sa.Connection) -> tuple[dict[str, set[str]], list]:
    insp = sa.inspect(conn)
    tables = {name: {c["name"] for c in insp.get_columns(name)} for name in insp.get_table_names()}
    context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
    return tables, compare_metadata(context, metadata)


async def _migrate(url: str):
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # a second run has nothing to do
        async with engine.connect() as conn:
            tables, diff = await conn.run_sync(_schema_and_diff)
        return tables, diff, await migrate.current(engine)
    finally:
        await engine.dispose()


EXPECTED = {name: {c.name for c in table.columns} for name, table in metadata.tables.items()}


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


async def test_upgrade_on_an_empty_sqlite_file_builds_the_mapped_schema(tmp_path: Path) -> None:
    tables, diff, current = await _migrate(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert current == _head()
    assert {t: c for t, c in tables.items() if t != "alembic_version"} == EXPECTED
    assert not diff, _describe(diff)


@pytest.mark.postgres
async def test_upgrade_on_an_empty_postgres_database_builds_the_mapped_schema(empty_pg_url: str) -> None:
    tables, diff, current = await _migrate(empty_pg_url)
    assert current == _head()
    assert {t: c for t, c in tables.items() if t != "alembic_version"} == EXPECTED
    assert not diff, _describe(diff)


@pytest.mark.postgres
async def test_sqlite_and_postgres_get_the_same_tables_and_columns(tmp_path: Path, empty_pg_url: str) -> None:
    lite, _, _ = await _migrate(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    pg, _, _ = await _migrate(empty_pg_url)
    assert lite == pg


async def test_a_migrated_database_serves_the_services(tmp_path: Path, clock) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    store = Store(Settings(database_url=url, redis_url=None), cache=MemoryCache(), clock=clock)
    try:
        await migrate.upgrade(store.engine)
        biz, owner_user = await businesses.create_business(store, "Migrated Plumbing", owner_name="Mo",
                                                           owner_email="mo@migrated.test")
        owner = await businesses.actor_for(store, owner_user.id, biz.id)
        async with store.uow(biz.id) as uow:
            c = await contacts.create_contact(uow, owner, "Bob Johnson", "512 555 0100")
            job = await jobs.create_job(uow, owner, c.id, "Fix sink", None)
        assert job.number == 1
    finally:
        await store.close()


async def _downgrade_to_base_and_back(url: str) -> set[str]:
    from alembic import command

    engine = create_async_engine(url)

    def down(connection: sa.Connection) -> None:
        cfg = migrate.alembic_config(url)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "base")

    try:
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            left = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        await migrate.upgrade(engine)
        assert await migrate.current(engine) == _head()
        return left
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_upgrade_again_on_sqlite(tmp_path: Path) -> None:
    assert await _downgrade_to_base_and_back(f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}") <= {
        "alembic_version"}


@pytest.mark.postgres
async def test_downgrade_to_base_and_upgrade_again_on_postgres(empty_pg_url: str) -> None:
    assert await _downgrade_to_base_and_back(empty_pg_url) <= {"alembic_version"}
