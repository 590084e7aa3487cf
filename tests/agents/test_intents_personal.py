"""Every personal-assistant intent of INTENTS.md, spoken as a speech recogniser writes it, through the local brain,
on a real database (SQLite and PostgreSQL): the tool and its exact arguments, the spoken reply, and exactly what
changed in the database. Critical changes are checked on the yes path and the no path; each area has a bad input.

The business is seeded by seed.py (jobs 1-5, project 1, estimates 1-3, invoices 1001-1003, the owner's phone).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from seed import OWNER_PHONE
from talk import added, asks, call, calls, changed, said, snapshot

from hero365.erp.domain.billing import EstimateStatus
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.domain.tasks import TaskKind
from hero365.voice.state import AgentKind


def utc(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def job(world, number: int):  # type: ignore[no-untyped-def]
    async with world.store.uow(world.business_id) as uow:
        return await uow.jobs.by_number(number)


# --- schedule and jobs ----------------------------------------------------------------------------------------


async def flow_schedule_and_upcoming_jobs_are_read_for_the_right_person(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:  # the owner sees everyone's jobs
        r = await session.run(user_input="what's on my schedule today")
        call(r, "get_schedule", {"date": "2026-11-23"})
        assert said(r) == ("You have 2 jobs today. 1 PM, job 2, Leaky kitchen faucet for Maria Garcia on 12 Oak St. "
                           "3 PM, job 3, Clogged drain for Bob Smith on 12 Oak St.")
        r = await session.run(user_input="what's my next appointment")  # the next one, not the day read out
        out = call(r, "get_schedule", {"date": "2026-11-23", "next_only": True})
        assert said(r) == ("Next: 1 PM, job 2, Leaky kitchen faucet for Maria Garcia on 12 Oak St. "
                           "After that, 1 more job today.")
        assert [j["number"] for j in out["jobs"]] == [2]
        r = await session.run(user_input="and my first job on wednesday")
        call(r, "get_schedule", {"date": "2026-11-25", "next_only": True})
        assert said(r).startswith("First: ") and said(r).endswith("After that, 1 more job Wednesday.")
        r = await session.run(user_input="what do i have on wednesday")
        call(r, "get_schedule", {"date": "2026-11-25"})
        assert "2 jobs Wednesday" in said(r) and "job 4, Sump pump install" in said(r) and "job 5" in said(r)
        r = await session.run(user_input="what did i have last friday")
        call(r, "get_schedule", {"date": "2026-11-20"})
        assert said(r) == "Nothing is scheduled Friday, November 20th."
        r = await session.run(user_input="what jobs do i have in the next ten days")
        out = call(r, "list_upcoming_jobs", {"days": 10})
        assert [j["number"] for j in out["jobs"]] == [2, 3, 1, 4, 5]
        assert said(r).startswith("You have 5 jobs in the next 10 days. Today at 1 PM, job 2,")
        assert "Tomorrow at 10 AM, job 1, Water heater check for Bob Johnson" in said(r)
    async with converse(actor=world.tech) as session:  # Tina sees only hers
        r = await session.run(user_input="what's next")
        call(r, "get_schedule", {"date": "2026-11-23", "next_only": True})
        assert said(r) == ("Next: 1 PM, job 2, Leaky kitchen faucet for Maria Garcia on 12 Oak St. "
                           "It's the last one today.")
        r = await session.run(user_input="what's on today")
        call(r, "get_schedule", {"date": "2026-11-23"})
        assert said(r) == "You have 1 job today. 1 PM, job 2, Leaky kitchen faucet for Maria Garcia on 12 Oak St."
        r = await session.run(user_input="any jobs coming up this week")
        out = call(r, "list_upcoming_jobs", {"days": 7})
        assert [j["number"] for j in out["jobs"]] == [2, 1, 4]
    assert changed(before, await snapshot(world.store)) == set()  # reads write nothing


async def flow_driving_a_long_list_is_cut_to_two_and_the_rest_is_texted(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse(driving=True) as session:
        r = await session.run(user_input="what jobs do i have this week")
        out = call(r, "list_upcoming_jobs", {"days": 7})
        assert out["texted"] is True
        assert said(r) == ("You have 5 jobs in the next 7 days. Today at 1 PM, job 2, Leaky kitchen faucet for Maria "
                           "Garcia on 12 Oak St. Today at 3 PM, job 3, Clogged drain for Bob Smith on 12 Oak St. "
                           "I'll text you the other 3.")
        r = await session.run(user_input="which invoices are overdue")  # two items: read, nothing texted
        assert call(r, "list_overdue_invoices", {}).get("texted") is False
    after = await snapshot(world.store)
    assert changed(before, after) == {"outbox"} and len(added(before, after, "outbox")) == 1
    async with world.store.uow(world.business_id) as uow:
        [sms] = [m for m in await uow.outbox.queued() if m.related == "assistant:list"]
    assert sms.to == OWNER_PHONE and sms.channel.value == "sms" and sms.related == "assistant:list"
    for n in (1, 2, 3, 4, 5):  # the whole list, not just the rest
        assert f"job {n}," in sms.body


async def flow_job_details_then_a_note_and_mark_it_done_follow_the_job_in_focus(world, seeded, converse) -> None:
    async with converse() as session:
        r = await session.run(user_input="tell me about the garcia job")
        call(r, "get_job_details", {"customer": "garcia"})
        assert said(r) == ("Job 2 is Leaky kitchen faucet for Maria Garcia at 12 Oak St, Austin, TX 78701 today at "
                           "1 PM. It's scheduled, with Tina Tech.")
        before = await snapshot(world.store)
        r = await session.run(user_input="add a note to it the shutoff valve is seized")
        call(r, "add_job_note", {"note": "the shutoff valve is seized"})
        assert said(r) == "Noted on job 2."
        r = await session.run(user_input="mark it done")
        call(r, "update_job_status", {"status": "completed"})
        assert said(r) == "Job 2 for Maria Garcia is now completed."
        after = await snapshot(world.store)
        assert changed(before, after) == {"jobs", "job_notes", "job_status_changes", "activity_log",
                                          "idempotency_keys"}
        r = await session.run(user_input="add a note to the johnson job needs a new anode rod")
        call(r, "add_job_note", {"customer": "johnson", "note": "needs a new anode rod"})
        assert said(r) == "Noted on job 1."
    j2, j1 = await job(world, 2), await job(world, 1)
    assert j2.status == JobStatus.COMPLETED and [n.text for n in j2.notes] == ["the shutoff valve is seized"]
    assert [(h.from_status, h.to_status) for h in j2.history][-1] == (JobStatus.SCHEDULED, JobStatus.COMPLETED)
    assert [n.text for n in j1.notes] == ["needs a new anode rod"] and j1.status == JobStatus.SCHEDULED


async def flow_a_job_number_that_does_not_exist_is_said_plainly_and_nothing_changes(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        for text, tool in (("tell me about job forty two", "get_job_details"),
                           ("mark job forty two as done", "update_job_status"),
                           ("move job forty two to friday at ten", "reschedule_job"),
                           ("add a note to job forty two the gate code is four four one", "add_job_note"),
                           ("cancel job forty two", "update_job_status")):
            r = await session.run(user_input=text)
            out = call(r, tool)
            assert out["error"] == "not_found" and said(r) == "There's no job 42.", text
        assert session.userdata.pending is None
    assert changed(before, await snapshot(world.store)) == set()


async def flow_create_job_asks_one_question_at_a_time_takes_a_correction_and_books_only_on_yes(
        world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        asks(await session.run(user_input="i need to book a job"), "Who is the job for?")
        asks(await session.run(user_input="maria garcia"), "When should I book it?")
        r = await session.run(user_input="friday at ten")
        out = call(r, "create_job", {"customer": "maria garcia", "date": "2026-11-27", "time": "10:00"})
        assert out["pending"]["action"] == "create_job"
        assert said(r) == "A new job for Maria Garcia: Service call, Friday at 10 AM with Tina Tech. Shall I go ahead?"
        r = await session.run(user_input="no, thursday")
        call(r, "create_job", {"customer": "maria garcia", "date": "2026-11-26", "time": "10:00"})
        assert "Thursday at 10 AM" in said(r) and "Shall I go ahead?" in said(r)
        assert changed(before, await snapshot(world.store)) == set()  # proposals write nothing
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Done. Job 6 is booked for Maria Garcia, Thursday at 10 AM with Tina Tech."
    after = await snapshot(world.store)
    assert changed(before, after) == {"jobs", "counters", "activity_log", "idempotency_keys"}
    assert len(added(before, after, "jobs")) == 1
    new = await job(world, 6)
    assert (new.contact_id, new.title, new.scheduled_start, new.technician_id, new.duration_minutes) == (
        seeded["Maria Garcia"], "Service call", utc(26, 16), world.tech.user_id, 60)


async def flow_create_job_no_and_bad_inputs_write_nothing(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="create a job for bob smith tomorrow at two to replace the garbage disposal")
        call(r, "create_job", {"customer": "bob smith", "date": "2026-11-24", "time": "14:00",
                               "title": "replace the garbage disposal"})
        assert said(r) == ("A new job for Bob Smith: replace the garbage disposal, tomorrow at 2 PM with Tina Tech. "
                           "Shall I go ahead?")
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        assert said(r) == "Okay, I won't do that." and session.userdata.pending is None
        r = await session.run(user_input="yes")  # nothing left to confirm
        assert calls(r) == [] and said(r) == "Okay."

        r = await session.run(user_input="book a job for mister hendrix friday at ten")  # an unknown name
        out = call(r, "create_job", {"customer": "hendrix", "date": "2026-11-27", "time": "10:00"})
        assert said(r) == "I can't find a customer named hendrix. Did you mean Linda Henderson?"
        assert out["options"] == ["Linda Henderson"]
        r = await session.run(user_input="linda henderson")  # the answer fills the same request
        call(r, "create_job", {"customer": "Linda Henderson", "date": "2026-11-27", "time": "10:00"})
        assert said(r).startswith("A new job for Linda Henderson: Service call, Friday at 10 AM")
        r = await session.run(user_input="cancel")
        call(r, "cancel_action", {})

        r = await session.run(user_input="book a job for maria garcia last friday at ten")  # a past date
        call(r, "create_job", {"customer": "maria garcia", "date": "2026-11-20", "time": "10:00"})
        assert said(r) == "That time is in the past."
        r = await session.run(user_input="book a job for maria garcia on wednesday at nine")  # everyone is busy
        call(r, "create_job", {"customer": "maria garcia", "date": "2026-11-25", "time": "09:00"})
        assert said(r) == "No technician is free at that time."
        assert session.userdata.pending is None
    assert changed(before, await snapshot(world.store)) == set()


async def flow_cancelling_a_job_waits_for_yes_other_statuses_happen_at_once(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="cancel job four")
        call(r, "update_job_status", {"job": 4, "status": "cancelled"})
        assert said(r) == "Cancel job 4 for Bobby Smithers. Shall I go ahead?"
        r = await session.run(user_input="no don't")
        call(r, "cancel_action", {})
        assert changed(before, await snapshot(world.store)) == set()
        assert (await job(world, 4)).status == JobStatus.SCHEDULED
        r = await session.run(user_input="cancel job four")
        call(r, "update_job_status", {"job": 4, "status": "cancelled"})
        r = await session.run(user_input="yes go ahead")
        call(r, "confirm_action", {})
        assert said(r) == "Job 4 for Bobby Smithers is now cancelled."
        r = await session.run(user_input="mark job five")  # a status still to come, not "tell me about job 5"
        asks(r, "What status should it have?")
        r = await session.run(user_input="on hold")
        call(r, "update_job_status", {"job": 5, "status": "on_hold"})
        assert said(r) == "Job 5 for Linda Henderson is now on hold."
        r = await session.run(user_input="i'm starting job two")
        call(r, "update_job_status", {"job": 2, "status": "in_progress"})
        assert said(r) == "Job 2 for Maria Garcia is now in progress."
    assert [(await job(world, n)).status for n in (4, 5, 2)] == [JobStatus.CANCELLED, JobStatus.ON_HOLD,
                                                               JobStatus.IN_PROGRESS]
    assert changed(before, await snapshot(world.store)) == {"jobs", "job_status_changes", "activity_log",
                                                            "idempotency_keys"}


async def flow_a_technician_cannot_touch_another_technicians_job(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse(actor=world.tech) as session:  # Tina; job 3 is Tom's
        for text, tool in (("mark job three as done", "update_job_status"),
                           ("move job three to friday at two", "reschedule_job"),
                           ("add a note to job three the customer called", "add_job_note"),
                           ("cancel job three", "update_job_status"),
                           ("tell me about job three", "get_job_details")):
            r = await session.run(user_input=text)
            out = call(r, tool)
            assert out["error"] == "permission_denied" and said(r) == "Job 3 isn't assigned to you.", text
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="mark job two as done")  # her own job: fine
        call(r, "update_job_status", {"job": 2, "status": "completed"})
        assert said(r) == "Job 2 for Maria Garcia is now completed."
    assert (await job(world, 3)).status == JobStatus.SCHEDULED and not (await job(world, 3)).notes
    assert (await job(world, 2)).status == JobStatus.COMPLETED


async def flow_reschedule_job_moves_only_on_yes_and_refuses_busy_or_past_times(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="move job two to wednesday at nine")  # Tina is on job 4 then
        call(r, "reschedule_job", {"job": 2, "date": "2026-11-25", "time": "09:00"})
        assert said(r) == "Tina Tech is already booked on job 4 at that time."
        r = await session.run(user_input="move job two to last monday")
        call(r, "reschedule_job", {"job": 2, "date": "2026-11-16"})
        assert said(r) == "That time has already passed."
        r = await session.run(user_input="reschedule the johnson job to thursday at eleven")
        call(r, "reschedule_job", {"customer": "johnson", "date": "2026-11-26", "time": "11:00"})
        assert said(r) == "Move job 1 for Bob Johnson to Thursday at 11 AM. Shall I go ahead?"
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="move job four to friday at two")
        call(r, "reschedule_job", {"job": 4, "date": "2026-11-27", "time": "14:00"})
        assert said(r) == "Move job 4 for Bobby Smithers to Friday at 2 PM. Shall I go ahead?"
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Job 4 for Bobby Smithers is now Friday at 2 PM."
    assert (await job(world, 4)).scheduled_start == utc(27, 20)
    assert (await job(world, 1)).scheduled_start == utc(24, 16)
    assert (await job(world, 2)).scheduled_start == utc(23, 19)
    assert changed(before, await snapshot(world.store)) == {"jobs", "activity_log", "idempotency_keys"}


# --- projects -------------------------------------------------------------------------------------------------


async def flow_project_status_progress_and_a_milestone(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="how's the henderson project going")
        call(r, "get_project_status", {"customer": "henderson"})
        assert said(r) == ("Project 1, Bathroom remodel, is 40 percent complete. Next milestone: Tile work, due "
                           "Friday, December 4th. 7,500 dollars spent of the 18,000 dollars budgeted.")
        r = await session.run(user_input="what's the status of project nine")
        call(r, "get_project_status", {"project": 9})
        assert said(r) == "There's no project 9."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="set project one to a hundred and twenty percent")
        call(r, "update_project_progress", {"project": 1, "percent": 120})
        assert said(r) == "Progress must be between 0 and 100 percent, not 120."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="set it to seventy five percent")  # "it": the project in focus
        call(r, "update_project_progress", {"percent": 75})
        assert said(r) == "Project 1, Bathroom remodel, is now 75 percent done."
        r = await session.run(user_input="add a milestone final inspection due december tenth")
        call(r, "create_project_milestone", {"title": "final inspection", "date": "2026-12-10"})
        assert said(r) == "Added the milestone final inspection, due Thursday, December 10th."
    async with world.store.uow(world.business_id) as uow:
        project = await uow.projects.by_number(1)
    assert project.percent_complete == 75
    assert [(m.title, m.due_date) for m in project.milestones] == [
        ("Demolition", None), ("Tile work", date(2026, 12, 4)), ("final inspection", date(2026, 12, 10))]
    assert changed(before, await snapshot(world.store)) == {"projects", "milestones", "activity_log",
                                                            "idempotency_keys"}


# --- invoices and payments ------------------------------------------------------------------------------------


async def flow_create_invoice_on_yes_not_on_no_and_never_twice_for_a_job(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="invoice maria garcia four hundred fifty dollars")
        call(r, "create_invoice", {"customer": "maria garcia", "amount": 450})
        assert "Maria Garcia" in said(r) and "487 dollars and 13 cents" in said(r)
        r = await session.run(user_input="no, four hundred")  # a correction re-proposes
        call(r, "create_invoice", {"customer": "maria garcia", "amount": 400})
        assert said(r) == ("An invoice for Maria Garcia, Leaky kitchen faucet, 433 dollars including 33 dollars tax. "
                           "Shall I go ahead?")
        r = await session.run(user_input="cancel")
        call(r, "cancel_action", {})
        r = await session.run(user_input="invoice job one")  # job 1 has invoice 1001 already
        call(r, "create_invoice", {"job": 1})
        assert said(r) == "Job 1 already has invoice 1001."
        r = await session.run(user_input="create an invoice for zed zebra for two hundred dollars")
        call(r, "create_invoice", {"customer": "zed zebra", "amount": 200})
        assert said(r) == "I can't find a customer named zed zebra."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="invoice job four for three hundred twenty dollars")
        call(r, "create_invoice", {"job": 4, "amount": 320})
        r = await session.run(user_input="what's on my schedule today")  # another request before the yes ...
        call(r, "get_schedule", {"date": "2026-11-23"})
        r = await session.run(user_input="yes")  # ... so this yes answers nothing, and says so
        assert calls(r) == [] and session.userdata.pending is None
        assert said(r) == ("I set that change aside when we moved on, so nothing was done. Tell me again if you "
                           "still want it.")
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="invoice job four for three hundred twenty dollars")
        call(r, "create_invoice", {"job": 4, "amount": 320})
        assert said(r) == ("An invoice for Bobby Smithers, Sump pump install, 346 dollars and 40 cents including "
                           "26 dollars and 40 cents tax. Shall I go ahead?")
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == ("Invoice 1004 for Bobby Smithers is created: 346 dollars and 40 cents including 26 dollars "
                           "and 40 cents tax.")
    async with world.store.uow(world.business_id) as uow:
        inv = await uow.invoices.by_number(1004)
        assert inv.total_cents == 34640 and inv.contact_id == seeded["Bobby Smithers"]
        assert inv.job_id == (await uow.jobs.by_number(4)).id and inv.status.value == "draft"
        assert await uow.invoices.for_contact(seeded["Maria Garcia"]) and len(
            await uow.invoices.for_contact(seeded["Maria Garcia"])) == 1  # only the seeded 1003
    assert changed(before, await snapshot(world.store)) == {"invoices", "invoice_lines", "counters", "activity_log",
                                                            "idempotency_keys"}


async def flow_billing_reads_invoice_status_overdue_and_pending_estimates(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="what's the status of invoice ten oh one")
        call(r, "get_invoice_status", {"invoice": 1001})
        assert said(r) == ("Invoice 1001 for Bob Johnson is overdue by 10 days: 278 dollars and 88 cents is still "
                           "owed, 100 dollars paid so far.")
        r = await session.run(user_input="did maria garcia pay her invoice")
        call(r, "get_invoice_status", {"customer": "maria garcia"})
        assert said(r) == ("Invoice 1003 for Maria Garcia: 270 dollars and 63 cents is still owed, due Wednesday, "
                           "December 23rd.")
        r = await session.run(user_input="what's the status of invoice nine nine nine nine")
        call(r, "get_invoice_status", {"invoice": 9999})
        assert said(r) == "There's no invoice 9999."
        r = await session.run(user_input="which invoices are overdue")
        call(r, "list_overdue_invoices", {})
        assert said(r) == ("2 invoices are overdue, 483 dollars and 47 cents in all. Bob Johnson owes 278 dollars and "
                           "88 cents on invoice 1001, 10 days late. Bob Smith owes 204 dollars and 59 cents on "
                           "invoice 1002, 5 days late.")
        r = await session.run(user_input="which estimates are still pending")
        call(r, "list_pending_estimates", {})
        assert said(r) == ("2 estimates are pending. Estimate 1 for Bob Smith, New AC unit, 5,196 dollars, not sent "
                           "yet. Estimate 2 for Maria Garcia, Tankless water heater, 2,598 dollars, sent.")
    assert changed(before, await snapshot(world.store)) == set()


async def flow_send_invoice_reminder_queues_a_text_on_yes_only(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="send a payment reminder to maria garcia")
        call(r, "send_invoice_reminder", {"customer": "maria garcia"})
        assert said(r) == ("Send Maria Garcia a reminder about invoice 1003, 270 dollars and 63 cents owed. "
                           "Shall I go ahead?")
        r = await session.run(user_input="cancel that")
        call(r, "cancel_action", {})
        r = await session.run(user_input="remind dave patel about his invoice")
        call(r, "send_invoice_reminder", {"customer": "dave patel"})
        assert said(r) == "There's no invoice for Dave Patel."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="send a reminder to bob smith about his invoice")
        call(r, "send_invoice_reminder", {"customer": "bob smith"})
        assert said(r) == ("Send Bob Smith a reminder about invoice 1002, 204 dollars and 59 cents owed. "
                           "Shall I go ahead?")
        r = await session.run(user_input="yes please")
        call(r, "confirm_action", {})
        assert said(r) == "Reminder queued: a text to Bob Smith about invoice 1002."
    after = await snapshot(world.store)
    assert changed(before, after) == {"outbox", "interactions", "invoice_reminders", "activity_log",
                                      "idempotency_keys"}
    assert len(added(before, after, "outbox")) == 1
    async with world.store.uow(world.business_id) as uow:
        invoice = await uow.invoices.by_number(1002)
        [sms] = [m for m in await uow.outbox.queued() if m.related == f"invoice:{invoice.id}" and "Reminder" in m.body]
        assert sms.to == "+15125550103" and "Reminder: invoice 1002 has $204.59 due since" in sms.body
        assert len((await uow.invoices.by_number(1002)).reminders) == 1


async def flow_record_payment_on_yes_refuses_overpayment_and_no_writes_nothing(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="bob johnson paid five hundred dollars")
        out = call(r, "record_payment", {"customer": "bob johnson", "amount": 500})
        assert out["error"] == "invalid_input" and "more than invoice 1001's balance" in said(r)
        assert "278 dollars and 88 cents" in said(r)
        r = await session.run(user_input="record a payment on invoice ten oh three")  # the whole balance
        call(r, "record_payment", {"invoice": 1003})
        assert said(r) == "Record 270 dollars and 63 cents from Maria Garcia on invoice 1003. Shall I go ahead?"
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="record a payment of one hundred dollars from bob johnson")
        call(r, "record_payment", {"customer": "bob johnson", "amount": 100})
        assert said(r) == "Record 100 dollars from Bob Johnson on invoice 1001. Shall I go ahead?"
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Recorded 100 dollars on invoice 1001. 178 dollars and 88 cents is still owed."
    async with world.store.uow(world.business_id) as uow:
        inv = await uow.invoices.by_number(1001)
        assert [p.amount_cents for p in inv.payments] == [10000, 10000] and inv.balance_cents == 17888
        assert (await uow.invoices.by_number(1003)).payments == []
    after = await snapshot(world.store)
    assert changed(before, after) == {"payments", "activity_log", "idempotency_keys"}
    assert len(added(before, after, "payments")) == 1


# --- estimates ------------------------------------------------------------------------------------------------


async def flow_create_estimate_on_yes_not_on_no_and_unknown_customers_are_asked_about(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="write up a quote for linda henderson for a new vanity")
        call(r, "create_estimate", {"customer": "linda henderson", "title": "a new vanity"})
        assert said(r) == "An estimate for Linda Henderson: a new vanity, with no amount yet. Shall I go ahead?"
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        r = await session.run(user_input="create an estimate for zed zebra for a new boiler")
        call(r, "create_estimate", {"customer": "zed zebra", "title": "a new boiler"})
        assert said(r) == "I can't find a customer named zed zebra."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="create an estimate for dave patel for a new water softener eighteen "
                                         "hundred dollars")
        call(r, "create_estimate", {"customer": "dave patel", "title": "a new water softener", "amount": 1800})
        assert said(r) == ("An estimate for Dave Patel: a new water softener, 1,948 dollars and 50 cents. "
                           "Shall I go ahead?")
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Estimate 4 for Dave Patel is saved as a draft, 1,948 dollars and 50 cents."
    async with world.store.uow(world.business_id) as uow:
        [est] = await uow.estimates.for_contact(seeded["Dave Patel"])
        assert (est.number, est.status, est.total_cents, len(est.lines)) == (4, EstimateStatus.DRAFT, 194850, 1)
        assert await uow.estimates.for_contact(seeded["Linda Henderson"]) == []
    assert changed(before, await snapshot(world.store)) == {"estimates", "estimate_lines", "counters",
                                                            "activity_log", "idempotency_keys"}


async def flow_send_estimate_and_convert_it_once(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="send estimate one")
        call(r, "send_estimate", {"estimate": 1})
        assert said(r) == "Send estimate 1 to Bob Smith, 5,196 dollars. Shall I go ahead?"
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        r = await session.run(user_input="send estimate three")  # already accepted
        call(r, "send_estimate", {"estimate": 3})
        assert said(r) == "Estimate 3 is accepted; it can't be sent."
        r = await session.run(user_input="turn maria garcia's quote into an invoice")
        call(r, "convert_estimate_to_invoice", {"customer": "maria garcia"})
        assert said(r) == "Turn estimate 2 for Maria Garcia into an invoice for 2,598 dollars. Shall I go ahead?"
        r = await session.run(user_input="nope")
        call(r, "cancel_action", {})
        assert changed(before, await snapshot(world.store)) == set()

        r = await session.run(user_input="send estimate one")
        call(r, "send_estimate", {"estimate": 1})
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Estimate 1 is on its way to Bob Smith."
        r = await session.run(user_input="convert estimate three to an invoice")
        call(r, "convert_estimate_to_invoice", {"estimate": 3})
        assert said(r) == "Turn estimate 3 for Bob Johnson into an invoice for 1,299 dollars. Shall I go ahead?"
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Estimate 3 is now invoice 1004, 1,299 dollars."
        mid = await snapshot(world.store)
        r = await session.run(user_input="convert estimate three to an invoice")  # a second time
        out = call(r, "convert_estimate_to_invoice", {"estimate": 3})
        assert out["error"] == "conflict" and said(r) == "Estimate 3 was already turned into an invoice."
        assert session.userdata.pending is None
        assert changed(mid, await snapshot(world.store)) == set()
    async with world.store.uow(world.business_id) as uow:
        sent, converted = await uow.estimates.by_number(1), await uow.estimates.by_number(3)
        invoice = await uow.invoices.by_number(1004)
        [email] = [m for m in await uow.outbox.queued() if m.related == f"estimate:{sent.id}"]
        assert (await uow.estimates.by_number(2)).invoice_id is None
    assert sent.status == EstimateStatus.SENT and email.to == "+15125550103"
    assert email.body == "Your estimate 1 for New AC unit: $5,196, valid until December 23."
    assert converted.invoice_id == invoice.id and invoice.estimate_id == converted.id
    assert invoice.total_cents == 129900 and [ln.description for ln in invoice.lines] == ["Water heater replacement"]


# --- contacts -------------------------------------------------------------------------------------------------


async def flow_contacts_info_new_contact_note_and_follow_up(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="what's bob johnson's address")
        call(r, "get_contact_info", {"customer": "bob johnson", "detail": "address"})
        assert said(r) == "Bob Johnson is at 12 Oak St, Austin, TX 78701."
        r = await session.run(user_input="look up bob johnson")
        call(r, "get_contact_info", {"customer": "bob johnson"})
        assert said(r) == ("Bob Johnson, phone 512 555 0101, at 12 Oak St, Austin, TX 78701. 1 open job: job 1, "
                           "Water heater check. They owe 278 dollars and 88 cents.")
        r = await session.run(user_input="what's the number for zed zebra")
        call(r, "get_contact_info", {"customer": "zed zebra", "detail": "phone"})
        assert said(r) == "I can't find a customer named zed zebra."
        r = await session.run(user_input="remind me to follow up with bob smith yesterday")
        call(r, "schedule_follow_up", {"customer": "bob smith", "date": "2026-11-22"})
        assert said(r) == "That time has already passed."
        assert changed(before, await snapshot(world.store)) == set()

        r = await session.run(user_input="add a new contact called sam wilson phone five one two five five five "
                                         "zero one nine eight")
        call(r, "create_contact", {"customer": "sam wilson", "phone": "5125550198"})
        assert said(r) == "Added Sam Wilson with phone 512 555 0198."
        r = await session.run(user_input="what's sam wilson's number")
        call(r, "get_contact_info", {"customer": "sam wilson", "detail": "phone"})
        assert said(r) == "Sam Wilson's phone is 512 555 0198."
        r = await session.run(user_input="where does sam wilson live")
        call(r, "get_contact_info", {"customer": "sam wilson", "detail": "address"})
        assert said(r) == "There's no address on file for Sam Wilson."
        r = await session.run(user_input="add a note to maria garcia's file she prefers morning visits")
        call(r, "add_contact_note", {"customer": "maria garcia", "note": "she prefers morning visits"})
        assert said(r) == "Noted on Maria Garcia's record."
        r = await session.run(user_input="remind me to follow up with bob smith on thursday at two")
        call(r, "schedule_follow_up", {"customer": "bob smith", "date": "2026-11-26", "time": "14:00"})
        assert said(r) == "I'll remind you to follow up with Bob Smith Thursday at 2 PM."
        asks(await session.run(user_input="schedule a follow up with linda henderson"), "When should I remind you?")
        r = await session.run(user_input="next monday")
        call(r, "schedule_follow_up", {"customer": "linda henderson", "date": "2026-11-30"})
        assert said(r) == "I'll remind you to follow up with Linda Henderson Monday, November 30th at 9 AM."
    async with world.store.uow(world.business_id) as uow:
        [sam] = await uow.contacts.search("sam wilson")
        assert sam.primary_phone == "+15125550198"
        notes = [i.summary for i in await uow.contacts.interactions(seeded["Maria Garcia"])]
        assert "she prefers morning visits" in notes
        tasks = sorted(await uow.tasks.open_for(user_id=world.owner.user_id), key=lambda t: t.due_at)
    assert [(t.kind, t.title, t.due_at) for t in tasks] == [
        (TaskKind.FOLLOW_UP, "Follow up with Bob Smith", utc(26, 20)),
        (TaskKind.FOLLOW_UP, "Follow up with Linda Henderson", utc(30, 15))]
    assert changed(before, await snapshot(world.store)) == {"contacts", "contact_phones", "interactions", "tasks",
                                                            "activity_log", "idempotency_keys"}


# --- stock ----------------------------------------------------------------------------------------------------


async def flow_check_inventory_and_reorder_on_yes_only(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="how many water heaters do we have")
        call(r, "check_inventory", {"product": "water heater"})
        assert said(r) == "40 gallon water heater: 3 in stock."
        r = await session.run(user_input="how many flux capacitors do we have")
        call(r, "check_inventory", {"product": "flux capacitor"})
        assert said(r) == "I can't find a product called flux capacitor."
        r = await session.run(user_input="reorder pex tubing")
        call(r, "reorder_product", {"product": "pex tubing"})
        assert said(r) == "Order pex tubing, quantity 500 ft, 300 dollars. Shall I go ahead?"
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="order six more water heaters")
        call(r, "reorder_product", {"product": "water heater", "quantity": 6})
        assert said(r) == "Order 40 gallon water heater, quantity 6, from Ferguson, 3,120 dollars. Shall I go ahead?"
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Purchase order 1 placed: 40 gallon water heater, quantity 6, from Ferguson."
        r = await session.run(user_input="do we have any water heaters in stock")
        call(r, "check_inventory", {"product": "water heater"})
        assert said(r) == "40 gallon water heater: 3 in stock. 6 more on order."
    async with world.store.uow(world.business_id) as uow:
        product = await uow.products.by_sku("WH-40")
        [po] = await uow.purchase_orders.open_for_product(product.id)
        assert (po.quantity, po.supplier, po.unit_cost_cents) == (6, "Ferguson", 52000)
        assert product.stock_on_hand == 3  # stock rises when the order is received, not when it is placed
        assert await uow.purchase_orders.open_for_product((await uow.products.by_sku("PT-12")).id) == []
    assert changed(before, await snapshot(world.store)) == {"purchase_orders", "counters", "activity_log",
                                                            "idempotency_keys"}


# --- reminders, directions, weather, businesses -----------------------------------------------------------------


async def flow_set_reminder_asks_when_and_refuses_the_past(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="remind me to call the supplier yesterday at noon")
        call(r, "set_reminder", {"note": "call the supplier", "date": "2026-11-22", "time": "12:00"})
        assert said(r) == "That time has already passed."
        assert changed(before, await snapshot(world.store)) == set()
        asks(await session.run(user_input="remind me to call the supplier"), "When should I remind you?")
        r = await session.run(user_input="tomorrow at seven")
        call(r, "set_reminder", {"note": "call the supplier", "date": "2026-11-24", "time": "07:00"})
        assert said(r) == "I'll remind you tomorrow at 7 AM: call the supplier."
    async with world.store.uow(world.business_id) as uow:
        [task] = await uow.tasks.open_for(user_id=world.owner.user_id)
    assert (task.kind, task.title, task.due_at, task.contact_id) == (TaskKind.REMINDER, "call the supplier",
                                                                    utc(24, 13), None)
    assert changed(before, await snapshot(world.store)) == {"tasks", "activity_log", "idempotency_keys"}


async def flow_directions_and_weather_say_plainly_they_are_not_set_up(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="give me directions to job two")
        out = call(r, "get_directions", {"job": 2})
        assert out["error"] == "not_configured"
        assert said(r) == "Directions aren't set up yet. Job 2 is at 12 Oak St, Austin, TX 78701."
        r = await session.run(user_input="what's the weather at the henderson job tomorrow")
        out = call(r, "get_weather", {"customer": "henderson", "date": "2026-11-24"})
        assert out["error"] == "not_configured"
        assert said(r) == ("Weather forecasts aren't set up yet, so I can't tell you the weather at job 5, 44 Elm St, "
                           "Austin, TX 78702.")
        r = await session.run(user_input="how do i get to job forty two")
        call(r, "get_directions", {"job": 42})
        assert said(r) == "There's no job 42."
        everything = " ".join(i.text_content or "" for i in session.history.items if i.type == "message")
    for invented in ("minutes", "miles", "degrees", "rain", "sunny", "high", "low"):
        assert invented not in everything.lower()
    assert changed(before, await snapshot(world.store)) == set()


async def flow_switch_business_to_one_the_user_belongs_to(world, seeded, converse) -> None:
    from hero365.erp.domain.tenancy import Role
    from hero365.erp.services import businesses

    acme, boss = await businesses.create_business(world.store, "Acme Heating", "America/Chicago",
                                                  owner_name="Ann Acme", owner_email="ann@acme.test")
    boss_actor = await businesses.actor_for(world.store, boss.id, acme.id)
    await businesses.add_member(world.store, boss_actor, "Olivia Owner", "owner@hero.test", Role.OFFICE)
    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="switch to zenith electric")
        call(r, "switch_business", {"business": "zenith electric"})
        assert said(r) == ("You're not a member of a business called zenith electric. Yours are: Acme Heating, "
                           "Hero Plumbing.")
        assert session.userdata.business_id == world.business_id
        r = await session.run(user_input="switch to acme heating")
        call(r, "switch_business", {"business": "acme heating"})
        assert said(r) == "You're now working in Acme Heating, as office."
        assert session.userdata.actor.business_id == acme.id and session.userdata.actor.role == Role.OFFICE
        r = await session.run(user_input="what's on my schedule today")  # Acme's day, not Hero Plumbing's
        call(r, "get_schedule", {"date": "2026-11-23"})
        assert said(r) == "Nothing is scheduled today."
        r = await session.run(user_input="switch back to hero plumbing")
        call(r, "switch_business", {"business": "hero plumbing"})
        assert said(r) == "You're now working in Hero Plumbing, as owner."
    assert changed(before, await snapshot(world.store)) == set()


# --- dialogue control -----------------------------------------------------------------------------------------


async def flow_dialogue_control_help_repeat_out_of_scope_never_mind_and_transfer(world, seeded, converse) -> None:
    from hero365.voice.brain.policy import HELP, OUT_OF_SCOPE

    before = await snapshot(world.store)
    async with converse() as session:
        r = await session.run(user_input="what can you do")
        assert calls(r) == [] and said(r) == HELP["personal"]
        r = await session.run(user_input="can you repeat that")
        assert calls(r) == [] and said(r) == HELP["personal"]
        r = await session.run(user_input="tell me a joke")
        assert calls(r) == [] and said(r) == OUT_OF_SCOPE["personal"]
        r = await session.run(user_input="no")  # nothing to say no to
        assert calls(r) == [] and said(r) == "Okay, no problem."
        asks(await session.run(user_input="i need to book a job"), "Who is the job for?")
        r = await session.run(user_input="never mind")
        assert calls(r) == [] and said(r) == "Okay, never mind."
        r = await session.run(user_input="bob smith")  # the dropped question is not answered any more
        assert [name for name, _ in calls(r)] != ["create_job"]
        r = await session.run(user_input="transfer me to sales")
        out = call(r, "transfer", {"target": "sales"})
        assert out["error"] == "invalid_input" and said(r) == "Which customer should the sales assistant talk to?"
        r = await session.run(user_input="bob smith")
        r.expect.next_event().is_function_call(name="transfer", arguments={"target": "sales", "customer": "bob smith"})
        r.expect.contains_agent_handoff()
        assert "Transferring you to the sales assistant." in said(r)
        assert session.userdata.kind == AgentKind.SALES
        assert session.userdata.actor.contact_id == seeded["Bob Smith"]
        assert session.userdata.handoff["handed_over_by"] == "Olivia Owner"
    assert changed(before, await snapshot(world.store)) == set()


# --- the tests: flows that share one seeded database, in an order where none disturbs the next -------------------


async def test_schedule_upcoming_jobs_driving_mode_and_dialogue_control(world, seeded, converse) -> None:
    await flow_schedule_and_upcoming_jobs_are_read_for_the_right_person(world, seeded, converse)
    await flow_driving_a_long_list_is_cut_to_two_and_the_rest_is_texted(world, seeded, converse)
    await flow_dialogue_control_help_repeat_out_of_scope_never_mind_and_transfer(world, seeded, converse)


async def test_job_details_notes_and_status_by_number_and_by_it(world, seeded, converse) -> None:
    await flow_a_job_number_that_does_not_exist_is_said_plainly_and_nothing_changes(world, seeded, converse)
    await flow_job_details_then_a_note_and_mark_it_done_follow_the_job_in_focus(world, seeded, converse)


async def test_create_job(world, seeded, converse) -> None:
    await flow_create_job_no_and_bad_inputs_write_nothing(world, seeded, converse)
    await flow_create_job_asks_one_question_at_a_time_takes_a_correction_and_books_only_on_yes(
        world, seeded, converse)


async def test_reschedule_and_status_changes_and_who_may_make_them(world, seeded, converse) -> None:
    await flow_reschedule_job_moves_only_on_yes_and_refuses_busy_or_past_times(world, seeded, converse)
    await flow_cancelling_a_job_waits_for_yes_other_statuses_happen_at_once(world, seeded, converse)
    await flow_a_technician_cannot_touch_another_technicians_job(world, seeded, converse)


async def test_invoices_status_reminders_payments_and_new_invoices(world, seeded, converse) -> None:
    await flow_billing_reads_invoice_status_overdue_and_pending_estimates(world, seeded, converse)
    await flow_send_invoice_reminder_queues_a_text_on_yes_only(world, seeded, converse)
    await flow_record_payment_on_yes_refuses_overpayment_and_no_writes_nothing(world, seeded, converse)
    await flow_create_invoice_on_yes_not_on_no_and_never_twice_for_a_job(world, seeded, converse)


async def test_estimates_created_sent_and_converted_once(world, seeded, converse) -> None:
    await flow_create_estimate_on_yes_not_on_no_and_unknown_customers_are_asked_about(world, seeded, converse)
    await flow_send_estimate_and_convert_it_once(world, seeded, converse)


async def test_contacts_and_stock(world, seeded, converse) -> None:
    await flow_contacts_info_new_contact_note_and_follow_up(world, seeded, converse)
    await flow_check_inventory_and_reorder_on_yes_only(world, seeded, converse)


async def test_projects_reminders_directions_weather_and_businesses(world, seeded, converse) -> None:
    await flow_project_status_progress_and_a_milestone(world, seeded, converse)
    await flow_set_reminder_asks_when_and_refuses_the_past(world, seeded, converse)
    await flow_directions_and_weather_say_plainly_they_are_not_set_up(world, seeded, converse)
    await flow_switch_business_to_one_the_user_belongs_to(world, seeded, converse)
