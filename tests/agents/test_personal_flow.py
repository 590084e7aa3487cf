"""The personal assistant through the local brain, on a real database."""

from __future__ import annotations

import json

from hero365.erp.domain.jobs import JobStatus


def said(result) -> str:  # type: ignore[no-untyped-def]
    msgs = [e.item for e in result.events if e.type == "message"]
    return " ".join(m.text_content or "" for m in msgs)


async def test_schedule_for_tomorrow_reads_the_job(world, people, converse) -> None:
    async with converse() as session:
        result = await session.run(user_input="what do I have tomorrow")
        result.expect.next_event().is_function_call(name="get_schedule", arguments={"date": "2026-11-24"})
        result.expect.next_event().is_function_call_output()
        msg = result.expect.next_event().is_message(role="assistant")
        assert "Water heater check for Bob Johnson" in msg.event().item.text_content


async def test_create_job_by_slot_filling_then_confirm(world, people, converse) -> None:
    async with converse() as session:
        r1 = await session.run(user_input="create a job for maria garcia to replace the water heater")
        r1.expect.next_event().is_message(role="assistant")
        assert "When" in said(r1)
        r2 = await session.run(user_input="friday at 10")
        r2.expect.next_event().is_function_call(name="create_job")
        out = json.loads(r2.expect.next_event().is_function_call_output().event().item.output)
        assert out["pending"]["action"] == "create_job"
        assert "Maria Garcia" in said(r2) and "Shall I go ahead" in said(r2)
        async with world.store.uow(world.business_id) as uow:
            assert await uow.jobs.by_number(2) is None  # nothing written before the yes
        r3 = await session.run(user_input="yes")
        r3.expect.next_event().is_function_call(name="confirm_action")
        r3.expect.next_event().is_function_call_output()
        assert "Job 2 is booked for Maria Garcia" in said(r3)
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(2)
        assert job is not None and job.contact_id == people["Maria Garcia"]
        assert job.scheduled_start.isoformat() == "2026-11-27T16:00:00+00:00"


async def test_mark_it_done_uses_the_job_in_focus(world, people, converse) -> None:
    async with converse() as session:
        await session.run(user_input=f"tell me about job {people['johnson_job']}")
        r = await session.run(user_input="mark it done")
        r.expect.next_event().is_function_call(name="update_job_status", arguments={"status": "completed"})
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(people["johnson_job"])
        assert job.status == JobStatus.COMPLETED


async def test_a_yes_does_not_answer_how_much_so_the_question_is_asked_again(world, people, converse) -> None:
    async with converse() as session:
        r1 = await session.run(user_input="invoice the johnson job")
        assert said(r1) == "How much should the invoice be for?"
        r2 = await session.run(user_input="yes")
        assert said(r2) == "How much should the invoice be for?"
        r3 = await session.run(user_input="three fifty")
        r3.expect.next_event().is_function_call(name="create_invoice", arguments={"customer": "johnson",
                                                                                  "amount": 350})
