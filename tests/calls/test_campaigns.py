"""Campaigns on the in-process runner: start dials everyone once (retries included), pause holds the queue,
cancel empties it, starting twice adds nobody twice, refusals are skipped with their reason."""

from __future__ import annotations

import pytest
from calls_helpers import Recorded, SaysOutcomes

from hero365.calls import repo
from hero365.calls.audiences import Audience, AudienceKind
from hero365.calls.campaigns import (
    campaign_status,
    cancel_campaign,
    create_campaign,
    pause_campaign,
    start_campaign,
)
from hero365.calls.dialer import Dialer
from hero365.calls.queue import LocalQueue
from hero365.erp.domain.errors import InvalidInput
from hero365.voice.state import Purpose

pytestmark = pytest.mark.timeout(60)


def runner(world, trunk, conversation=None) -> LocalQueue:
    queue = LocalQueue(concurrency=3, clock=world.store.clock)
    queue.dialer = Dialer(world.store, trunk, worker_id="local", conversation=conversation or SaysOutcomes(),
                          enqueue=queue.enqueue)
    return queue


async def _campaign(world, customers, **kw) -> int:
    ids = [customers.with_job.id, customers.new_yorker.id, customers.no_relation.id]
    return await create_campaign(world.store, world.office, name="Reminders", purpose=Purpose.APPOINTMENT_REMINDER,
                                 audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=ids), hours=(8, 21),
                                 **kw)


async def test_a_campaign_calls_everyone_allowed_once_and_retries_the_busy(world, customers, trunk) -> None:
    trunk.script["+12125550102"] = ["busy", "answer"]
    cid = await _campaign(world, customers, backoff={"busy": 0})
    queue = runner(world, trunk, SaysOutcomes("confirm_appointment"))
    started = await start_campaign(world.store, world.office, cid, queue)
    assert started.by_state == {"queued": 2, "skipped": 1}  # Mary has no job: refused and logged at start
    await queue.drain(30)
    status = await campaign_status(world.store, world.office, cid)
    assert status.state == "completed"
    assert status.by_state == {"completed": 2, "busy": 1, "skipped": 1}
    assert status.by_outcome == {"confirmed": 2, "busy": 1, "no_relationship": 1}
    assert sorted(trunk.dialed) == ["+12125550102", "+12125550102", "+15125550100"]
    with pytest.raises(InvalidInput, match="completed"):
        await start_campaign(world.store, world.office, cid, queue)


async def test_pause_holds_and_cancel_empties_the_queue(world, customers, trunk) -> None:
    cid = await _campaign(world, customers)
    queue = runner(world, trunk)
    await start_campaign(world.store, world.office, cid, Recorded())  # created and queued, not run
    await pause_campaign(world.store, world.office, cid)
    for attempt in (await campaign_status(world.store, world.office, cid)).by_state:
        assert attempt in ("queued", "skipped")
    async with world.store.uow(world.business_id) as uow:
        rows = await repo.attempts(uow, campaign_id=cid)
    for row in rows:
        await queue.enqueue(world.business_id, row["id"])  # a worker picks them up while paused
    await queue.drain(30)
    assert trunk.dialed == []
    paused = await campaign_status(world.store, world.office, cid)
    assert paused.state == "paused" and paused.by_state["queued"] == 2
    cancelled = await cancel_campaign(world.store, world.office, cid)
    assert cancelled.by_state == {"cancelled": 2, "skipped": 1}
    with pytest.raises(InvalidInput, match="cancelled"):
        await start_campaign(world.store, world.office, cid, queue)
