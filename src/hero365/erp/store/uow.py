"""Unit of work: one transaction for one business. Commits on a clean exit, rolls back on any error,
then tells the cache which topics the committed write made stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.errors import NotFound
from ..domain.tenancy import Business
from . import repositories as r
from . import tables as t

if TYPE_CHECKING:
    from .db import Store

#: Where each business's numbers start (invoice numbers look like invoice numbers).
COUNTER_START = {"job": 0, "project": 0, "estimate": 0, "invoice": 1000, "purchase_order": 0}


class UnitOfWork:
    """`async with store.uow(business_id) as uow:` ... everything inside is one transaction."""

    session: AsyncSession

    def __init__(self, store: Store, business_id: int | None) -> None:
        self.store = store
        self.business_id = business_id
        self._business: Business | None = None

    async def __aenter__(self) -> UnitOfWork:
        s = self.session = self.store.session(self.business_id)
        self.contacts = r.Contacts(s)
        self.jobs = r.Jobs(s)
        self.projects = r.Projects(s)
        self.estimates = r.Estimates(s)
        self.invoices = r.Invoices(s)
        self.products = r.Products(s)
        self.purchase_orders = r.PurchaseOrders(s)
        self.tasks = r.Tasks(s)
        self.hours = r.Hours(s)
        self.members = r.Members(s)
        self.outbox = r.Outbox(s)
        self.activity = r.Activity(s)
        self.idempotency = r.Idempotency(s)
        self.directory = r.Directory(s)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        topics = self.session.info.get("dirty_topics") or set()
        if topics and self.business_id is not None:
            await self.store.cache.bump(self.business_id, sorted(topics))
        self.session.info["dirty_topics"] = set()

    async def rollback(self) -> None:
        await self.session.rollback()
        self.session.info["dirty_topics"] = set()

    async def flush(self) -> None:
        await self.session.flush()

    def pending_topics(self) -> set[str]:
        """The cached topics this transaction has written (flushed or not) and not yet committed."""
        from .db import TOPIC_OF

        topics = set(self.session.info.get("dirty_topics") or ())
        for obj in (*self.session.new, *self.session.dirty, *self.session.deleted):
            topic = TOPIC_OF.get(type(obj))
            if topic:
                topics.add(topic)
        return topics

    async def cached(self, topics: tuple[str, ...], name: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """`load()` through the store's cache, except after this transaction's own writes to those topics:
        the cache can't hold them yet (they are bumped at commit), so reading it would be a stale read."""
        from ..cache import cached

        if self.business_id is None or self.pending_topics() & set(topics):
            return await load()
        return await cached(self.store.cache, self.business_id, topics, name,
                            self.store.settings.cache_ttl_seconds, load)

    async def business(self) -> Business:
        if self._business is None:
            if self.business_id is None:
                raise NotFound("No business is selected.")
            found = await self.session.get(Business, self.business_id)
            if found is None:
                raise NotFound(f"Business {self.business_id} doesn't exist.")
            self._business = found
        return self._business

    async def lock(self, kind: str) -> None:
        """Serialize this transaction with every other one that locks (or numbers) the same kind in this business.

        It is the business's counter row for `kind`, write-locked until commit or rollback (a row lock on
        PostgreSQL, the database write lock on SQLite). A rule that reads before it writes (a technician is free,
        an invoice's balance covers a payment) takes it first, so two concurrent callers can't both pass the check.
        """
        c = t.counters.c
        await self.session.execute(sa.update(t.counters).where(c.business_id == self.business_id, c.kind == kind)
                                   .values(value=c.value))

    async def next_number(self, kind: str) -> int:
        """The next per-business number, safe under concurrent writers (row lock / write lock)."""
        c = t.counters.c
        stmt = (sa.update(t.counters).where(c.business_id == self.business_id, c.kind == kind)
                .values(value=c.value + 1).returning(c.value))
        value = (await self.session.execute(stmt)).scalar_one_or_none()
        if value is None:
            start = COUNTER_START.get(kind, 0) + 1
            await self.session.execute(sa.insert(t.counters).values(business_id=self.business_id, kind=kind,
                                                                     value=start))
            return start
        return int(value)
