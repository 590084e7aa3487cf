"""Repositories: the queries the services need, one class per aggregate. Tenancy is added by the session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload

from ..domain.billing import Estimate, EstimateStatus, Invoice, InvoiceStatus
from ..domain.contacts import Contact, ContactPhone, Interaction
from ..domain.inventory import Product, PurchaseOrder, PurchaseOrderStatus
from ..domain.jobs import OPEN_STATUSES, Job
from ..domain.messages import ActivityEntry, IdempotencyRecord, MessageStatus, OutboxMessage
from ..domain.money import tax_on
from ..domain.projects import Project, ProjectStatus
from ..domain.scheduling import WorkingHours
from ..domain.tasks import Task
from ..domain.tenancy import Business, Membership, User
from . import tables as t

T = TypeVar("T")

_ONE_OPTIONS: dict[type, tuple[Any, ...]] = {}


def _one_options(model: type) -> tuple[Any, ...]:
    """Loader options for fetching ONE record with its children: every child collection comes in the same
    statement (LEFT OUTER JOINs) instead of one SELECT ... IN per collection: 1 round trip instead of 1 + n
    (an invoice: 1 instead of 5). The rows multiply (an invoice's lines x payments x reminders x promises,
    usually 1 to 6 rows), which costs far less than the round trips it saves."""
    found = _ONE_OPTIONS.get(model)
    if found is None:
        found = tuple(joinedload(getattr(model, r.key)) for r in sa.inspect(model).relationships if r.uselist)
        _ONE_OPTIONS[model] = found
    return found


class Repository(Generic[T]):
    model: type[T]

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, id_: int) -> T | None:
        return await self._one(sa.select(self.model).filter_by(id=id_))

    def add(self, obj: T) -> T:
        self.s.add(obj)
        return obj

    async def _one(self, stmt: Any) -> T | None:
        result = await self.s.execute(stmt.options(*_one_options(self.model)))
        return result.unique().scalar_one_or_none()

    async def _all(self, stmt: Any) -> list[T]:
        return list((await self.s.execute(stmt)).scalars().all())


class Numbered(Repository[T]):
    async def by_number(self, number: int) -> T | None:
        return await self._one(sa.select(self.model).filter_by(number=number))


class Contacts(Repository[Contact]):
    model = Contact

    async def by_phone(self, e164: str) -> list[Contact]:
        stmt = sa.select(Contact).join(ContactPhone, ContactPhone.contact_id == Contact.id).where(  # type: ignore[arg-type]
            ContactPhone.number == e164).order_by(Contact.id)  # type: ignore[arg-type]
        return list((await self.s.execute(stmt)).scalars().unique().all())

    async def search(self, text: str, limit: int = 20) -> list[Contact]:
        like = f"%{text.strip().lower()}%"
        stmt = sa.select(Contact).where(sa.or_(
            sa.func.lower(t.contacts.c.name).like(like), sa.func.lower(t.contacts.c.company).like(like),
            sa.func.lower(t.contacts.c.email).like(like))).order_by(t.contacts.c.name).limit(limit)
        return await self._all(stmt)

    async def name_index(self) -> list[dict[str, Any]]:
        """Every contact's id, name and company: what the brain matches spoken names against."""
        stmt = sa.select(t.contacts.c.id, t.contacts.c.name, t.contacts.c.company, t.contacts.c.kind).where(
            t.contacts.c.business_id == self.s.info["business_id"]).order_by(t.contacts.c.id)
        return [{"id": r.id, "name": r.name, "company": r.company, "kind": r.kind.value}
                for r in (await self.s.execute(stmt)).all()]

    async def get_many(self, ids: Sequence[int]) -> dict[int, Contact]:
        if not ids:
            return {}
        stmt = sa.select(Contact).options(*_one_options(Contact)).where(t.contacts.c.id.in_(set(ids)))
        found = (await self.s.execute(stmt)).unique().scalars().all()  # phones joined: one round trip
        return {c.id: c for c in found if c.id is not None}

    async def interactions(self, contact_id: int, limit: int = 10) -> list[Interaction]:
        stmt = sa.select(Interaction).where(t.interactions.c.contact_id == contact_id).order_by(
            t.interactions.c.created_at.desc(), t.interactions.c.id.desc()).limit(limit)
        return list((await self.s.execute(stmt)).scalars().all())

    def add_interaction(self, interaction: Interaction) -> Interaction:
        self.s.add(interaction)
        return interaction


#: For lists of jobs read for their times, places and people (schedules, free slots, double-booking checks):
#: their status history and notes are not loaded, and reading them raises instead of returning nothing. A job
#: fetched again by number or customer in the same unit of work comes back with both.
def _job_list() -> tuple[Any, ...]:
    return (raiseload(Job.history), raiseload(Job.notes))  # type: ignore[attr-defined]


class Jobs(Numbered[Job]):
    model = Job

    async def between(self, start: datetime, end: datetime, technician_id: int | None = None,
                      open_only: bool = False) -> list[Job]:
        """Jobs starting in [start, end), by start time: a schedule (history and notes not loaded)."""
        c = t.jobs.c
        stmt = sa.select(Job).options(*_job_list()).where(c.scheduled_start >= start, c.scheduled_start < end)
        if technician_id is not None:
            stmt = stmt.where(c.technician_id == technician_id)
        if open_only:
            stmt = stmt.where(c.status.in_(OPEN_STATUSES))
        return await self._all(stmt.order_by(c.scheduled_start, c.number))

    async def for_contact(self, contact_id: int, open_only: bool = False) -> list[Job]:
        c = t.jobs.c
        stmt = sa.select(Job).where(c.contact_id == contact_id)
        if open_only:
            stmt = stmt.where(c.status.in_(OPEN_STATUSES))
        return await self._all(stmt.order_by(c.scheduled_start.desc().nulls_last(), c.number.desc()))

    async def for_technician_near(self, technician_id: int, start: datetime, end: datetime) -> list[Job]:
        """Open jobs of one technician that could overlap [start, end) (a day either side is ample)."""
        from datetime import timedelta

        c = t.jobs.c
        stmt = sa.select(Job).options(*_job_list()).where(
            c.technician_id == technician_id, c.status.in_(OPEN_STATUSES), c.scheduled_start < end,
            c.scheduled_start >= start - timedelta(days=1))
        return await self._all(stmt)


class Projects(Numbered[Project]):
    model = Project

    async def for_contact(self, contact_id: int) -> list[Project]:
        c = t.projects.c
        stmt = sa.select(Project).where(c.contact_id == contact_id).order_by(
            (c.status == ProjectStatus.ACTIVE.value).desc(), c.number.desc())
        return await self._all(stmt)


class Estimates(Numbered[Estimate]):
    model = Estimate

    async def for_contact(self, contact_id: int) -> list[Estimate]:
        c = t.estimates.c
        return await self._all(sa.select(Estimate).where(c.contact_id == contact_id).order_by(c.number.desc()))

    async def pending(self) -> list[Estimate]:
        c = t.estimates.c
        stmt = sa.select(Estimate).where(c.status.in_([EstimateStatus.DRAFT.value, EstimateStatus.SENT.value]))
        return await self._all(stmt.order_by(c.number))

    async def sent_between(self, start: datetime, end: datetime) -> list[Estimate]:
        c = t.estimates.c
        stmt = sa.select(Estimate).where(c.status == EstimateStatus.SENT.value, c.sent_at >= start, c.sent_at < end)
        return await self._all(stmt.order_by(c.number))


class Invoices(Numbered[Invoice]):
    model = Invoice

    async def for_contact(self, contact_id: int) -> list[Invoice]:
        c = t.invoices.c
        return await self._all(sa.select(Invoice).where(c.contact_id == contact_id).order_by(c.number.desc()))

    async def for_job(self, job_id: int) -> list[Invoice]:
        """A job's invoices (none or one or two): complete, in one statement."""
        c = t.invoices.c
        stmt = sa.select(Invoice).options(*_one_options(Invoice)).where(c.job_id == job_id).order_by(c.number)
        return list((await self.s.execute(stmt)).unique().scalars().all())

    async def overdue(self, today: date, min_days: int = 0) -> list[Invoice]:
        """Sent or part-paid invoices past due, oldest first, with lines and payments (their balances); their
        reminders and promises are not loaded (reading them raises; fetch one invoice by number for those)."""
        from datetime import timedelta

        c = t.invoices.c
        stmt = sa.select(Invoice).options(raiseload(Invoice.reminders), raiseload(Invoice.promises)).where(  # type: ignore[attr-defined]
            c.status.in_([InvoiceStatus.SENT.value, InvoiceStatus.PARTIALLY_PAID.value]),
            c.due_date < today - timedelta(days=min_days))
        return await self._all(stmt.order_by(c.due_date, c.number))

    async def overdue_balances(self, today: date, min_days: int = 0) -> list[OverdueRow]:
        """Past-due invoices as plain rows with totals and balances summed in SQL: what a spoken summary
        needs ("12 overdue, 4,300 dollars in all"), without building every invoice and its lines."""
        from datetime import timedelta

        bid = self.s.info["business_id"]
        c = t.invoices.c
        due = (sa.select(c.id).where(c.business_id == bid,
                                     c.status.in_([InvoiceStatus.SENT.value, InvoiceStatus.PARTIALLY_PAID.value]),
                                     c.due_date < today - timedelta(days=min_days)))
        il, pay = t.invoice_lines.c, t.payments.c
        line_total = sa.func.round(il.quantity * il.unit_price_cents)
        lines = (sa.select(il.invoice_id, sa.func.sum(line_total).label("subtotal"))
                 .where(il.invoice_id.in_(due)).group_by(il.invoice_id).subquery())  # only the past-due ones
        paid = (sa.select(pay.invoice_id, sa.func.sum(pay.amount_cents).label("paid"))
                .where(pay.invoice_id.in_(due)).group_by(pay.invoice_id).subquery())
        stmt = (sa.select(c.id, c.number, c.contact_id, c.title, c.due_date, c.tax_rate_bp,
                          sa.func.coalesce(lines.c.subtotal, 0), sa.func.coalesce(paid.c.paid, 0))
                .outerjoin(lines, lines.c.invoice_id == c.id).outerjoin(paid, paid.c.invoice_id == c.id)
                .where(c.id.in_(due))
                .order_by(c.due_date, c.number))
        out = []
        for id_, number, contact_id, title, due, rate, subtotal, paid_cents in (await self.s.execute(stmt)).all():
            sub = int(Decimal(str(subtotal)))
            total = sub + tax_on(sub, rate)
            out.append(OverdueRow(id_, number, contact_id, title, due, total, total - int(paid_cents),
                                  (today - due).days))
        return out


@dataclass(frozen=True)
class OverdueRow:
    id: int
    number: int
    contact_id: int
    title: str
    due_date: date
    total_cents: int
    balance_cents: int
    days_overdue: int


class Products(Repository[Product]):
    model = Product

    async def by_sku(self, sku: str) -> Product | None:
        return (await self.s.execute(sa.select(Product).filter_by(sku=sku))).scalar_one_or_none()

    async def index(self) -> list[dict[str, Any]]:
        c = t.products.c
        stmt = sa.select(c.id, c.sku, c.name, c.kind).where(
            c.business_id == self.s.info["business_id"]).order_by(c.id)
        return [{"id": r.id, "sku": r.sku, "name": r.name, "kind": r.kind.value}
                for r in (await self.s.execute(stmt)).all()]

    async def low_stock(self) -> list[Product]:
        c = t.products.c
        stmt = sa.select(Product).where(c.kind == "part", c.stock_on_hand <= c.reorder_point)
        return await self._all(stmt.order_by(c.name))


class PurchaseOrders(Numbered[PurchaseOrder]):
    model = PurchaseOrder

    async def open_for_product(self, product_id: int) -> list[PurchaseOrder]:
        c = t.purchase_orders.c
        stmt = sa.select(PurchaseOrder).where(c.product_id == product_id,
                                              c.status == PurchaseOrderStatus.ORDERED.value)
        return await self._all(stmt.order_by(c.number))


class Tasks(Repository[Task]):
    model = Task

    async def open_for(self, user_id: int | None = None, contact_id: int | None = None) -> list[Task]:
        c = t.tasks.c
        stmt = sa.select(Task).where(c.done_at.is_(None))
        if user_id is not None:
            stmt = stmt.where(c.user_id == user_id)
        if contact_id is not None:
            stmt = stmt.where(c.contact_id == contact_id)
        return await self._all(stmt.order_by(c.due_at))


class Hours(Repository[WorkingHours]):
    model = WorkingHours

    async def for_users(self, user_ids: Sequence[int] | None = None) -> list[WorkingHours]:
        c = t.working_hours.c
        stmt = sa.select(WorkingHours)
        if user_ids is not None:
            stmt = stmt.where(c.user_id.in_(list(user_ids)))
        return await self._all(stmt.order_by(c.user_id, c.weekday, c.start))


class Members(Repository[Membership]):
    model = Membership

    async def all(self) -> list[Membership]:
        return await self._all(sa.select(Membership).where(t.memberships.c.active.is_(True))
                               .order_by(t.memberships.c.id))

    async def of_user(self, user_id: int) -> Membership | None:
        stmt = sa.select(Membership).where(t.memberships.c.user_id == user_id, t.memberships.c.active.is_(True))
        return (await self.s.execute(stmt)).scalars().first()


class Outbox(Repository[OutboxMessage]):
    model = OutboxMessage

    async def queued(self, limit: int = 100) -> list[OutboxMessage]:
        c = t.outbox.c
        stmt = sa.select(OutboxMessage).where(c.status == MessageStatus.QUEUED.value).order_by(c.id).limit(limit)
        return await self._all(stmt)

    async def due(self, now: datetime, channels: Sequence[str], limit: int = 100) -> list[int]:
        """Messages to try now on these channels: queued, or claimed by a deliverer whose lease ran out."""
        c = t.outbox.c
        stmt = (sa.select(OutboxMessage.id).where(  # type: ignore[call-overload]  (ORM-enabled: tenant-scoped)
            c.channel.in_(list(channels)),
            sa.or_(c.status == MessageStatus.QUEUED.value,
                   sa.and_(c.status == MessageStatus.SENDING.value, c.lease_until < now)))
                .order_by(c.id).limit(limit))
        return list((await self.s.execute(stmt)).scalars())

    async def waiting(self) -> dict[str, int]:
        """Queued messages per channel (for saying which channel has no sender)."""
        c = t.outbox.c
        stmt = (sa.select(OutboxMessage.channel, sa.func.count())  # type: ignore[call-overload]
                .where(c.status == MessageStatus.QUEUED.value).group_by(OutboxMessage.channel))
        return {str(ch.value if hasattr(ch, "value") else ch): n for ch, n in (await self.s.execute(stmt)).all()}

    async def claim(self, message_id: int, now: datetime, until: datetime) -> bool:
        """Take one message for sending (a conditional UPDATE: of two deliverers, exactly one wins)."""
        c = t.outbox.c
        stmt = (sa.update(OutboxMessage).where(
            c.id == message_id,
            sa.or_(c.status == MessageStatus.QUEUED.value,
                   sa.and_(c.status == MessageStatus.SENDING.value, c.lease_until < now)))
                .values(status=MessageStatus.SENDING.value, lease_until=until)
                .execution_options(synchronize_session=False))
        return bool((await self.s.execute(stmt)).rowcount == 1)  # type: ignore[attr-defined]


class Activity(Repository[ActivityEntry]):
    model = ActivityEntry

    async def recent(self, limit: int = 50) -> list[ActivityEntry]:
        c = t.activity_log.c
        return await self._all(sa.select(ActivityEntry).order_by(c.id.desc()).limit(limit))


class Idempotency(Repository[IdempotencyRecord]):
    model = IdempotencyRecord

    async def find(self, key: str) -> IdempotencyRecord | None:
        return (await self.s.execute(sa.select(IdempotencyRecord).filter_by(key=key))).scalar_one_or_none()


class Directory:
    """Cross-business lookups (no tenant scope): users, their memberships, businesses."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def business(self, business_id: int) -> Business | None:
        return await self.s.get(Business, business_id)

    async def businesses_with_mail(self) -> list[int]:
        """Businesses with messages waiting in the outbox (queued or mid-send)."""
        c = t.outbox.c
        stmt = sa.select(c.business_id).where(c.status.in_([MessageStatus.QUEUED.value, MessageStatus.SENDING.value]))
        return list((await self.s.execute(stmt.distinct().order_by(c.business_id))).scalars())

    async def businesses(self) -> list[Business]:
        return list((await self.s.execute(sa.select(Business).order_by(t.businesses.c.id))).scalars().all())

    async def user(self, user_id: int) -> User | None:
        return await self.s.get(User, user_id)

    async def user_by_email(self, email: str) -> User | None:
        stmt = sa.select(User).where(sa.func.lower(t.users.c.email) == email.strip().lower())
        return (await self.s.execute(stmt)).scalar_one_or_none()

    async def memberships_of(self, user_id: int) -> list[Membership]:
        stmt = sa.select(Membership).where(t.memberships.c.user_id == user_id, t.memberships.c.active.is_(True))
        return list((await self.s.execute(stmt.order_by(t.memberships.c.id))).scalars().all())

    async def membership(self, user_id: int, business_id: int) -> Membership | None:
        stmt = sa.select(Membership).where(t.memberships.c.user_id == user_id,
                                           t.memberships.c.business_id == business_id,
                                           t.memberships.c.active.is_(True))
        return (await self.s.execute(stmt)).scalar_one_or_none()
