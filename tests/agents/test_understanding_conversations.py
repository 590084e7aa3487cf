"""What the trained understanding changes in a conversation, on a real database (SQLite and PostgreSQL).

One test for each kind of failure the model was built to fix: it asks instead of guessing, a spoken identity
answer is understood, a cancellation said in passing does not book, an opt-out in other words is honoured,
and a sentence whose words point one way and whose meaning points the other is read by its meaning.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hero365.voice.brain.understand import understand
from hero365.voice.state import AgentKind, Purpose

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def said(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(e.item.text_content or "" for e in result.events if e.type == "message")


def calls(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.item.name for e in result.events if e.type == "function_call"]


async def test_an_unsure_reading_is_asked_about_and_the_answer_is_acted_on(world, seeded, converse, rows,
                                                                          monkeypatch) -> None:
    """'bob smith tomorrow' is a name and a day: the agent asks between its two best readings instead of acting,
    and "the second one" does that one with the words first said. How sure the model is of a short sentence moves
    with training, so the ask threshold is set just above its confidence: the dialogue is tested, not the score."""
    import hero365.voice.brain.understand as understanding
    from hero365.voice.brain.registry import BY_NAME

    text = "bob smith tomorrow"
    reading = understand(text, "personal", NOW)
    if reading.ask is None or len(reading.ask) < 2:
        monkeypatch.setattr(understanding, "ASK_BELOW", min(1.0, reading.confidence + 0.01))
        monkeypatch.setattr(understanding, "OUT_OF_SCOPE_RUNNER_UP", 0.0)
    options = understand(text, "personal", NOW).ask
    assert options is not None and len(options) == 2
    first, second = (BY_NAME[o] for o in options)
    jobs_before = await rows("jobs")
    async with converse() as session:
        r = await session.run(user_input=text)
        assert calls(r) == []
        assert said(r).endswith(f"do you want to {first.gloss}, or {second.gloss}?")
        r = await session.run(user_input="the second one")
        r.expect.next_event().is_function_call(name=second.tool)
        asked_with = r.events[0].item.arguments
        assert "bob smith" in asked_with.lower() or "customer" not in second.slots, asked_with
        if "Shall I go ahead" in said(r):
            r = await session.run(user_input="no")
            r.expect.next_event().is_function_call(name="cancel_action")
    assert await rows("jobs") == jobs_before  # asked about, then declined: nothing written


async def test_who_they_are_is_not_a_yes_to_the_reminder(world, people, converse) -> None:
    """'this is she' answers who is speaking: the appointment is not confirmed, the question is asked again,
    and the yes that follows confirms it."""
    async with converse(AgentKind.SUPPORT, contact_id=people["Bob Johnson"],
                        purpose=Purpose.APPOINTMENT_REMINDER) as session:
        r = await session.run(user_input="yep, this is him")
        assert calls(r) == []
        assert said(r).startswith("Thanks.") and said(r).endswith("?")
        r = await session.run(user_input="yes")
        r.expect.next_event().is_function_call(name="confirm_appointment")
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(people["johnson_job"])
        assert job.confirmed_at is not None


async def test_it_is_fixed_cancels_and_books_nothing(world, people, converse, rows) -> None:
    jobs_before = await rows("jobs")
    async with converse(AgentKind.SUPPORT, contact_id=people["Bob Johnson"],
                        purpose=Purpose.APPOINTMENT_REMINDER) as session:
        r = await session.run(user_input="no need to send anyone now, my husband fixed it")
        r.expect.next_event().is_function_call(name="cancel_appointment")
        assert "book_consultation" not in calls(r)
        r = await session.run(user_input="yes")
        r.expect.next_event().is_function_call(name="confirm_action")
    assert await rows("jobs") == jobs_before
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(people["johnson_job"])
        assert job.status.value == "cancelled"


async def test_an_opt_out_in_other_words_is_honoured(world, people, converse) -> None:
    async with converse(AgentKind.SALES, contact_id=people["Maria Garcia"],
                        purpose=Purpose.ESTIMATE_FOLLOW_UP) as session:
        r = await session.run(user_input="yeah you can go ahead and lose my number")
        r.expect.next_event().is_function_call(name="opt_out")
        assert session.userdata.ended == "opt_out"
    async with world.store.uow(world.business_id) as uow:
        contact = await uow.contacts.get(people["Maria Garcia"])
        assert contact.do_not_call and not contact.marketing_consent


async def test_money_by_friday_is_a_promise_not_a_new_date(world, seeded, converse) -> None:
    """'I'll have the money to you Friday' names a day, but it is a payment promise, not a reschedule."""
    async with converse(AgentKind.SUPPORT, contact_id=seeded["Bob Smith"],
                        purpose=Purpose.PAYMENT_REMINDER) as session:
        r = await session.run(user_input="I'll have the money to you Friday")
        r.expect.next_event().is_function_call(name="payment_promise", arguments={"date": "2026-11-27"})
        if "Shall I go ahead" in said(r):
            r = await session.run(user_input="yes")
    async with world.store.uow(world.business_id) as uow:
        invoice = await uow.invoices.by_number(seeded.ids["smith_invoice"])
        assert [p.promised_date for p in invoice.promises] == [date(2026, 11, 27)]
        job = await uow.jobs.by_number(seeded["johnson_job"])
        assert job.scheduled_start is not None and job.scheduled_start.date() == date(2026, 11, 24)
