"""The demo business: the advertised size, the same business for the same seed and moment, a believable day
today, nobody booked twice, overdue invoices and low stock to talk about, and the names the spoken examples use."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import sqlalchemy as sa

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.demo import DemoInfo, find_demo, generate_demo
from hero365.erp.domain.billing import InvoiceStatus
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.services import billing, businesses, common, jobs
from hero365.erp.store import tables as t
from hero365.erp.store.db import Store

#: Monday 2026-11-23 08:00 in Chicago (the moment the spoken examples are judged at).
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")
pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _store(path: Path) -> Store:
    store = Store(Settings(database_url=f"sqlite+aiosqlite:///{path}", redis_url=None), cache=MemoryCache(),
                  clock=lambda: NOW)
    await store.create_all()
    return store


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Store, DemoInfo]]:
    store = await _store(tmp_path_factory.mktemp("demo") / "demo.db")
    info = await generate_demo(store, scale=1, seed=365, now=NOW)
    yield store, info
    await store.close()


async def _snapshot(store: Store, business_id: int) -> dict[str, list[Any]]:
    c, j, i = t.contacts.c, t.jobs.c, t.invoices.c
    async with store.directory() as uow:
        s = uow.session
        return {
            "contacts": [tuple(r) for r in (await s.execute(sa.select(c.name, c.email, c.street).where(
                c.business_id == business_id).order_by(c.id))).all()],
            "jobs": [tuple(r) for r in (await s.execute(sa.select(j.number, j.title, j.scheduled_start, j.status).where(
                j.business_id == business_id).order_by(j.number))).all()],
            "invoices": [tuple(r) for r in (await s.execute(sa.select(i.number, i.title, i.status, i.due_date).where(
                i.business_id == business_id).order_by(i.number))).all()],
        }


async def test_advertised_counts(demo: tuple[Store, DemoInfo]) -> None:
    store, info = demo
    c = info.counts
    assert c["contacts"] == 60 and c["customers"] + c["leads"] == 60
    assert c["members"] == 6 and c["technicians"] == 4 and len(info.technician_user_ids) == 4
    assert len(info.office_user_ids) == 1 and info.owner_user_id not in info.technician_user_ids
    assert 3 <= c["leads"] <= 10 and c["companies"] >= 3 and 1 <= c["do_not_call"] <= 2 and c["marketing_consent"] > 5
    assert c["parts"] >= 25 and c["services"] >= 10 and c["low_stock"] >= 3
    assert c["projects"] >= 2 and c["projects_active"] >= 2
    assert c["jobs_completed"] >= 100 and c["jobs_cancelled"] >= 1 and c["jobs_in_progress"] >= 1
    assert c["jobs_on_hold"] >= 1 and c["jobs_today"] >= 4 and c["jobs_upcoming"] >= 10
    assert c["estimates_pending"] >= 3 and c["invoices_overdue"] >= 3 and c["invoices_paid"] >= 50
    assert c["invoices_partially_paid"] >= 1 and c["payments"] >= c["invoices_paid"]
    # the same figures as the services report them
    office = await businesses.actor_for(store, info.office_user_ids[0], info.business_id)
    async with store.uow(info.business_id) as uow:
        assert len(await billing.list_overdue_invoices(uow, office)) == c["invoices_overdue"]
        assert len(await jobs.get_schedule(uow, office)) == c["jobs_today"]
        assert len(await uow.products.low_stock()) == c["low_stock"]
        assert len(await billing.list_pending_estimates(uow, office)) == c["estimates_pending"]


async def test_find_demo_returns_the_finished_business(demo: tuple[Store, DemoInfo], tmp_path: Path) -> None:
    store, info = demo
    found = await find_demo(store)
    assert found is not None and found.business_id == info.business_id and found.seed == 365
    assert found.technician_user_ids == info.technician_user_ids and found.counts["contacts"] == 60
    empty = await _store(tmp_path / "empty.db")
    try:
        assert await find_demo(empty) is None
    finally:
        await empty.close()


async def test_same_seed_and_moment_give_the_same_business(demo: tuple[Store, DemoInfo], tmp_path: Path) -> None:
    store, info = demo
    again = await _store(tmp_path / "again.db")
    other = await _store(tmp_path / "other.db")
    try:
        second = await generate_demo(again, scale=1, seed=365, now=NOW)
        third = await generate_demo(other, scale=1, seed=7, now=NOW)
        first_snap = await _snapshot(store, info.business_id)
        assert await _snapshot(again, second.business_id) == first_snap
        assert second.counts == info.counts
        different = await _snapshot(other, third.business_id)
        assert [n for n, *_ in different["contacts"]] != [n for n, *_ in first_snap["contacts"]]
    finally:
        await again.close()
        await other.close()


async def test_spoken_names_find_exactly_one_customer(demo: tuple[Store, DemoInfo]) -> None:
    store, info = demo
    office = await businesses.actor_for(store, info.office_user_ids[0], info.business_id)
    expected = {"johnson": "Johnson", "maria garcia": "Maria Garcia", "the hendersons": "Henderson",
                "bob smith": "Bob Smith", "linda chen": "Linda Chen", "tom baker": "Tom Baker",
                "patels": "Patel", "acme property management": "Acme Property Management", "chen": "Linda Chen",
                "smith": "Bob Smith", "garcia": "Maria Garcia"}
    async with store.uow(info.business_id) as uow:
        for spoken, part in expected.items():
            contact = await common.find_contact(uow, office, spoken)
            assert part in contact.name, (spoken, contact.name)
        names = [row["name"] for row in await uow.contacts.name_index()]
    for surname in ("Johnson", "Garcia", "Henderson", "Smith", "Chen", "Baker", "Patel", "Acme"):
        assert sum(surname in n.split() for n in names) == 1, surname


async def test_today_is_a_working_day_and_nobody_is_double_booked(demo: tuple[Store, DemoInfo]) -> None:
    store, info = demo
    j, h = t.jobs.c, t.working_hours.c
    async with store.directory() as uow:
        rows = (await uow.session.execute(sa.select(j.technician_id, j.scheduled_start, j.duration_minutes, j.status,
                                                    j.number, j.created_at).where(
            j.business_id == info.business_id).order_by(j.technician_id, j.scheduled_start))).all()
        hours = (await uow.session.execute(sa.select(h.user_id, h.weekday, h.start, h.end).where(
            h.business_id == info.business_id))).all()
    windows = {(r.user_id, r.weekday): (r.start, r.end) for r in hours}
    assert {u for u, _ in windows} == set(info.technician_user_ids)
    assert any(wd == 5 for _, wd in windows)  # some work Saturdays
    last_end: dict[int, datetime] = {}
    for r in rows:
        start = r.scheduled_start.astimezone(CHICAGO)
        end = start + timedelta(minutes=r.duration_minutes)
        window = windows.get((r.technician_id, start.weekday()))
        assert window is not None, f"job {r.number} is on a day its technician doesn't work"
        assert window[0] <= start.time() and end.time() <= window[1], f"job {r.number} is outside working hours"
        assert r.created_at <= NOW, f"job {r.number} was booked in the future"
        if r.status == JobStatus.CANCELLED:
            continue
        if r.technician_id in last_end:
            assert start >= last_end[r.technician_id], f"technician {r.technician_id} double-booked at job {r.number}"
        last_end[r.technician_id] = end
    today = NOW.astimezone(CHICAGO).date()
    todays = [r for r in rows if r.scheduled_start.astimezone(CHICAGO).date() == today]
    assert len(todays) >= 4 and len({r.technician_id for r in todays}) >= 3
    assert {r.status for r in rows if r.scheduled_start > NOW} <= {JobStatus.SCHEDULED, JobStatus.ON_HOLD,
                                                                    JobStatus.CANCELLED}
    assert all(r.status in (JobStatus.COMPLETED, JobStatus.CANCELLED, JobStatus.ON_HOLD) for r in rows
               if r.scheduled_start.astimezone(CHICAGO).date() < today)


async def test_money_and_stock_are_consistent(demo: tuple[Store, DemoInfo]) -> None:
    store, info = demo
    owner = await businesses.actor_for(store, info.owner_user_id, info.business_id)
    async with store.uow(info.business_id) as uow:
        overdue = await billing.list_overdue_invoices(uow, owner)
        assert overdue and all(i.balance_cents > 0 and i.days_overdue(NOW.date()) > 0 for i in overdue)
        numbers = (await uow.session.execute(sa.select(t.invoices.c.number))).scalars().all()
        for number in numbers:
            inv = await uow.invoices.by_number(number)
            assert inv is not None and inv.lines and inv.tax_rate_bp == 825
            assert all(p.received_at <= NOW for p in inv.payments)
            if inv.status == InvoiceStatus.PAID:
                assert inv.balance_cents == 0
            elif inv.status == InvoiceStatus.PARTIALLY_PAID:
                assert inv.payments and inv.balance_cents > 0
            elif inv.status in (InvoiceStatus.SENT, InvoiceStatus.DRAFT):
                assert not inv.payments
        low = await uow.products.low_stock()
        assert len(low) >= 3 and all(p.stock_on_hand <= p.reorder_point for p in low)
        parts = await uow.products.index()
        assert all(re.fullmatch(r"[A-Z0-9-]+", row["sku"]) for row in parts)
        phones = (await uow.session.execute(sa.select(t.contact_phones.c.number))).scalars().all()
        assert phones and all(re.fullmatch(r"\+1(512|737)555\d{4}", p) for p in phones)
        assert len(set(phones)) == len(phones)
        # the story: the Johnsons' water heater is on today's board, the Henderson remodel is project 3
        johnson = await common.find_contact(uow, owner, "johnson")
        todays = [j for j in await uow.jobs.for_contact(johnson.id or 0)
                  if j.scheduled_start and j.scheduled_start.astimezone(CHICAGO).date() == NOW.date()]
        assert [j.title for j in todays] == ["Water heater replacement"]
        project = await uow.projects.by_number(3)
        assert project is not None and "Henderson" in project.name and 0 < project.spent_cents < project.budget_cents
        assert any(m.completed_at for m in project.milestones) and any(not m.completed_at for m in project.milestones)
