"""Campaign audiences resolve from the ERP as the business's days go by: jobs tomorrow, invoices N+ days overdue,
estimates sent N days ago without an answer, jobs completed yesterday, chosen contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hero365.calls.audiences import Audience, AudienceKind, resolve
from hero365.erp.domain.errors import NotFound
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.services import billing, jobs


async def _who(world, kind: AudienceKind, days: int = 7, contact_ids: list[int] | None = None) -> dict:
    async with world.store.uow(world.business_id) as uow:
        targets = await resolve(uow, Audience(kind=kind, days=days, contact_ids=contact_ids or []), world.store.clock())
    return {t.contact_id: t for t in targets}


async def test_jobs_tomorrow(world, customers, clock) -> None:
    found = await _who(world, AudienceKind.JOBS_TOMORROW)
    assert set(found) == {customers.with_job.id, customers.new_yorker.id}
    assert found[customers.with_job.id].number == "+15125550100" and found[customers.with_job.id].job_id
    clock.at += timedelta(days=1)
    assert await _who(world, AudienceKind.JOBS_TOMORROW) == {}


async def test_invoices_overdue_by_at_least_n_days(world, customers, clock) -> None:
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, job_number=customers.job_number, amount_cents=25000)
        inv = await billing.send_invoice(uow, world.owner, inv.number)
    due = inv.due_date
    clock.at += timedelta(days=(due - clock.at.date()).days + 6)
    assert await _who(world, AudienceKind.INVOICES_OVERDUE, days=7) == {}
    clock.at += timedelta(days=1)
    found = await _who(world, AudienceKind.INVOICES_OVERDUE, days=7)
    assert list(found) == [customers.with_job.id] and found[customers.with_job.id].invoice_id == inv.id


async def test_estimates_sent_n_days_ago_without_an_answer(world, customers, clock) -> None:
    mary = customers.no_relation
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, contact_id=mary.id, title="Repipe", amount_cents=90000)
        await billing.send_estimate(uow, world.owner, est.number)
    clock.at += timedelta(days=2)
    assert await _who(world, AudienceKind.ESTIMATES_UNANSWERED, days=3) == {}
    clock.at += timedelta(days=1)
    found = await _who(world, AudienceKind.ESTIMATES_UNANSWERED, days=3)
    assert list(found) == [mary.id] and found[mary.id].estimate_id == est.id


async def test_jobs_completed_yesterday(world, customers, clock) -> None:
    async with world.store.uow(world.business_id) as uow:
        for status in (JobStatus.IN_PROGRESS, JobStatus.COMPLETED):
            await jobs.update_job_status(uow, world.owner, status, customers.job_number)
    assert await _who(world, AudienceKind.JOBS_COMPLETED_YESTERDAY) == {}
    clock.at += timedelta(days=1)
    assert list(await _who(world, AudienceKind.JOBS_COMPLETED_YESTERDAY)) == [customers.with_job.id]


async def test_chosen_contacts_must_be_the_businesss(world, customers) -> None:
    found = await _who(world, AudienceKind.CONTACTS, contact_ids=[customers.no_relation.id, customers.no_relation.id])
    assert list(found) == [customers.no_relation.id]
    with pytest.raises(NotFound, match="no contact 999"):
        await _who(world, AudienceKind.CONTACTS, contact_ids=[999])
