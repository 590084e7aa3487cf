"""Alembic environment: runs migrations on the async engine from settings (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from hero365.calls import tables as _calls_tables  # noqa: F401  (registers campaigns, attempts, DNC)
from hero365.erp.store.tables import metadata
from hero365.gateway import tables as _gateway_tables  # noqa: F401  (registers the audit log)
from hero365.insights import alerts as _alerts  # noqa: F401  (registers the alerts table)
from hero365.insights import tables as _insights_tables  # noqa: F401  (registers the conversation store)

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
