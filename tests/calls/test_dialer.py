"""The dialer: the attempt state machine, retries per policy, opt-out during a call, compliance at dial time,
and a dead worker's call never dialled twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from calls_helpers import PressesDigits, Recorded, SaysOutcomes

from hero365.calls import repo
from hero365.calls.attempts import AttemptState, IllegalTransition, check_transition
from hero365.calls.audiences import Audience, AudienceKind
from hero365.calls.campaigns import create_campaign, place_call, start_campaign
from hero365.calls.dialer import Dialer, LineCheck, reap_lost
from hero365.voice.state import Purpose

S = AttemptState


def dialer(world, trunk, conversation=None, queue=None) -> Dialer:
    d = Dialer(world.store, trunk, worker_id="test-worker", conversation=conversation or LineCheck(),
               enqueue=queue.enqueue if queue else None)
    if queue is not None:
        queue.dialer = d
    return d


async def attempts(world, **kw) -> list[dict]:
    async with world.store.uow(world.business_id) as uow:
        return await repo.attempts(uow, **kw)


def test_the_state_machine_refuses_illegal_jumps() -> None:
    assert check_transition("queued", "dialing") == S.DIALING
    for current, new in [("queued", "completed"), ("completed", "dialing"), ("busy", "queued"),
                         ("answered", "ringing"), ("dialing", "queued"), ("cancelled", "dialing")]:
        with pytest.raises(IllegalTransition):
            check_transition(current, new)


async def test_an_answered_call_completes_and_is_written_to_the_contact(world, customers, trunk) -> None:
    aid = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                           contact_id=customers.with_job.id)
    report = await dialer(world, trunk, SaysOutcomes("confirm_appointment")).run(world.business_id, aid)
    assert report.state == S.COMPLETED and trunk.dialed == ["+15125550100"]
    [row] = await attempts(world)
    assert (row["state"], row["outcome"], row["sip_code"]) == ("completed", "confirmed", 200)
    assert row["answered_at"] is not None and row["ended_at"] is not None
    async with world.store.uow(world.business_id) as uow:
        notes = await uow.contacts.interactions(customers.with_job.id)
        with pytest.raises(IllegalTransition):  # a finished attempt can't be moved on
            await repo.move(uow, aid, S.ANSWERED, S.COMPLETED)
    assert any(n.summary == "Automated appointment reminder call: confirmed" for n in notes)
    again = await dialer(world, trunk).run(world.business_id, aid)  # the same attempt is never dialled twice
    assert again.detail == "already handled" and len(trunk.dialed) == 1


async def test_retries_follow_the_policy_per_ending(world, customers, trunk, clock) -> None:
    bob = customers.with_job
    trunk.script["+15125550100"] = ["busy", "no_answer", "busy"]
    cid = await create_campaign(world.store, world.office, name="Reminders", purpose=Purpose.APPOINTMENT_REMINDER,
                                hours=(8, 21),
                                audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=[bob.id]),
                                max_attempts=3, backoff={"busy": 600, "no_answer": 3600})
    queue = Recorded()
    d = dialer(world, trunk, queue=None)
    await start_campaign(world.store, world.office, cid, queue)
    # run by hand, moving the clock: attempt 1 busy -> attempt 2 in 10 minutes
    [first] = await attempts(world, campaign_id=cid)
    r1 = await d.run(world.business_id, first["id"])
    assert r1.state == S.BUSY and r1.retry_at == clock.at + timedelta(seconds=600)
    early = await d.run(world.business_id, r1.retry_id)
    assert early.state is None and len(trunk.dialed) == 1  # not due yet: nobody claims it
    clock.at = r1.retry_at
    r2 = await d.run(world.business_id, r1.retry_id)
    assert r2.state == S.NO_ANSWER and r2.retry_at == clock.at + timedelta(seconds=3600)
    clock.at = r2.retry_at
    r3 = await d.run(world.business_id, r2.retry_id)
    assert r3.state == S.BUSY and r3.retry_at is None  # three attempts used
    rows = await attempts(world, campaign_id=cid)
    assert [(r["attempt_no"], r["state"], r["sip_code"]) for r in rows] == [(1, "busy", 486), (2, "no_answer", 480),
                                                                            (3, "busy", 486)]
    assert len({r["idempotency_key"] for r in rows}) == 3


async def test_pressing_9_opts_out_at_once_and_cancels_every_queued_call_to_that_number(world, customers,
                                                                                         trunk) -> None:
    bob = customers.with_job
    trunk.script["+15125550100"] = ["answer:9"]
    first = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER, contact_id=bob.id)
    second = await place_call(world.store, world.office, purpose=Purpose.PAYMENT_REMINDER, contact_id=bob.id)
    cid = await create_campaign(world.store, world.office, name="Feedback", purpose=Purpose.FEEDBACK, hours=(8, 21),

                                audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=[bob.id,
                                                                                           customers.new_yorker.id]))
    queue = Recorded()
    await start_campaign(world.store, world.office, cid, queue)
    report = await dialer(world, trunk, PressesDigits()).run(world.business_id, first)
    assert report.state == S.COMPLETED
    to_bob = {r["id"]: r for r in await attempts(world, number="+15125550100")}
    assert to_bob[first]["outcome"] == "opt_out"
    others = [r for i, r in to_bob.items() if i != first]
    assert len(others) == 2 and all(r["state"] == "cancelled" for r in others)
    assert second in to_bob
    garcia = await attempts(world, number="+12125550102")
    assert [r["state"] for r in garcia] == ["queued"]  # only that number stops
    async with world.store.uow(world.business_id) as uow:
        assert await repo.on_business_dnc(uow, "+15125550100")
        assert (await uow.contacts.get(bob.id)).do_not_call


async def test_saying_stop_calling_me_has_the_same_effect(world, customers, trunk) -> None:
    bob = customers.with_job
    first = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER, contact_id=bob.id)
    later = await place_call(world.store, world.office, purpose=Purpose.FEEDBACK, contact_id=bob.id)
    await dialer(world, trunk, SaysOutcomes("opt_out")).run(world.business_id, first)
    states = {r["id"]: (r["state"], r["outcome"]) for r in await attempts(world)}
    assert states == {first: ("completed", "opt_out"), later: ("cancelled", "cancelled")}


async def test_a_number_put_on_the_list_while_queued_is_not_dialled(world, customers, trunk) -> None:
    aid = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                           contact_id=customers.with_job.id)
    async with world.store.uow(world.business_id) as uow:  # straight into the list: the queue isn't told
        await repo.add_business_dnc(uow, "+15125550100", "office")
    report = await dialer(world, trunk).run(world.business_id, aid)
    assert report.state == S.SKIPPED and trunk.dialed == []
    async with world.store.uow(world.business_id) as uow:
        logged = await repo.decisions(uow, attempt_id=aid)
    assert [(d["stage"], d["allowed"], d["reason"]) for d in logged] == [("dial", False, "business_dnc")]


async def test_out_of_hours_at_dial_time_waits_for_the_next_allowed_time(world, customers, trunk, clock,
                                                                         local) -> None:
    aid = await place_call(world.store, world.office, purpose=Purpose.APPOINTMENT_REMINDER,
                           contact_id=customers.with_job.id)
    clock.at = local(23, 20, 59) + timedelta(hours=1)  # the queue was slow: 9:59 pm
    report = await dialer(world, trunk).run(world.business_id, aid)
    assert report.state == S.QUEUED and report.next_check_at == local(24, 8) and trunk.dialed == []
    [row] = await attempts(world)
    assert row["scheduled_for"] == local(24, 8)


async def test_a_dead_workers_call_is_failed_not_redialled_and_retried_per_policy(world, customers, trunk,
                                                                                  clock) -> None:
    cid = await create_campaign(world.store, world.office, name="R", purpose=Purpose.APPOINTMENT_REMINDER,
                                hours=(8, 21),
                                audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=[customers.with_job.id]),
                                max_attempts=2, backoff={"failed": 60})
    queue = Recorded()
    await start_campaign(world.store, world.office, cid, queue)
    [row] = await attempts(world, campaign_id=cid)
    async with world.store.uow(world.business_id) as uow:  # a worker claimed it, then died before it rang
        assert await repo.claim(uow, row["id"], "dead-worker", clock.at + timedelta(seconds=30), clock.at)
    assert await reap_lost(world.store) == []  # lease still valid
    clock.at += timedelta(seconds=31)
    [(_bid, lost, retry)] = await reap_lost(world.store)
    assert lost == row["id"] and retry is not None
    report = await dialer(world, trunk).run(world.business_id, row["id"])
    assert report.detail == "already handled" and trunk.dialed == []
    rows = {r["id"]: r for r in await attempts(world, campaign_id=cid)}
    assert (rows[lost]["state"], rows[lost]["outcome"]) == ("failed", "worker_lost")
    assert (rows[retry]["state"], rows[retry]["attempt_no"]) == ("queued", 2)
    clock.at += timedelta(seconds=60)
    assert (await dialer(world, trunk).run(world.business_id, retry)).state == S.COMPLETED
    assert trunk.dialed == ["+15125550100"]


async def test_a_dead_workers_call_whose_invite_went_out_is_never_retried(world, customers, trunk, clock) -> None:
    cid = await create_campaign(world.store, world.office, name="R", purpose=Purpose.APPOINTMENT_REMINDER,
                                hours=(8, 21), max_attempts=3, backoff={"failed": 0},  # it would retry a failure
                                audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=[customers.with_job.id]))
    await start_campaign(world.store, world.office, cid, Recorded())
    [first] = await attempts(world, campaign_id=cid)
    aid = first["id"]
    async with world.store.uow(world.business_id) as uow:  # claimed, INVITE sent, then the worker died
        assert await repo.claim(uow, aid, "dead-worker", clock.at + timedelta(seconds=30), clock.at)
        await repo.mark_invite(uow, aid, clock.at)
    clock.at += timedelta(minutes=5)
    assert await reap_lost(world.store) == [(world.business_id, aid, None)]
    [row] = await attempts(world)
    assert (row["state"], row["outcome"]) == ("failed", "worker_lost") and trunk.dialed == []
