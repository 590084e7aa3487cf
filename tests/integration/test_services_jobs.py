"""Jobs and the schedule, through the services, on SQLite and on PostgreSQL: every personal-assistant job
operation, and every way it can be asked wrongly (with nothing half-written afterwards)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from hero365.erp.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.services import businesses, jobs


async def make_job(world, contact, start, *, actor=None, minutes=60, technician_id=None, title="Fix leak"):
    async with world.store.uow(world.business_id) as uow:
        return await jobs.create_job(uow, actor or world.owner, contact.id, title, start, minutes, technician_id)


# --- create_job -----------------------------------------------------------------------------------------------

async def test_create_job_numbers_jobs_per_business_and_books_the_first_free_technician(world, people, local,
                                                                                        rows) -> None:
    first = await make_job(world, people.johnson, local(24, 9), title="  Replace   water heater ")
    second = await make_job(world, people.smith, local(24, 9))
    assert (first.number, second.number) == (1, 2)
    assert first.title == "Replace water heater"
    assert first.technician_id == world.tech.user_id and second.technician_id == world.tech2.user_id
    assert first.status == JobStatus.SCHEDULED
    assert first.address_line == "100 Main St, Austin, TX 78701"  # the customer's address, copied
    assert first.scheduled_start == local(24, 9)
    assert await rows("jobs") == 2
    assert await rows("activity_log", action="job.created") == 2


async def test_create_job_without_a_time_is_unscheduled_and_has_no_technician(world, people) -> None:
    job = await make_job(world, people.johnson, None)
    assert job.scheduled_start is None and job.technician_id is None and job.number == 1


async def test_a_technician_creates_an_unscheduled_job_that_stays_theirs(world, people) -> None:
    job = await make_job(world, people.johnson, None, actor=world.tech)
    assert job.technician_id == world.tech.user_id
    async with world.store.uow(world.business_id) as uow:
        details = await jobs.get_job_details(uow, world.tech, job.number)
    assert details["number"] == job.number


async def test_double_booking_a_technician_is_refused_and_writes_nothing(world, people, local, rows) -> None:
    booked = await make_job(world, people.johnson, local(24, 9), minutes=120, technician_id=world.tech.user_id)
    with pytest.raises(Conflict) as err:
        await make_job(world, people.smith, local(24, 10), technician_id=world.tech.user_id)
    assert err.value.message == f"Tina Tech is already booked on job {booked.number} at that time."
    assert await rows("jobs") == 1
    # the refused job took no number: the next one is 2
    assert (await make_job(world, people.smith, local(24, 11), technician_id=world.tech.user_id)).number == 2


async def test_when_every_technician_is_busy_the_job_is_refused(world, people, local, rows) -> None:
    await make_job(world, people.johnson, local(24, 9))
    await make_job(world, people.smith, local(24, 9))
    with pytest.raises(Conflict, match=r"^No technician is free at that time\.$"):
        await make_job(world, people.garcia, local(24, 9, 30))
    assert await rows("jobs") == 2


@pytest.mark.parametrize(("start", "minutes", "says"), [
    (datetime(2026, 11, 24, 9), 60, "needs a time zone"),
    (datetime(2026, 11, 20, 9, tzinfo=UTC), 60, "in the past"),
    (datetime(2026, 11, 24, 15, tzinfo=UTC), 2, "between 5 minutes and a day"),
    (None, 3000, "between 5 minutes and a day"),
])
async def test_a_job_at_an_impossible_time_is_a_clear_error_and_writes_nothing(world, people, rows, start,
                                                                               minutes, says) -> None:
    with pytest.raises(InvalidInput, match=says):
        await make_job(world, people.johnson, start, minutes=minutes)
    assert await rows("jobs") == 0 and await rows("activity_log", action="job.created") == 0


async def test_a_job_needs_a_title_and_a_real_customer(world, people, local, rows) -> None:
    with pytest.raises(InvalidInput, match="What's the job for"):
        await make_job(world, people.johnson, local(24, 9), title="   ")
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match="can't find that contact"):
            await jobs.create_job(uow, world.owner, 999_999, "Fix leak", local(24, 9))
    assert await rows("jobs") == 0


async def test_booking_a_technician_who_is_not_on_the_team_is_refused(world, people, local, rows) -> None:
    with pytest.raises(NotFound, match="isn't on the team"):
        await make_job(world, people.johnson, local(24, 9), technician_id=999_999)
    assert await rows("jobs") == 0


# --- get_schedule / list_upcoming_jobs / get_job_details ------------------------------------------------------

async def test_get_schedule_lists_a_day_in_order_and_a_technician_sees_only_their_own(world, people, local) -> None:
    late = await make_job(world, people.johnson, local(23, 14), technician_id=world.tech.user_id)
    early = await make_job(world, people.smith, local(23, 9), technician_id=world.tech2.user_id)
    await make_job(world, people.garcia, local(24, 9))  # tomorrow
    async with world.store.uow(world.business_id) as uow:
        everyone = await jobs.get_schedule(uow, world.owner)
        tinas = await jobs.get_schedule(uow, world.tech)
        toms_via_owner = await jobs.get_schedule(uow, world.owner, technician_id=world.tech2.user_id)
        tomorrow = await jobs.get_schedule(uow, world.owner, date(2026, 11, 24))
    assert [j["number"] for j in everyone] == [early.number, late.number]
    assert everyone[1] | {"customer": "Bob Johnson", "technician": "Tina Tech", "status": "scheduled",
                          "address": "100 Main St, Austin, TX 78701", "duration_minutes": 60} == everyone[1]
    assert datetime.fromisoformat(everyone[1]["start"]) == local(23, 14)
    assert [j["number"] for j in tinas] == [late.number]
    assert [j["number"] for j in toms_via_owner] == [early.number]
    assert [j["customer"] for j in tomorrow] == ["Carlos Garcia"]


async def test_a_technician_cannot_read_another_technicians_schedule(world, people, local) -> None:
    await make_job(world, people.smith, local(23, 9), technician_id=world.tech2.user_id)
    async with world.store.uow(world.business_id) as uow:
        assert await jobs.get_schedule(uow, world.tech, technician_id=world.tech2.user_id) == []


async def test_the_schedule_day_is_the_business_day_not_the_utc_day(world, people, local) -> None:
    evening = await make_job(world, people.johnson, local(23, 20))  # 02:00 UTC on the 24th
    async with world.store.uow(world.business_id) as uow:
        assert [j["number"] for j in await jobs.get_schedule(uow, world.owner, date(2026, 11, 23))] == [evening.number]
        assert await jobs.get_schedule(uow, world.owner, date(2026, 11, 24)) == []


async def test_list_upcoming_jobs_shows_open_jobs_from_now_for_the_next_days(world, people, local, clock) -> None:
    soon = await make_job(world, people.johnson, local(24, 9))
    cancelled = await make_job(world, people.smith, local(25, 9))
    later = await make_job(world, people.garcia, local(30, 9))  # next Monday
    far = await make_job(world, people.garcia, local(23, 9) + timedelta(days=20))
    async with world.store.uow(world.business_id) as uow:
        await jobs.update_job_status(uow, world.owner, JobStatus.CANCELLED, cancelled.number)
    async with world.store.uow(world.business_id) as uow:
        week = await jobs.list_upcoming_jobs(uow, world.owner, days=7)
        two_days = await jobs.list_upcoming_jobs(uow, world.owner, days=2)
    assert [j["number"] for j in week] == [soon.number, later.number]
    assert [j["number"] for j in two_days] == [soon.number]
    assert far.number not in [j["number"] for j in week]
    clock.at = local(24, 10)  # the job at 9 is past now
    async with world.store.uow(world.business_id) as uow:
        assert [j["number"] for j in await jobs.list_upcoming_jobs(uow, world.owner, days=7)] == [later.number]


@pytest.mark.parametrize("days", [0, -1, 91])
async def test_list_upcoming_jobs_looks_between_1_and_90_days(world, days) -> None:
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(InvalidInput, match="between 1 and 90 days"):
            await jobs.list_upcoming_jobs(uow, world.owner, days=days)


async def test_get_job_details_by_number_or_by_customer(world, people, local) -> None:
    job = await make_job(world, people.johnson, local(24, 9), title="Replace water heater")
    async with world.store.uow(world.business_id) as uow:
        await jobs.add_job_note(uow, world.owner, "Gate code 1234", job.number)
        await jobs.update_job_status(uow, world.owner, JobStatus.IN_PROGRESS, job.number)
    async with world.store.uow(world.business_id) as uow:
        by_number = await jobs.get_job_details(uow, world.owner, job.number)
        by_name = await jobs.get_job_details(uow, world.owner, customer="the Johnsons")
    assert by_number == by_name
    assert by_number["title"] == "Replace water heater" and by_number["customer"] == "Bob Johnson"
    assert by_number["status"] == "in_progress" and by_number["notes"] == ["Gate code 1234"]
    assert [(h["from"], h["to"]) for h in by_number["history"]] == [("scheduled", "in_progress")]


async def test_get_job_details_for_a_missing_job_or_without_saying_which(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match=r"^There's no job 7\.$"):
            await jobs.get_job_details(uow, world.owner, 7)
        with pytest.raises(InvalidInput, match="Job numbers start at 1"):
            await jobs.get_job_details(uow, world.owner, 0)
        with pytest.raises(InvalidInput, match="Which job"):
            await jobs.get_job_details(uow, world.owner)
        with pytest.raises(NotFound, match="There's no open job for Bob Johnson"):
            await jobs.get_job_details(uow, world.owner, customer="johnson")


async def test_a_job_number_from_another_business_is_not_found(world, people, local, rows) -> None:
    job = await make_job(world, people.johnson, local(24, 9))
    other, owner_b = await businesses.create_business(world.store, "Other Co", owner_name="Bea",
                                                      owner_email="bea@other.test")
    actor_b = await businesses.actor_for(world.store, owner_b.id, other.id)
    async with world.store.uow(other.id) as uow:
        with pytest.raises(NotFound, match=rf"^There's no job {job.number}\.$"):
            await jobs.get_job_details(uow, actor_b, job.number)
        with pytest.raises(NotFound):
            await jobs.update_job_status(uow, actor_b, JobStatus.CANCELLED, job.number)
        assert await jobs.get_schedule(uow, actor_b, date(2026, 11, 24)) == []
    async with world.store.uow(world.business_id) as uow:
        assert (await jobs.get_job_details(uow, world.owner, job.number))["status"] == "scheduled"


# --- update_job_status ------------------------------------------------------------------------------------------

async def test_update_job_status_walks_the_machine_and_records_history(world, people, local, rows) -> None:
    job = await make_job(world, people.johnson, local(23, 9), technician_id=world.tech.user_id)
    async with world.store.uow(world.business_id) as uow:
        started = await jobs.update_job_status(uow, world.tech, JobStatus.IN_PROGRESS, job.number)
        assert started.status == JobStatus.IN_PROGRESS
    async with world.store.uow(world.business_id) as uow:
        done = await jobs.update_job_status(uow, world.tech, JobStatus.COMPLETED, customer="johnson",
                                            reason="all good")
    assert done.number == job.number and done.status == JobStatus.COMPLETED
    assert await rows("job_status_changes") == 2
    assert await rows("activity_log", action="job.status") == 2


async def test_completing_a_completed_job_says_it_is_already_completed_and_changes_nothing(world, people, local,
                                                                                          rows) -> None:
    job = await make_job(world, people.johnson, local(23, 9))
    async with world.store.uow(world.business_id) as uow:
        await jobs.update_job_status(uow, world.owner, JobStatus.COMPLETED, job.number)
    with pytest.raises(IllegalTransition, match=rf"^Job {job.number} is already completed\.$"):
        async with world.store.uow(world.business_id) as uow:
            await jobs.update_job_status(uow, world.owner, JobStatus.COMPLETED, job.number)
    with pytest.raises(IllegalTransition, match="it can't be moved to in progress"):
        async with world.store.uow(world.business_id) as uow:
            await jobs.update_job_status(uow, world.owner, JobStatus.IN_PROGRESS, job.number)
    assert await rows("job_status_changes") == 1 and await rows("activity_log", action="job.status") == 1
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.jobs.by_number(job.number)).status == JobStatus.COMPLETED


async def test_a_technician_cannot_change_a_job_assigned_to_someone_else(world, people, local, rows) -> None:
    toms = await make_job(world, people.johnson, local(24, 9), technician_id=world.tech2.user_id)
    for attempt in (
        lambda uow: jobs.update_job_status(uow, world.tech, JobStatus.CANCELLED, toms.number),
        lambda uow: jobs.reschedule_job(uow, world.tech, local(25, 9), toms.number),
        lambda uow: jobs.add_job_note(uow, world.tech, "mine now", toms.number),
        lambda uow: jobs.get_job_details(uow, world.tech, toms.number),
    ):
        with pytest.raises(PermissionDenied, match=rf"^Job {toms.number} isn't assigned to you\.$"):
            async with world.store.uow(world.business_id) as uow:
                await attempt(uow)
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(toms.number)
        assert job.status == JobStatus.SCHEDULED and job.scheduled_start == local(24, 9) and job.notes == []
        with pytest.raises(NotFound, match="no open job for Bob Johnson"):  # by name: not theirs, not found
            await jobs.update_job_status(uow, world.tech, JobStatus.CANCELLED, customer="johnson")
    assert await rows("job_status_changes") == 0 and await rows("job_notes") == 0


# --- reschedule_job -----------------------------------------------------------------------------------------------

async def test_reschedule_job_moves_it_and_asks_for_a_new_confirmation(world, people, local) -> None:
    job = await make_job(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        await jobs.confirm_appointment(uow, world.owner, job.number)
    async with world.store.uow(world.business_id) as uow:
        moved = await jobs.reschedule_job(uow, world.owner, local(26, 13), customer="johnson", duration_minutes=90)
    assert moved.scheduled_start == local(26, 13) and moved.duration_minutes == 90 and moved.confirmed_at is None
    async with world.store.uow(world.business_id) as uow:
        assert [j["number"] for j in await jobs.get_schedule(uow, world.owner, date(2026, 11, 26))] == [job.number]
        assert await jobs.get_schedule(uow, world.owner, date(2026, 11, 24)) == []
        # moving it by half an hour overlaps only itself: allowed
        await jobs.reschedule_job(uow, world.owner, local(26, 13, 30), job.number)


async def test_rescheduling_onto_the_technicians_other_job_is_refused_and_nothing_moves(world, people,
                                                                                        local) -> None:
    first = await make_job(world, people.johnson, local(24, 9), technician_id=world.tech.user_id)
    second = await make_job(world, people.smith, local(24, 13), technician_id=world.tech.user_id)
    with pytest.raises(Conflict, match=rf"^Tina Tech is already booked on job {first.number} at that time\.$"):
        async with world.store.uow(world.business_id) as uow:
            await jobs.reschedule_job(uow, world.owner, local(24, 9, 30), second.number)
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.jobs.by_number(second.number)).scheduled_start == local(24, 13)


async def test_rescheduling_into_the_past_a_naive_time_or_a_closed_job_is_refused(world, people, local) -> None:
    job = await make_job(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(InvalidInput, match="already passed"):
            await jobs.reschedule_job(uow, world.owner, local(20, 9), job.number)
        with pytest.raises(InvalidInput, match="time zone"):
            await jobs.reschedule_job(uow, world.owner, datetime(2026, 11, 25, 9), job.number)
        await jobs.update_job_status(uow, world.owner, JobStatus.CANCELLED, job.number)
    with pytest.raises(IllegalTransition, match="cancelled; it can't be rescheduled"):
        async with world.store.uow(world.business_id) as uow:
            await jobs.reschedule_job(uow, world.owner, local(25, 9), job.number)
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.jobs.by_number(job.number)).scheduled_start == local(24, 9)


# --- add_job_note ------------------------------------------------------------------------------------------------

async def test_add_job_note_attaches_a_note_by_number_or_customer(world, people, local, rows) -> None:
    job = await make_job(world, people.johnson, local(24, 9), technician_id=world.tech.user_id)
    async with world.store.uow(world.business_id) as uow:
        await jobs.add_job_note(uow, world.tech, "Bring a 3/4 inch fitting", job.number)
        await jobs.add_job_note(uow, world.owner, "Customer has a dog", customer="johnson")
    async with world.store.uow(world.business_id) as uow:
        details = await jobs.get_job_details(uow, world.owner, job.number)
    assert details["notes"] == ["Bring a 3/4 inch fitting", "Customer has a dog"]
    assert await rows("job_notes") == 2


async def test_an_empty_note_is_refused_and_nothing_is_stored(world, people, local, rows) -> None:
    job = await make_job(world, people.johnson, local(24, 9))
    with pytest.raises(InvalidInput, match="The note is empty"):
        async with world.store.uow(world.business_id) as uow:
            await jobs.add_job_note(uow, world.owner, "   ", job.number)
    assert await rows("job_notes") == 0 and await rows("activity_log", action="job.note") == 0


# --- confirm_appointment (the customer keeps it) ----------------------------------------------------------------

async def test_confirm_appointment_marks_the_callers_next_job_confirmed(world, people, local, clock) -> None:
    job = await make_job(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        confirmed = await jobs.confirm_appointment(uow, world.call_agent(people.johnson.id))
    assert confirmed.number == job.number and confirmed.confirmed_at == clock.at
    async with world.store.uow(world.business_id) as uow:
        await jobs.update_job_status(uow, world.owner, JobStatus.IN_PROGRESS, job.number)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(InvalidInput, match="That appointment is in progress"):
            await jobs.confirm_appointment(uow, world.call_agent(people.johnson.id), job.number)
