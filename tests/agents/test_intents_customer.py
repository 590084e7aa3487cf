"""Every customer-side intent of INTENTS.md, and dialogue control, spoken on calls with the support and sales
agents and the receptionist, through the local brain, on a real database (SQLite and PostgreSQL).

Tools on these calls are bound to the contact on the line; each test checks the tool and its exact arguments,
the spoken reply, and exactly what changed in the database (nothing on a no, a bad input or a read).
"""

from __future__ import annotations

from datetime import UTC, datetime

from talk import asks, call, calls, changed, said, snapshot

from hero365.erp.domain.contacts import InteractionKind
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.domain.tasks import TaskKind
from hero365.voice.agents import PersonalAgent, ReceptionistAgent, SalesAgent, SupportAgent
from hero365.voice.brain.policy import HELP, INTENT_TOOL, OUT_OF_SCOPE
from hero365.voice.state import AgentKind, Purpose

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SUPPORT, SALES, RECEPTION = AgentKind.SUPPORT, AgentKind.SALES, AgentKind.RECEPTIONIST


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def greeting(session) -> str:  # type: ignore[no-untyped-def]
    return " ".join(i.text_content or "" for i in session.history.items if i.type == "message")


async def job(world, number: int):  # type: ignore[no-untyped-def]
    async with world.store.uow(world.business_id) as uow:
        return await uow.jobs.by_number(number)


async def interactions(world, contact_id: int):  # type: ignore[no-untyped-def]
    async with world.store.uow(world.business_id) as uow:
        return await uow.contacts.interactions(contact_id)


# --- the contract ---------------------------------------------------------------------------------------------

PERSONAL_INTENTS = [
    "get_schedule", "list_upcoming_jobs", "get_job_details", "create_job", "update_job_status", "reschedule_job",
    "add_job_note", "get_project_status", "update_project_progress", "create_project_milestone", "create_invoice",
    "get_invoice_status", "send_invoice_reminder", "record_payment", "list_overdue_invoices", "create_estimate",
    "send_estimate", "convert_estimate_to_invoice", "list_pending_estimates", "get_contact_info", "create_contact",
    "add_contact_note", "schedule_follow_up", "check_inventory", "reorder_product", "set_reminder", "get_directions",
    "get_weather", "switch_business",
]
#: Which customer-facing agents serve each customer intent (an inbound caller has no wrong number, and the
#: receptionist doesn't sell, so it has no "not interested"; a sales call is about an offer, not a booking).
CUSTOMER_INTENTS = {
    "confirm_appointment": {SupportAgent, ReceptionistAgent},
    "reschedule_appointment": {SupportAgent, ReceptionistAgent},
    "cancel_appointment": {SupportAgent, ReceptionistAgent},
    "book_consultation": {SupportAgent, SalesAgent, ReceptionistAgent},
    "ask_price": {SupportAgent, SalesAgent, ReceptionistAgent},
    "payment_promise": {SupportAgent, ReceptionistAgent},
    "give_feedback": {SupportAgent, SalesAgent, ReceptionistAgent},
    "call_back_later": {SupportAgent, SalesAgent, ReceptionistAgent},
    "not_interested": {SupportAgent, SalesAgent},
    "opt_out": {SupportAgent, SalesAgent, ReceptionistAgent},
    "wrong_number": {SupportAgent, SalesAgent},
}


def tool_names(agent_cls) -> set[str]:  # type: ignore[no-untyped-def]
    from hero365.voice.agents import calls as calling
    from hero365.voice.agents import personal, receptionist

    tools = {PersonalAgent: personal.PERSONAL_TOOLS, SupportAgent: calling.SUPPORT_TOOLS,
             SalesAgent: calling.SALES_TOOLS, ReceptionistAgent: receptionist.RECEPTIONIST_TOOLS}[agent_cls]
    return {t.id for t in tools}


def test_every_contract_intent_has_a_tool_on_the_right_agents() -> None:
    personal = tool_names(PersonalAgent)
    assert set(PERSONAL_INTENTS) <= personal
    for intent, agents in CUSTOMER_INTENTS.items():
        tool = INTENT_TOOL.get(intent, intent)
        for cls in (SupportAgent, SalesAgent, ReceptionistAgent):
            assert (tool in tool_names(cls)) == (cls in agents), (intent, cls.__name__)
        assert tool not in personal or tool in PERSONAL_INTENTS  # no customer-bound tool for the staff
    for cls in (PersonalAgent, SupportAgent, SalesAgent, ReceptionistAgent):  # dialogue control everywhere
        assert {INTENT_TOOL["confirm"], INTENT_TOOL["deny"], INTENT_TOOL["cancel"], "transfer"} <= tool_names(cls)


# --- appointments ---------------------------------------------------------------------------------------------


async def flow_a_reminder_call_asks_and_a_yes_confirms_the_appointment(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=seeded["Bob Johnson"], purpose=Purpose.APPOINTMENT_REMINDER) as session:
        hello = greeting(session)
        assert "calling to remind you about your upcoming appointment" in hello and "stop calling" in hello
        assert hello.endswith("Your appointment for water heater check is tomorrow at 10 AM. "
                              "Does that still work for you?")
        r = await session.run(user_input="yes")
        call(r, "confirm_appointment", {})
        assert said(r) == "Great, you're confirmed for tomorrow at 10 AM. See you then!"
    assert (await job(world, 1)).confirmed_at == NOW
    assert changed(before, await snapshot(world.store)) == {"jobs", "activity_log", "idempotency_keys"}
    async with converse(SUPPORT, contact_id=seeded["Bobby Smithers"], purpose=Purpose.APPOINTMENT_REMINDER) as s2:
        r = await s2.run(user_input="yeah we'll be home see you then")
        call(r, "confirm_appointment", {})
        assert said(r) == "Great, you're confirmed for Wednesday at 9 AM. See you then!"
    assert (await job(world, 4)).confirmed_at == NOW


async def flow_confirming_an_appointment_that_is_no_longer_open_changes_nothing(world, seeded, converse) -> None:
    from hero365.erp.services import jobs

    async with world.store.uow(world.business_id) as uow:
        await jobs.update_job_status(uow, world.owner, JobStatus.CANCELLED, seeded["henderson_job"])
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=seeded["Linda Henderson"],
                        purpose=Purpose.APPOINTMENT_REMINDER) as session:
        assert "Does that still work" not in greeting(session)  # nothing to ask about
        r = await session.run(user_input="yes i'll be there")
        out = call(r, "confirm_appointment", {})
        assert out["error"] == "not_found" and said(r) == "I don't see an upcoming appointment on your account."
    assert changed(before, await snapshot(world.store)) == set()


async def flow_reschedule_appointment_no_then_busy_and_past_times_then_yes(world, seeded, converse) -> None:
    bob = seeded["Bob Johnson"]
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=bob, purpose=Purpose.APPOINTMENT_REMINDER) as session:
        asks(await session.run(user_input="no"), "What day and time would work better for you?")
        r = await session.run(user_input="thursday at ten")
        call(r, "reschedule_appointment", {"date": "2026-11-26", "time": "10:00"})
        assert said(r) == "So I'll move your appointment to Thursday at 10 AM. Shall I go ahead?"
        r = await session.run(user_input="no")
        call(r, "cancel_action", {})
        assert said(r) == "Okay, I won't do that."
        r = await session.run(user_input="can we do wednesday at nine instead")  # both technicians are busy
        call(r, "reschedule_appointment", {"date": "2026-11-25", "time": "09:00"})
        assert said(r) == "That time isn't available. The next free time is Wednesday, November 25 at 10:00 AM."
        r = await session.run(user_input="can we move it to last friday")  # a past date is never booked
        call(r, "reschedule_appointment", {"date": "2026-11-20"})
        assert "Shall I go ahead" not in said(r) and ("passed" in said(r) or "isn't available" in said(r))
        assert session.userdata.pending is None
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="how about friday at two")
        call(r, "reschedule_appointment", {"date": "2026-11-27", "time": "14:00"})
        r = await session.run(user_input="yes that's fine")
        call(r, "confirm_action", {})
        assert said(r) == "All set: you're now booked for Friday at 2 PM."
    assert (await job(world, 1)).scheduled_start == utc(27, 20)
    assert "Rescheduled job 1 to 2026-11-27T14:00:00-06:00" in [i.summary for i in await interactions(world, bob)]
    assert changed(before, await snapshot(world.store)) == {"jobs", "interactions", "activity_log",
                                                            "idempotency_keys"}


async def flow_cancel_appointment_only_after_yes(world, seeded, converse) -> None:
    bobby = seeded["Bobby Smithers"]
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=bobby, purpose=Purpose.APPOINTMENT_REMINDER) as session:
        r = await session.run(user_input="i need to cancel my appointment")
        call(r, "cancel_appointment", {})
        assert said(r) == "You'd like to cancel your appointment Wednesday at 9 AM. Shall I go ahead?"
        r = await session.run(user_input="no wait")
        call(r, "cancel_action", {})
        assert (await job(world, 4)).status == JobStatus.SCHEDULED
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="actually we fixed it ourselves please cancel it")
        call(r, "cancel_appointment", {})
        r = await session.run(user_input="yes")
        call(r, "confirm_action", {})
        assert said(r) == "Your appointment is cancelled. Call us any time to book again."
    assert (await job(world, 4)).status == JobStatus.CANCELLED
    assert "Cancelled job 4" in [i.summary for i in await interactions(world, bobby)]
    assert changed(before, await snapshot(world.store)) == {"jobs", "job_status_changes", "interactions",
                                                            "activity_log", "idempotency_keys"}


async def flow_book_consultation_offers_free_times_books_on_yes_and_refuses_taken_or_past_times(
        world, seeded, converse) -> None:
    dave = seeded["Dave Patel"]
    before = await snapshot(world.store)
    async with converse(RECEPTION, contact_id=dave, purpose=Purpose.INBOUND) as session:
        r = await session.run(user_input="can someone come out friday to look at my furnace")
        out = call(r, "book_consultation", {"date": "2026-11-27", "service": "furnace"})
        assert said(r) == "The first free times are Friday at 8 AM, 8:30 AM or 9 AM. Which works for you?"
        assert out["slots"][0] == "2026-11-27T08:00:00-06:00"
        r = await session.run(user_input="eleven")  # the answer to "which works?"
        call(r, "book_consultation", {"date": "2026-11-27", "service": "furnace", "time": "11:00"})
        assert said(r) == "I can book a furnace visit Friday at 11 AM. Shall I go ahead?"
        r = await session.run(user_input="no thanks")
        call(r, "cancel_action", {})
        r = await session.run(user_input="can i book a visit on wednesday at nine")
        call(r, "book_consultation", {"date": "2026-11-25", "time": "09:00"})
        assert said(r) == "That time isn't available. The next free time is Wednesday, November 25 at 10:00 AM."
        r = await session.run(user_input="book an appointment for last friday at ten")
        call(r, "book_consultation", {"date": "2026-11-20", "time": "10:00"})
        assert "Shall I go ahead" not in said(r) and ("passed" in said(r) or "isn't available" in said(r))
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="i'd like to book a consultation for a water softener on friday at two")
        call(r, "book_consultation", {"service": "water softener", "date": "2026-11-27", "time": "14:00"})
        assert said(r) == "I can book a water softener visit Friday at 2 PM. Shall I go ahead?"
        r = await session.run(user_input="yes please")
        call(r, "confirm_action", {})
        assert said(r) == "You're booked for a water softener visit Friday at 2 PM."
    booked = await job(world, 6)
    assert (booked.contact_id, booked.title, booked.scheduled_start) == (dave, "Consultation: water softener",
                                                                         utc(27, 20))
    assert booked.technician_id in (world.tech.user_id, world.tech2.user_id)
    assert await job(world, 7) is None
    assert changed(before, await snapshot(world.store)) == {"jobs", "counters", "interactions", "activity_log",
                                                            "idempotency_keys"}


# --- prices, payments, feedback -------------------------------------------------------------------------------


async def flow_ask_price_reads_the_price_list_and_says_when_it_has_none(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse(RECEPTION, contact_id=seeded["Dave Patel"], purpose=Purpose.INBOUND) as session:
        r = await session.run(user_input="how much do you charge for drain cleaning")
        call(r, "ask_price", {"service": "drain cleaning"})
        assert said(r) == "Drain cleaning is 189 dollars. A technician confirms the final price on site."
        r = await session.run(user_input="how much is a new roof")
        out = call(r, "ask_price", {"service": "roof"})
        assert out["error"] == "not_found" and said(r) == "I can't find a service called roof."
    assert changed(before, await snapshot(world.store)) == set()


async def flow_payment_promise_is_noted_with_its_date_and_never_above_the_balance(world, seeded, converse) -> None:
    bob = seeded["Bob Johnson"]
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=bob, purpose=Purpose.PAYMENT_REMINDER) as session:
        assert "calling about an open balance on your account" in greeting(session)
        r = await session.run(user_input="i'll pay you nine hundred dollars on friday")
        out = call(r, "payment_promise", {"amount": 900, "date": "2026-11-27"})
        assert out["error"] == "invalid_input" and said(r) == "The balance is 278 dollars and 88 cents."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="i can pay two hundred dollars on friday")
        call(r, "payment_promise", {"amount": 200, "date": "2026-11-27"})
        assert said(r) == "Thank you. I've noted 200 dollars by Friday."
    async with converse(SUPPORT, contact_id=bob, purpose=Purpose.PAYMENT_REMINDER) as session:
        asks(await session.run(user_input="i'll pay it"), "What date can you make the payment?")
        r = await session.run(user_input="next monday")
        call(r, "payment_promise", {"date": "2026-11-30"})
        assert said(r) == "Thank you. I've noted 278 dollars and 88 cents by Monday, November 30th."
    async with world.store.uow(world.business_id) as uow:
        invoice = await uow.invoices.by_number(1001)
    assert sorted((p.promised_date.isoformat(), p.amount_cents) for p in invoice.promises) == [
        ("2026-11-27", 20000), ("2026-11-30", None)]
    assert invoice.balance_cents == 27888  # a promise is not a payment
    summaries = [i.summary for i in await interactions(world, bob)]
    assert "Promised to pay $200 by November 27" in summaries
    assert changed(before, await snapshot(world.store)) == {"payment_promises", "interactions", "activity_log",
                                                            "idempotency_keys"}


async def flow_feedback_with_a_rating_a_rating_asked_for_and_an_out_of_range_one(world, seeded, converse) -> None:
    bob, maria = seeded["Bob Johnson"], seeded["Maria Garcia"]
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=bob, purpose=Purpose.FEEDBACK) as session:
        r = await session.run(user_input="i'd rate it a nine")
        out = call(r, "give_feedback", {"rating": 9})
        assert out["error"] == "invalid_input" and said(r) == "Please give a rating from one to five."
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="i'd give you five stars the technician was great")
        call(r, "give_feedback", {"rating": 5, "note": "the technician was great"})
        assert said(r) == "Thank you, that really helps us!"
    async with converse(SUPPORT, contact_id=maria, purpose=Purpose.FEEDBACK) as session:
        asks(await session.run(user_input="i want to leave some feedback"),
             "How would you rate our work, from one to five?")
        r = await session.run(user_input="two")
        call(r, "give_feedback", {"rating": 2})
        assert said(r) == "I'm sorry to hear that; I'll make sure the owner hears about it."
    [(kind, rating, summary)] = [(i.kind, i.rating, i.summary) for i in await interactions(world, bob)
                                 if i.kind == InteractionKind.FEEDBACK]
    assert (kind, rating, summary) == (InteractionKind.FEEDBACK, 5, "Rated 5/5: the technician was great")
    assert [(i.rating, i.summary) for i in await interactions(world, maria)
            if i.kind == InteractionKind.FEEDBACK] == [(2, "Rated 2/5")]
    assert changed(before, await snapshot(world.store)) == {"interactions", "activity_log", "idempotency_keys"}


# --- how calls end --------------------------------------------------------------------------------------------


async def flow_call_back_later_not_interested_wrong_number_and_opt_out_end_the_call(world, seeded, converse) -> None:
    before = await snapshot(world.store)
    async with converse(SALES, contact_id=seeded["Bob Smith"], purpose=Purpose.ESTIMATE_FOLLOW_UP) as session:
        r = await session.run(user_input="i'm busy right now can you call me back tomorrow at three")
        call(r, "call_back_later", {"date": "2026-11-24", "time": "15:00"})
        assert said(r) == "No problem, we'll call you back tomorrow at 3 PM. Goodbye!"
        assert session.userdata.ended == "call_back_later"
    async with converse(SALES, contact_id=seeded["Maria Garcia"], purpose=Purpose.ESTIMATE_FOLLOW_UP) as session:
        r = await session.run(user_input="no thanks i'm not interested")
        call(r, "not_interested", {})
        assert said(r) == "Understood, thank you for your time. Have a good day!"
        assert session.userdata.ended == "not_interested"
    async with converse(SUPPORT, contact_id=seeded["Bobby Smithers"], purpose=Purpose.FEEDBACK) as session:
        session.userdata.handoff["called_number"] = "+15125550104"  # the dialer says which number it rang
        r = await session.run(user_input="you have the wrong number there's no bobby here")
        call(r, "wrong_number", {})
        assert said(r) == "Sorry for the trouble, I'll update our records. Goodbye!"
        assert session.userdata.ended == "wrong_number"
    async with converse(SUPPORT, contact_id=seeded["Linda Henderson"], purpose=Purpose.PAYMENT_REMINDER) as session:
        r = await session.run(user_input="please take me off your list")
        call(r, "opt_out", {})
        assert said(r) == ("Understood. I've taken your number off our call list and you won't hear from us again. "
                           "Goodbye.")
        assert session.userdata.ended == "opt_out"
    async with world.store.uow(world.business_id) as uow:
        [back] = await uow.tasks.open_for(contact_id=seeded["Bob Smith"])
        assert (back.kind, back.title, back.due_at) == (TaskKind.CALL_BACK, "Call Bob Smith back", utc(24, 21))
        bobby, linda = await uow.contacts.get(seeded["Bobby Smithers"]), await uow.contacts.get(
            seeded["Linda Henderson"])
        maria_notes = [i.summary for i in await uow.contacts.interactions(seeded["Maria Garcia"])]
        bobby_notes = [i.summary for i in await uow.contacts.interactions(seeded["Bobby Smithers"])]
    assert "Not interested" in maria_notes
    assert bobby.phones == [] and any(n.startswith("Wrong number (+15125550104)") for n in bobby_notes)
    assert linda.do_not_call and linda.dnc_source == "asked on a text call"
    assert changed(before, await snapshot(world.store)) == {"tasks", "contacts", "contact_phones", "interactions",
                                                            "activity_log", "idempotency_keys"}


# --- dialogue control -----------------------------------------------------------------------------------------


async def flow_customer_dialogue_control_help_repeat_out_of_scope_replies_and_transfers(
        world, seeded, converse) -> None:
    bob = seeded["Bob Johnson"]
    before = await snapshot(world.store)
    async with converse(SUPPORT, contact_id=bob, purpose=Purpose.PAYMENT_REMINDER) as session:
        r = await session.run(user_input="what can you do")
        assert calls(r) == [] and said(r) == HELP["customer"]
        r = await session.run(user_input="sorry say that again")
        assert calls(r) == [] and said(r) == HELP["customer"]
        r = await session.run(user_input="what's the weather like in paris")
        assert calls(r) == [] and said(r) == OUT_OF_SCOPE["customer"]
        for reply, answer in (("yes", "Great."), ("no", "Okay, no problem."), ("cancel", "Okay, no problem.")):
            r = await session.run(user_input=reply)  # nothing is waiting for an answer
            assert calls(r) == [] and said(r) == answer, reply
        assert changed(before, await snapshot(world.store)) == set()
        r = await session.run(user_input="can i talk to sales")
        r.expect.next_event().is_function_call(name="transfer", arguments={"target": "sales"})
        r.expect.contains_agent_handoff()
        assert "Transferring you to the sales assistant." in said(r)
        assert session.userdata.kind == AgentKind.SALES and session.userdata.actor.contact_id == bob
        r = await session.run(user_input="let me speak to a real person")
        out = call(r, "transfer", {"target": "human"})
        assert out["transferred"] is False and "call you back shortly" in said(r)
        assert session.userdata.ended == "transfer_requested"
    async with world.store.uow(world.business_id) as uow:
        [task] = await uow.tasks.open_for(contact_id=bob)
        [note] = [i for i in await uow.contacts.interactions(bob, limit=50) if i.summary.startswith("Asked for")]
    assert (task.kind, task.title, task.due_at) == (TaskKind.CALL_BACK, "Call Bob Johnson back (asked for a person)",
                                                    datetime(2026, 11, 23, 14, 15, tzinfo=UTC))
    assert note.summary.startswith("Asked for a person. Conversation so far:")  # for whoever calls back
    assert "user: can i talk to sales" in note.summary and "user: let me speak to a real person" in note.summary
    assert changed(before, await snapshot(world.store)) == {"tasks", "interactions", "activity_log"}


# --- the tests: flows that share one seeded database, in an order where none disturbs the next -------------------


async def test_confirm_and_cancel_appointments(world, seeded, converse) -> None:
    await flow_a_reminder_call_asks_and_a_yes_confirms_the_appointment(world, seeded, converse)
    await flow_confirming_an_appointment_that_is_no_longer_open_changes_nothing(world, seeded, converse)
    await flow_cancel_appointment_only_after_yes(world, seeded, converse)


async def test_reschedule_book_and_prices(world, seeded, converse) -> None:
    # rescheduling needs Wednesday 9 AM taken by both technicians, so it runs before anything is cancelled
    await flow_reschedule_appointment_no_then_busy_and_past_times_then_yes(world, seeded, converse)
    await flow_book_consultation_offers_free_times_books_on_yes_and_refuses_taken_or_past_times(
        world, seeded, converse)
    await flow_ask_price_reads_the_price_list_and_says_when_it_has_none(world, seeded, converse)


async def test_payments_feedback_call_endings_and_dialogue_control(world, seeded, converse) -> None:
    await flow_payment_promise_is_noted_with_its_date_and_never_above_the_balance(world, seeded, converse)
    await flow_feedback_with_a_rating_a_rating_asked_for_and_an_out_of_range_one(world, seeded, converse)
    await flow_call_back_later_not_interested_wrong_number_and_opt_out_end_the_call(world, seeded, converse)
    await flow_customer_dialogue_control_help_repeat_out_of_scope_replies_and_transfers(world, seeded, converse)
