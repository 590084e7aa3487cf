"""The store: one engine and cache per process, units of work scoped to one business.

Tenancy is enforced here, not by callers: every ORM query in a business's session gets a
`business_id = :id` criterion on every tenant-owned table, and every row it writes must belong to that
business (rows left without one are given it).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ...config import Settings, get_settings
from ..cache import Cache, make_cache
from ..domain.contacts import Contact, ContactPhone, Interaction
from ..domain.inventory import Product
from ..domain.jobs import Job, JobNote, JobStatusChange
from ..domain.tenancy import Membership, TenantOwned, User
from .tables import map_domain

if TYPE_CHECKING:
    from .uow import UnitOfWork

#: Which cached topics a write to each class makes stale.
TOPIC_OF: dict[type, str] = {
    Job: "jobs", JobNote: "jobs", JobStatusChange: "jobs",
    Contact: "contacts", ContactPhone: "contacts", Interaction: "contacts",
    Product: "products", Membership: "members", User: "members",
}


class TenantViolation(RuntimeError):
    """Code tried to write a row into another business from a business's session: a bug, never user input."""


def _written_business_ids(state: ORMExecuteState) -> set[Any]:
    """The business ids an ORM INSERT or UPDATE statement would write: from its executemany parameters and
    from its own VALUES / SET clause (bound parameters named business_id, or business_id_m<n> for multi-VALUES)."""
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    found = {row.get("business_id") for row in rows if isinstance(row, dict)}
    try:
        compiled_params = state.statement.compile().params
    except Exception:  # a bare bulk INSERT compiles only with its rows, and those were read above
        if not rows:
            raise
        compiled_params = {}
    found |= {value for key, value in compiled_params.items()
              if key == "business_id" or (key.startswith("business_id_m") and key[13:].isdigit())}
    found.discard(None)
    return found


def _scope_queries(state: ORMExecuteState) -> None:
    business_id = state.session.info.get("business_id")
    if business_id is None or state.is_column_load or state.is_relationship_load or not state.is_orm_statement:
        return
    scoped = [m.class_ for m in state.all_mappers if issubclass(m.class_, TenantOwned)]
    if scoped and (state.is_insert or state.is_update):  # bulk statements skip the flush check below
        for other in _written_business_ids(state) - {business_id}:
            raise TenantViolation(f"{scoped[0].__name__} of business {other} written from business "
                                  f"{business_id}'s session")
    if scoped and (state.is_select or state.is_update or state.is_delete):
        state.statement = state.statement.options(*(
            with_loader_criteria(cls, lambda c: c.business_id == business_id, include_aliases=True)
            for cls in scoped))


def _check_writes(session: Session, flush_context: Any, instances: Any) -> None:
    business_id = session.info.get("business_id")
    topics: set[str] = session.info.setdefault("dirty_topics", set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        topic = TOPIC_OF.get(type(obj))
        if topic:
            topics.add(topic)
        if business_id is None or not isinstance(obj, TenantOwned):
            continue
        if obj.business_id is None:
            obj.business_id = business_id
        elif obj.business_id != business_id:
            raise TenantViolation(f"{type(obj).__name__} of business {obj.business_id} "
                                  f"written from business {business_id}'s session")


_STORE_SERIALS = itertools.count(1)


class TenantSession(Session):
    """A session that scopes reads and checks writes by `info["business_id"]`."""


event.listen(TenantSession, "do_orm_execute", _scope_queries)
event.listen(TenantSession, "before_flush", _check_writes)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.db_echo}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


class Store:
    """Owns the engine, the session factory and the cache; hands out units of work."""

    def __init__(self, settings: Settings | None = None, cache: Cache | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        map_domain()
        #: Unique for the life of the process (unlike id()): keys process-local memos of cached data.
        self.serial = next(_STORE_SERIALS)
        #: The time services act at; tests and benchmarks pin it.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.settings = settings or get_settings()
        self.engine = make_engine(self.settings)
        self.cache: Cache = cache or make_cache(self.settings.redis_url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True,
                                            sync_session_class=TenantSession)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def uow(self, business_id: int) -> UnitOfWork:
        from .uow import UnitOfWork

        return UnitOfWork(self, business_id)

    def directory(self) -> UnitOfWork:
        """A unit of work across businesses: users, memberships, businesses themselves."""
        from .uow import UnitOfWork

        return UnitOfWork(self, None)

    def session(self, business_id: int | None) -> AsyncSession:
        session = self._sessions()
        session.info["business_id"] = business_id
        session.info["dirty_topics"] = set()
        return session

    async def create_all(self) -> None:
        """Create tables directly (tests); deployments use `hero365 db upgrade` (Alembic)."""
        from .tables import metadata

        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def ping(self) -> bool:
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await self.engine.dispose()
        await self.cache.close()


@asynccontextmanager
async def open_store(settings: Settings | None = None) -> AsyncIterator[Store]:
    store = Store(settings)
    try:
        yield store
    finally:
        await store.close()

