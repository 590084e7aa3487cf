"""Who a campaign calls: an audience is a rule over the ERP ("jobs tomorrow", "invoices 7+ days overdue"),
resolved when the campaign starts into one target per contact, with the record the call is about."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel, Field

from ..erp.domain.billing import EstimateStatus, InvoiceStatus
from ..erp.domain.errors import InvalidInput, NotFound
from ..erp.domain.jobs import JobStatus
from ..erp.store import tables as et
from ..erp.store.uow import UnitOfWork


class AudienceKind(enum.StrEnum):
    JOBS_TOMORROW = "jobs_tomorrow"
    INVOICES_OVERDUE = "invoices_overdue"
    ESTIMATES_UNANSWERED = "estimates_unanswered"
    JOBS_COMPLETED_YESTERDAY = "jobs_completed_yesterday"
    CONTACTS = "contacts"


class Audience(BaseModel):
    """`days`: invoices at least that many days overdue / estimates sent that many days ago."""

    kind: AudienceKind
    days: int = Field(default=7, ge=0, le=365)
    contact_ids: list[int] = Field(default_factory=list, max_length=5000)

    def describe(self) -> str:
        return {
            AudienceKind.JOBS_TOMORROW: "customers with a job tomorrow",
            AudienceKind.INVOICES_OVERDUE: f"invoices {self.days}+ days overdue",
            AudienceKind.ESTIMATES_UNANSWERED: f"estimates sent {self.days} days ago without an answer",
            AudienceKind.JOBS_COMPLETED_YESTERDAY: "jobs completed yesterday",
            AudienceKind.CONTACTS: f"{len(self.contact_ids)} chosen contacts",
        }[self.kind]


@dataclass(frozen=True)
class Target:
    contact_id: int
    number: str | None
    job_id: int | None = None
    invoice_id: int | None = None
    estimate_id: int | None = None


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz)


async def resolve(uow: UnitOfWork, audience: Audience, now: datetime) -> list[Target]:
    """The audience's contacts today (business-local days), one target each, first record wins."""
    business = await uow.business()
    tz = ZoneInfo(business.timezone)
    today = now.astimezone(tz).date()
    bid = uow.business_id
    rows: list[tuple[int, dict[str, Any]]] = []
    if audience.kind == AudienceKind.JOBS_TOMORROW:
        j = et.jobs.c
        lo, hi = _day_bounds(today + timedelta(days=1), tz)
        stmt = sa.select(j.id, j.contact_id).where(
            j.business_id == bid, j.scheduled_start >= lo, j.scheduled_start < hi,
            j.status == JobStatus.SCHEDULED.value).order_by(j.scheduled_start, j.id)
        rows = [(r.contact_id, {"job_id": r.id}) for r in (await uow.session.execute(stmt)).all()]
    elif audience.kind == AudienceKind.INVOICES_OVERDUE:
        i = et.invoices.c
        stmt = sa.select(i.id, i.contact_id).where(
            i.business_id == bid, i.status.in_([InvoiceStatus.SENT.value, InvoiceStatus.PARTIALLY_PAID.value]),
            i.due_date <= today - timedelta(days=audience.days)).order_by(i.due_date, i.id)
        rows = [(r.contact_id, {"invoice_id": r.id}) for r in (await uow.session.execute(stmt)).all()]
    elif audience.kind == AudienceKind.ESTIMATES_UNANSWERED:
        e = et.estimates.c
        lo, hi = _day_bounds(today - timedelta(days=audience.days), tz)
        stmt = sa.select(e.id, e.contact_id).where(
            e.business_id == bid, e.status == EstimateStatus.SENT.value, e.sent_at >= lo, e.sent_at < hi
        ).order_by(e.id)
        rows = [(r.contact_id, {"estimate_id": r.id}) for r in (await uow.session.execute(stmt)).all()]
    elif audience.kind == AudienceKind.JOBS_COMPLETED_YESTERDAY:
        j, h = et.jobs.c, et.job_status_changes.c
        lo, hi = _day_bounds(today - timedelta(days=1), tz)
        stmt = (sa.select(j.id, j.contact_id).join(et.job_status_changes, h.job_id == j.id)
                .where(j.business_id == bid, j.status == JobStatus.COMPLETED.value,
                       h.to_status == JobStatus.COMPLETED.value, h.at >= lo, h.at < hi).order_by(j.id))
        rows = [(r.contact_id, {"job_id": r.id}) for r in (await uow.session.execute(stmt)).all()]
    else:
        wanted = list(dict.fromkeys(audience.contact_ids))
        if not wanted:
            raise InvalidInput("An explicit audience needs at least one contact.")
        c = et.contacts.c
        found = {int(i) for i in (await uow.session.execute(
            sa.select(c.id).where(c.business_id == bid, c.id.in_(wanted)))).scalars()}
        missing = [x for x in wanted if x not in found]
        if missing:
            raise NotFound(f"There is no contact {missing[0]} in this business.")
        rows = [(cid, {}) for cid in wanted]
    return await _with_phones(uow, rows)


async def _with_phones(uow: UnitOfWork, rows: list[tuple[int, dict[str, Any]]]) -> list[Target]:
    seen: dict[int, dict[str, Any]] = {}
    for contact_id, refs in rows:
        seen.setdefault(contact_id, refs)
    if not seen:
        return []
    p = et.contact_phones.c
    phones: dict[int, str] = {}
    ids = list(seen)
    for chunk in range(0, len(ids), 900):
        stmt = sa.select(p.contact_id, p.number).where(
            p.business_id == uow.business_id, p.contact_id.in_(ids[chunk:chunk + 900])).order_by(p.id)
        for r in (await uow.session.execute(stmt)).all():
            phones.setdefault(r.contact_id, r.number)
    return [Target(contact_id=cid, number=phones.get(cid), **refs) for cid, refs in seen.items()]


async def related_record(uow: UnitOfWork, purpose: str, contact_id: int, now: datetime) -> dict[str, int]:
    """What a one-off call for `purpose` is about, when the caller didn't say: the contact's next scheduled job
    (reminders), oldest open invoice (payment), latest sent estimate (follow-up), last completed job (feedback)."""
    bid = uow.business_id
    j, i, e = et.jobs.c, et.invoices.c, et.estimates.c
    if purpose in ("appointment_reminder", "reschedule"):
        stmt = sa.select(j.id).where(j.business_id == bid, j.contact_id == contact_id,
                                     j.status == JobStatus.SCHEDULED.value, j.scheduled_start >= now
                                     ).order_by(j.scheduled_start).limit(1)
        key = "job_id"
    elif purpose == "payment_reminder":
        stmt = sa.select(i.id).where(i.business_id == bid, i.contact_id == contact_id, i.status.in_(
            [InvoiceStatus.SENT.value, InvoiceStatus.PARTIALLY_PAID.value])).order_by(i.due_date).limit(1)
        key = "invoice_id"
    elif purpose == "estimate_follow_up":
        stmt = sa.select(e.id).where(e.business_id == bid, e.contact_id == contact_id,
                                     e.status == EstimateStatus.SENT.value).order_by(e.sent_at.desc()).limit(1)
        key = "estimate_id"
    elif purpose == "feedback":
        stmt = sa.select(j.id).where(j.business_id == bid, j.contact_id == contact_id,
                                     j.status == JobStatus.COMPLETED.value).order_by(j.updated_at.desc()).limit(1)
        key = "job_id"
    else:
        return {}
    found = (await uow.session.execute(stmt)).scalar_one_or_none()
    return {key: int(found)} if found is not None else {}
