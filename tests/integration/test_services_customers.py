"""The customer side: what a calling agent bound to one contact may do on a call, on SQLite and PostgreSQL.
Everything goes through the binding: nothing said on the call reaches another account."""

from datetime import date, datetime

import pytest

from hero365.erp.domain.contacts import ContactKind, InteractionKind, LeadStatus
from hero365.erp.domain.errors import InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.domain.tasks import TaskKind
from hero365.erp.services import billing, contacts, customers, jobs


async def appointment(world, contact, start, technician_id=None, title="Water heater service"):
    async with world.store.uow(world.business_id) as uow:
        return await jobs.create_job(uow, world.office, contact.id, title, start,
                                     technician_id=technician_id or world.tech.user_id)


async def interactions(world, contact_id):
    async with world.store.uow(world.business_id) as uow:
        return await uow.contacts.interactions(contact_id, limit=50)


async def stored_job(world, number):
    async with world.store.uow(world.business_id) as uow:
        return await uow.jobs.by_number(number)


# --- confirm / reschedule / cancel ---------------------------------------------------------------------------------

async def test_confirm_appointment_keeps_the_callers_appointment(world, people, local, clock) -> None:
    job = await appointment(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        await jobs.confirm_appointment(uow, world.call_agent(people.johnson.id))
    assert (await stored_job(world, job.number)).confirmed_at == clock.at


async def test_reschedule_appointment_moves_it_to_a_free_time_and_logs_the_call(world, people, local) -> None:
    job = await appointment(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        moved = await customers.reschedule_appointment(uow, world.call_agent(people.johnson.id), local(25, 14))
    assert moved.number == job.number and moved.scheduled_start == local(25, 14)
    assert moved.technician_id == world.tech.user_id  # the same technician, who is free then
    stored = await stored_job(world, job.number)
    assert stored.scheduled_start == local(25, 14) and stored.confirmed_at is None
    (logged,) = await interactions(world, people.johnson.id)
    assert logged.kind == InteractionKind.CALL and logged.job_id == job.id and "Rescheduled" in logged.summary


async def test_reschedule_appointment_to_a_taken_time_offers_the_next_free_time_and_moves_nothing(world, people,
                                                                                                   local) -> None:
    job = await appointment(world, people.johnson, local(24, 9))
    await appointment(world, people.smith, local(25, 14), technician_id=world.tech.user_id)
    await appointment(world, people.garcia, local(25, 14), technician_id=world.tech2.user_id)
    with pytest.raises(InvalidInput) as err:
        async with world.store.uow(world.business_id) as uow:
            await customers.reschedule_appointment(uow, world.call_agent(people.johnson.id), local(25, 14))
    assert err.value.message == ("That time isn't available. The next free time is Wednesday, November 25 "
                                 "at 3:00 PM.")
    assert datetime.fromisoformat(err.value.details["next_free"]) == local(25, 15)
    assert "Smith" not in err.value.message and "Garcia" not in err.value.message  # no other customer's job named
    assert (await stored_job(world, job.number)).scheduled_start == local(24, 9)
    assert await interactions(world, people.johnson.id) == []


async def test_reschedule_appointment_when_its_technician_is_busy_goes_to_the_free_one(world, people,
                                                                                      local) -> None:
    job = await appointment(world, people.johnson, local(24, 9), technician_id=world.tech.user_id)
    await appointment(world, people.smith, local(25, 14), technician_id=world.tech.user_id)
    async with world.store.uow(world.business_id) as uow:
        moved = await customers.reschedule_appointment(uow, world.call_agent(people.johnson.id), local(25, 14))
    assert moved.scheduled_start == local(25, 14) and moved.technician_id == world.tech2.user_id
    assert (await stored_job(world, job.number)).technician_id == world.tech2.user_id


async def test_reschedule_appointment_by_half_an_hour_overlapping_itself_is_fine(world, people, local) -> None:
    job = await appointment(world, people.johnson, local(24, 9), technician_id=world.tech.user_id)
    await appointment(world, people.smith, local(24, 9, 30), technician_id=world.tech2.user_id)
    async with world.store.uow(world.business_id) as uow:
        moved = await customers.reschedule_appointment(uow, world.call_agent(people.johnson.id), local(24, 9, 30))
    assert moved.number == job.number and moved.technician_id == world.tech.user_id


async def test_cancel_appointment_cancels_the_callers_job_and_logs_it(world, people, local, rows) -> None:
    job = await appointment(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        cancelled = await customers.cancel_appointment(uow, world.call_agent(people.johnson.id))
    assert cancelled.status == JobStatus.CANCELLED
    stored = await stored_job(world, job.number)
    assert stored.status == JobStatus.CANCELLED and stored.history[-1].reason == "cancelled by the customer"
    assert [i.summary for i in await interactions(world, people.johnson.id)] == [f"Cancelled job {job.number}"]
    with pytest.raises(NotFound, match="I don't see an upcoming appointment on your account"):
        async with world.store.uow(world.business_id) as uow:
            await customers.cancel_appointment(uow, world.call_agent(people.johnson.id))
    assert await rows("job_status_changes") == 1


# --- book_consultation ------------------------------------------------------------------------------------------

async def test_book_consultation_in_a_free_slot_creates_a_job_with_a_free_technician(world, people, local,
                                                                                     rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        job = await customers.book_consultation(uow, world.call_agent(people.smith.id), local(26, 10),
                                                "drain cleaning", 90)
    assert job.title == "Consultation: drain cleaning" and job.contact_id == people.smith.id
    assert job.scheduled_start == local(26, 10) and job.duration_minutes == 90
    assert job.technician_id in (world.tech.user_id, world.tech2.user_id)
    assert job.address_line == "7 Oak Ave, Austin, TX"
    assert await rows("jobs") == 1
    (logged,) = await interactions(world, people.smith.id)
    assert logged.summary == f"Booked Consultation: drain cleaning as job {job.number}"


async def test_book_consultation_in_a_taken_slot_is_refused_with_the_next_free_time(world, people, local,
                                                                                    rows) -> None:
    await appointment(world, people.johnson, local(24, 9), technician_id=world.tech.user_id)
    await appointment(world, people.garcia, local(24, 9), technician_id=world.tech2.user_id)
    with pytest.raises(InvalidInput) as err:
        async with world.store.uow(world.business_id) as uow:
            await customers.book_consultation(uow, world.call_agent(people.smith.id), local(24, 9, 30))
    assert err.value.message == "That time isn't available. The next free time is Tuesday, November 24 at 10:00 AM."
    assert await rows("jobs") == 2 and await rows("interactions") == 0
    async with world.store.uow(world.business_id) as uow:  # outside working hours, and at the weekend
        with pytest.raises(InvalidInput, match="next free time is Monday, November 30 at 8:00 AM"):
            await customers.book_consultation(uow, world.call_agent(people.smith.id), local(28, 10))
        with pytest.raises(InvalidInput, match="Tuesday, November 24 at 8:00 AM"):
            await customers.book_consultation(uow, world.call_agent(people.smith.id), local(23, 19))
    assert await rows("jobs") == 2


# --- feedback, call back, not interested, stop calling, wrong number -------------------------------------------

async def test_give_feedback_logs_a_rating_against_the_callers_last_job(world, people, local, rows) -> None:
    job = await appointment(world, people.johnson, local(23, 9))
    async with world.store.uow(world.business_id) as uow:
        await jobs.update_job_status(uow, world.owner, JobStatus.COMPLETED, job.number)
        await customers.give_feedback(uow, world.call_agent(people.johnson.id), 5, " Tina was great ")
    (fb,) = await interactions(world, people.johnson.id)
    assert (fb.kind, fb.rating, fb.job_id, fb.summary) == (InteractionKind.FEEDBACK, 5, job.id,
                                                          "Rated 5/5: Tina was great")
    assert await rows("activity_log", action="customer.feedback") == 1


@pytest.mark.parametrize(("rating", "note", "says"), [(None, None, "How would you rate"), (None, "  ", "How would"),
                                                      (0, "bad", "from one to five"), (7, None, "from one to five")])
async def test_feedback_without_a_rating_or_out_of_range_is_refused_and_not_logged(world, people, rows, rating,
                                                                                    note, says) -> None:
    with pytest.raises(InvalidInput, match=says):
        async with world.store.uow(world.business_id) as uow:
            await customers.give_feedback(uow, world.call_agent(people.johnson.id), rating, note)
    assert await rows("interactions") == 0


async def test_call_back_later_creates_a_call_back_task_for_the_caller(world, people, local, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        task = await customers.call_back_later(uow, world.call_agent(people.garcia.id), local(24, 17))
    assert task.kind == TaskKind.CALL_BACK and task.title == "Call Carlos Garcia back"
    assert task.contact_id == people.garcia.id and task.due_at == local(24, 17)
    with pytest.raises(InvalidInput, match="already passed"):
        async with world.store.uow(world.business_id) as uow:
            await customers.call_back_later(uow, world.call_agent(people.garcia.id), local(20, 17))
    assert await rows("tasks") == 1


async def test_not_interested_marks_a_lead_lost(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        lead = await contacts.create_contact(uow, world.office, "Lee Lead", "512 555 0188", kind=ContactKind.LEAD)
    async with world.store.uow(world.business_id) as uow:
        await customers.not_interested(uow, world.call_agent(lead.id), "too expensive")
        await customers.not_interested(uow, world.call_agent(people.smith.id))
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.contacts.get(lead.id)).lead_status == LeadStatus.LOST
        assert (await uow.contacts.get(people.smith.id)).lead_status is None  # a customer stays a customer
    assert [i.summary for i in await interactions(world, lead.id)] == ["Not interested: too expensive"]


async def test_stop_calling_puts_the_caller_on_do_not_call(world, people, clock) -> None:
    async with world.store.uow(world.business_id) as uow:
        await contacts.record_consent(uow, world.office, people.smith.id, True, "web form")
    async with world.store.uow(world.business_id) as uow:
        await customers.stop_calling(uow, world.call_agent(people.smith.id))
    async with world.store.uow(world.business_id) as uow:
        smith = await uow.contacts.get(people.smith.id)
        johnson = await uow.contacts.get(people.johnson.id)
    assert smith.do_not_call and smith.dnc_at == clock.at and smith.dnc_source == "asked on a call"
    assert not smith.marketing_consent and not johnson.do_not_call
    assert (await interactions(world, people.smith.id))[0].kind == InteractionKind.OPT_OUT


async def test_wrong_number_drops_that_number_however_it_is_written(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        await customers.wrong_number(uow, world.call_agent(people.johnson.id), "(512) 555-0100")
    async with world.store.uow(world.business_id) as uow:
        johnson = await uow.contacts.get(people.johnson.id)
        assert await contacts.find_by_phone(uow, "512-555-0100") is None
    assert johnson.phones == [] and await rows("contact_phones") == 2
    (logged,) = await interactions(world, people.johnson.id)
    assert logged.summary == "Wrong number (+15125550100): the person who answered isn't Bob Johnson"


# --- the binding: nothing reaches another account ------------------------------------------------------------------

async def test_a_calling_agent_cannot_reach_another_contacts_job(world, people, local) -> None:
    smiths = await appointment(world, people.smith, local(24, 9))
    agent = world.call_agent(people.johnson.id)
    for attempt in (lambda uow: jobs.get_job_details(uow, agent, smiths.number),
                    lambda uow: jobs.confirm_appointment(uow, agent, smiths.number),
                    lambda uow: customers.cancel_appointment(uow, agent, smiths.number),
                    lambda uow: customers.reschedule_appointment(uow, agent, local(25, 9), smiths.number),
                    lambda uow: jobs.add_job_note(uow, agent, "cancel it", smiths.number),
                    lambda uow: jobs.update_job_status(uow, agent, JobStatus.CANCELLED, smiths.number)):
        with pytest.raises(NotFound) as err:
            async with world.store.uow(world.business_id) as uow:
                await attempt(uow)
        assert err.value.message == "I can't find that appointment on your account."
    stored = await stored_job(world, smiths.number)
    assert stored.status == JobStatus.SCHEDULED and stored.scheduled_start == local(24, 9) and stored.notes == []


async def test_a_calling_agent_cannot_read_schedules_or_other_contacts(world, people, local) -> None:
    agent = world.call_agent(people.johnson.id)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound):
            await jobs.get_schedule(uow, agent)
        with pytest.raises(NotFound):
            await jobs.list_upcoming_jobs(uow, agent)
        with pytest.raises(NotFound, match="can't find that contact"):
            await contacts.get_contact_info(uow, agent, contact_id=people.smith.id)
        with pytest.raises(PermissionDenied, match="only help with your own account"):
            await contacts.get_contact_info(uow, agent, "smith")
        own = await contacts.get_contact_info(uow, agent, contact_id=people.johnson.id)
    assert own.contact.id == people.johnson.id and own.recent == []


async def test_a_calling_agent_can_only_cancel_its_own_job_not_complete_it(world, people, local) -> None:
    job = await appointment(world, people.johnson, local(24, 9))
    with pytest.raises(PermissionDenied):
        async with world.store.uow(world.business_id) as uow:
            await jobs.update_job_status(uow, world.call_agent(people.johnson.id), JobStatus.COMPLETED, job.number)
    assert (await stored_job(world, job.number)).status == JobStatus.SCHEDULED


async def test_customer_operations_need_a_caller(world, people, local) -> None:
    async with world.store.uow(world.business_id) as uow:
        for attempt in (customers.cancel_appointment(uow, world.owner),
                        customers.book_consultation(uow, world.owner, local(24, 9)),
                        customers.stop_calling(uow, world.office),
                        customers.give_feedback(uow, world.owner, 5, None)):
            with pytest.raises(InvalidInput, match="This is for a customer on a call"):
                await attempt


async def test_a_customer_promises_to_pay_their_own_invoice(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, customer="johnson", amount_cents=10000, title="Repair")
        await billing.send_invoice(uow, world.owner, inv.number)
    async with world.store.uow(world.business_id) as uow:
        promised = await billing.promise_payment(uow, world.call_agent(people.johnson.id), date(2026, 11, 30))
    assert promised.number == inv.number and promised.promises[0].promised_date == date(2026, 11, 30)


async def test_a_customer_cannot_book_or_move_to_a_time_that_has_passed(world, people, local) -> None:
    """The sentence says the time has passed, rather than offering 'the next free time' as if it were taken."""
    from datetime import timedelta

    agent = world.call_agent(people.johnson.id)
    past = world.store.clock() - timedelta(hours=1)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(InvalidInput, match="already passed"):
            await customers.book_consultation(uow, agent, past, "drain cleaning")
    job = await appointment(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(InvalidInput, match="already passed"):
            await customers.reschedule_appointment(uow, agent, past, job.number)
