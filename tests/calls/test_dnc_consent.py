"""Do-not-call lists and consent refuse calls, and every decision (allowed or not) is logged for audit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from calls_helpers import give_consent

from hero365.calls import dnc, repo
from hero365.calls.campaigns import ComplianceRefused, place_call
from hero365.calls.compliance import Reason
from hero365.voice.state import Purpose


async def _decisions(world, number: str) -> list[dict]:
    async with world.store.uow(world.business_id) as uow:
        return await repo.decisions(uow, number=number)


async def test_a_number_on_the_business_list_is_refused_and_the_refusal_logged(world, customers) -> None:
    bob = customers.with_job
    await dnc.add_to_business_list(world.store, world.business_id, "(512) 555-0100", "asked by email")
    with pytest.raises(ComplianceRefused) as refused:
        await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER, contact_id=bob.id)
    assert refused.value.decision.reason == Reason.BUSINESS_DNC
    logged = await _decisions(world, "+15125550100")
    assert [(d["allowed"], d["reason"], d["stage"]) for d in logged] == [(False, "business_dnc", "request")]


async def test_the_national_list_is_imported_streaming_normalised_and_idempotent(world, customers, tmp_path: Path,
                                                                                 rows) -> None:
    listing = tmp_path / "national.txt"
    listing.write_text("# national registry extract\n2125550102\n(212) 555-0102\n+1 303 555 0199,2026-01-02\n"
                       "not a number\n512-555-0188\n")
    first = await dnc.import_national(world.store, listing)
    assert (first.lines, first.numbers, first.added, first.rejected) == (5, 4, 3, 1)
    again = await dnc.import_national(world.store, listing)
    assert again.added == 0 and await rows("national_dnc") == 3
    with pytest.raises(ComplianceRefused) as refused:
        await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                         contact_id=customers.new_yorker.id)
    assert refused.value.decision.reason == Reason.NATIONAL_DNC
    assert (await _decisions(world, "+12125550102"))[-1]["reason"] == "national_dnc"


async def test_a_sales_call_needs_written_consent(world, customers) -> None:
    bob = customers.with_job
    with pytest.raises(ComplianceRefused) as refused:
        await place_call(world.store, world.office, purpose=Purpose.ESTIMATE_FOLLOW_UP, contact_id=bob.id)
    assert refused.value.decision.reason == Reason.NO_WRITTEN_CONSENT
    await give_consent(world, bob.id)
    attempt_id = await place_call(world.store, world.office, purpose=Purpose.ESTIMATE_FOLLOW_UP, contact_id=bob.id)
    assert attempt_id > 0
    logged = await _decisions(world, "+15125550100")
    assert [(d["allowed"], d["reason"]) for d in logged] == [(False, "no_written_consent"), (True, "allowed")]


async def test_an_informational_call_needs_an_existing_relationship(world, customers) -> None:
    mary = customers.no_relation
    with pytest.raises(ComplianceRefused) as refused:
        await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER, contact_id=mary.id)
    assert refused.value.decision.reason == Reason.NO_RELATIONSHIP
    assert "no job, invoice or estimate" in refused.value.message


async def test_outside_hours_the_refusal_says_when_to_call(world, customers, clock, local) -> None:
    clock.at = local(23, 21, 30)  # 9:30 pm in Austin
    with pytest.raises(ComplianceRefused) as refused:
        await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                         contact_id=customers.with_job.id)
    d = refused.value.decision
    assert d.reason in (Reason.OUTSIDE_CALLING_HOURS, Reason.OUTSIDE_BUSINESS_HOURS)
    assert d.next_allowed_at == local(24, 8)
    assert datetime.fromisoformat(refused.value.details["next_allowed_at"]) == local(24, 8)


async def test_dialer_workers_import_the_configured_national_file_once_per_version(world, tmp_path: Path, rows,
                                                                                   redis_test_url) -> None:
    import os
    import uuid

    import sqlalchemy as sa

    from hero365.calls import tables as t
    from hero365.calls.queue import ArqQueue, _import_national_once

    listing = tmp_path / f"national-{uuid.uuid4().hex[:6]}.txt"
    listing.write_text("2125550102\n3035550199\n")
    queue = ArqQueue(redis_test_url, f"test:{uuid.uuid4().hex[:8]}")
    try:
        await _import_national_once(world.store, queue, listing)
        assert await rows("national_dnc") == 2
        async with world.store.engine.begin() as conn:
            await conn.execute(sa.delete(t.national_dnc))
        await _import_national_once(world.store, queue, listing)  # the same file: not read again
        assert await rows("national_dnc") == 0
        listing.write_text("2125550102\n3035550199\n4155550123\n")
        os.utime(listing, (1, 2_000_000_000))
        await _import_national_once(world.store, queue, listing)  # a new version: imported
        assert await rows("national_dnc") == 3
        with pytest.raises(RuntimeError, match="not dialling without the national list"):
            await _import_national_once(world.store, queue, tmp_path / "missing.txt")
    finally:
        redis = await queue._redis()
        await redis.delete(f"hero365:national_dnc:{listing.resolve()}")
        await queue.aclose()
