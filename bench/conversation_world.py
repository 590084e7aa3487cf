"""The business the conversation scripts talk to: the demo generated for one fixed moment, plus queued reminder
calls, and a plain-text sheet of the facts a script writer may rely on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hero365.calls import tables as ct
from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.demo import generate_demo
from hero365.erp.store import tables as t
from hero365.erp.store.db import Store
from hero365.erp.store.migrate import upgrade

#: Monday 23 November 2026, 10:00 in Austin (16:00 UTC).
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/Chicago")


#: The business's own settings the agents must follow (hours, fee, emergencies).
SETTINGS = """BUSINESS SETTINGS:
  Office hours: Monday-Friday 07:30-17:30, Saturday 08:00-12:00, closed Sunday.
  Diagnostic (service call) fee: $89, charged on every visit, credited toward the repair.
  Emergencies (burst or frozen pipe, flooding, sewage backing up, no heat when it is freezing, gas smell,
  sparking or burning electrical): an emergency job is booked for the caller at once, at the top of the queue,
  and the on-call technician Mike Alvarez (+15125550150) is paged by text message; the caller is told what
  happens next and when. Gas smell: the caller is first told to leave the house and call the gas company or 911.
  Every customer-facing booking window is 2 hours (e.g. "between 1 and 3 PM")."""


@dataclass
class World:
    business_id: int
    owner_id: int
    users: dict[str, int]
    #: Contact name -> (id, phone).
    contacts: dict[str, tuple[int, str | None]]
    counts: dict[str, int]
    on_call_phone: str | None = None
    tables: list[str] = field(default_factory=list)


def store_at(path: Path, at: datetime = NOW) -> Store:
    return Store(Settings(database_url=f"sqlite+aiosqlite:///{path}"), cache=MemoryCache(), clock=lambda: at)


async def build_world(path: Path) -> World:
    store = store_at(path)
    await upgrade(store.engine)
    info = await generate_demo(store, scale=1, seed=365, now=NOW)
    async with store.engine.begin() as conn:
        users = {r.name: r.id for r in (await conn.execute(sa.select(t.users.c.id, t.users.c.name))).all()}
        phones: dict[int, str] = {}
        for r in (await conn.execute(sa.select(t.contact_phones).order_by(t.contact_phones.c.id))).all():
            phones.setdefault(r.contact_id, r.number)
        contacts = {r.name: (r.id, phones.get(r.id)) for r in
                    (await conn.execute(sa.select(t.contacts.c.id, t.contacts.c.name))).all()}
        # reminder calls queued for tomorrow's appointments (5 PM today), as a campaign would have queued them
        tomorrow = NOW.astimezone(ZONE).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, datetime.min.time(), ZONE).astimezone(UTC)
        rows = (await conn.execute(sa.select(t.jobs.c.id, t.jobs.c.contact_id).where(
            t.jobs.c.scheduled_start >= start, t.jobs.c.scheduled_start < start + timedelta(days=1),
            t.jobs.c.status == "scheduled"))).all()
        at = datetime.combine(NOW.astimezone(ZONE).date(), datetime.min.time().replace(hour=17), ZONE)
        for job_id, contact_id in rows:
            if contact_id not in phones:
                continue
            await conn.execute(sa.insert(ct.call_attempts).values(
                business_id=info.business_id, contact_id=contact_id, to_number=phones[contact_id],
                purpose="appointment_reminder", agent="support", state="queued", attempt_no=1,
                scheduled_for=at.astimezone(UTC), idempotency_key=f"bench-reminder-{job_id}", job_id=job_id,
                created_at=NOW))
    await store.close()
    return World(info.business_id, info.owner_user_id, users, contacts, info.counts)


def _local(at: datetime | None) -> str:
    return at.astimezone(ZONE).strftime("%a %d %b %H:%M") if at else "unscheduled"


async def world_sheet(path: Path, world: World) -> str:
    """Everything a script writer may rely on, as text."""
    store = store_at(path)
    out: list[str] = []
    add = out.append
    async with store.engine.connect() as conn:
        b = (await conn.execute(sa.select(t.businesses))).first()
        assert b is not None
        add(f"BUSINESS: {b.name}, {b.street}, {b.city} {b.state} {b.postal_code}; phone {b.phone}; "
            f"time zone {b.timezone}; sales tax {b.tax_rate_bp / 100:.2f}%.")
        add(SETTINGS)
        add(f"NOW: {_local(NOW)} (Monday 23 November 2026, 10:00 local). Scripts may set another local time.")
        add("\nTEAM (name, role, mobile, working hours; weekday 0 = Monday):")
        hours: dict[int, list[str]] = {}
        for r in (await conn.execute(sa.select(t.working_hours).order_by(t.working_hours.c.weekday))).all():
            hours.setdefault(r.user_id, []).append(f"{r.weekday}:{r.start:%H:%M}-{r.end:%H:%M}")
        for r in (await conn.execute(sa.select(t.users.c.id, t.users.c.name, t.users.c.phone, t.memberships.c.role)
                                     .join(t.memberships, t.memberships.c.user_id == t.users.c.id))).all():
            add(f"  {r.name}: {r.role.value}, {r.phone or 'no phone'}, {' '.join(hours.get(r.id, [])) or '-'}")
        names = {r.id: r.name for r in (await conn.execute(sa.select(t.users.c.id, t.users.c.name))).all()}
        people = {r.id: r for r in (await conn.execute(sa.select(t.contacts))).all()}
        phones: dict[int, list[str]] = {}
        for r in (await conn.execute(sa.select(t.contact_phones))).all():
            phones.setdefault(r.contact_id, []).append(r.number)
        add("\nCONTACTS (name, kind, phone, address, flags):")
        for c in sorted(people.values(), key=lambda c: c.name):
            flags = " DO-NOT-CALL" if c.do_not_call else ""
            add(f"  {c.name}{' (' + c.company + ')' if c.company else ''}: {c.kind.value}, "
                f"{', '.join(phones.get(c.id, [])) or 'no phone'}, {c.street or '-'}, {c.city or '-'} "
                f"{c.postal_code or ''}{flags}")
        add("\nSCHEDULE, today and the next 3 days (job number, local start, minutes, customer, technician, status, "
            "title):")
        day0 = NOW.astimezone(ZONE).date()
        lo = datetime.combine(day0, datetime.min.time(), ZONE).astimezone(UTC)
        rows = (await conn.execute(sa.select(t.jobs).where(t.jobs.c.scheduled_start >= lo,
                                                           t.jobs.c.scheduled_start < lo + timedelta(days=4))
                                   .order_by(t.jobs.c.scheduled_start))).all()
        for j in rows:
            add(f"  job {j.number}: {_local(j.scheduled_start)}, {j.duration_minutes} min, "
                f"{people[j.contact_id].name}, {names.get(j.technician_id, 'unassigned')}, {j.status.value}, "
                f"{j.title}")
        held = (await conn.execute(sa.select(t.jobs).where(t.jobs.c.status.in_(["on_hold", "in_progress"])))).all()
        for j in held:
            add(f"  job {j.number}: {j.status.value}, {people[j.contact_id].name}, {j.title}")
        add("\nOPEN INVOICES (number, customer, total, balance, due, status):")
        paid = {r.invoice_id: r.paid for r in (await conn.execute(
            sa.select(t.payments.c.invoice_id, sa.func.sum(t.payments.c.amount_cents).label("paid"))
            .group_by(t.payments.c.invoice_id))).all()}
        lines = {r.invoice_id: r.total for r in (await conn.execute(
            sa.select(t.invoice_lines.c.invoice_id,
                      sa.func.sum(t.invoice_lines.c.quantity * t.invoice_lines.c.unit_price_cents).label("total"))
            .group_by(t.invoice_lines.c.invoice_id))).all()}
        for inv in (await conn.execute(sa.select(t.invoices).where(t.invoices.c.status.not_in(["paid", "void"]))
                                       .order_by(t.invoices.c.number))).all():
            total = round(float(lines.get(inv.id, 0)) * (1 + inv.tax_rate_bp / 10000))
            balance = total - int(paid.get(inv.id, 0) or 0)
            add(f"  invoice {inv.number}: {people[inv.contact_id].name}, ${total / 100:,.2f}, "
                f"balance ${balance / 100:,.2f}, due {inv.due_date}, {inv.status.value}")
        add("\nPENDING ESTIMATES (number, customer, title, status):")
        for e in (await conn.execute(sa.select(t.estimates).where(t.estimates.c.status.in_(["draft", "sent"]))
                                     .order_by(t.estimates.c.number))).all():
            add(f"  estimate {e.number}: {people[e.contact_id].name}, {e.title}, {e.status.value}")
        add("\nPRICE LIST (services, then parts):")
        for p in (await conn.execute(sa.select(t.products).order_by(t.products.c.kind.desc(), t.products.c.name)))\
                .all():
            add(f"  {p.name}: ${p.unit_price_cents / 100:,.2f} per {p.unit} ({p.kind.value}, stock "
                f"{p.stock_on_hand})" if p.kind.value == "part" else
                f"  {p.name}: ${p.unit_price_cents / 100:,.2f} per {p.unit} ({p.kind.value})")
        add("\nQUEUED OUTBOUND CALLS: an appointment-reminder call is queued for 5 PM today to every customer "
            "with a scheduled job tomorrow:")
        for r in (await conn.execute(sa.select(ct.call_attempts).where(ct.call_attempts.c.state == "queued"))).all():
            add(f"  to {people[r.contact_id].name} ({r.to_number}), {r.purpose}")
    await store.close()
    return "\n".join(out)
