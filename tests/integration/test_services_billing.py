"""Invoices, payments, reminders and estimates through the services on SQLite and PostgreSQL: money in
cents, a payment never more than owed, an estimate invoiced once, reminders as queued outbox rows."""

from datetime import date
from decimal import Decimal

import pytest

from hero365.erp.domain.billing import EstimateStatus, InvoiceStatus
from hero365.erp.domain.errors import Conflict, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.messages import Channel, MessageStatus
from hero365.erp.services import billing, contacts, jobs


async def job_for(world, contact, start, technician_id=None, title="Replace water heater"):
    async with world.store.uow(world.business_id) as uow:
        return await jobs.create_job(uow, world.owner, contact.id, title, start, technician_id=technician_id)


async def sent_invoice(world, contact, amount_cents=20000, title="Service call"):
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, customer=contact.name, amount_cents=amount_cents,
                                           title=title)
        return await billing.send_invoice(uow, world.owner, inv.number)


async def outbox(world):
    async with world.store.uow(world.business_id) as uow:
        return await uow.outbox.queued()


# --- create_invoice ---------------------------------------------------------------------------------------------

async def test_create_invoice_for_a_job_with_an_amount_adds_tax_and_payment_terms(world, people, local,
                                                                                  rows) -> None:
    job = await job_for(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, job_number=job.number, amount_cents=20000)
    assert inv.number == 1001 and inv.status == InvoiceStatus.DRAFT and inv.job_id == job.id
    assert inv.contact_id == people.johnson.id and inv.title == "Replace water heater"
    assert (inv.subtotal_cents, inv.tax_cents, inv.total_cents) == (20000, 1650, 21650)
    assert inv.due_date == date(2026, 12, 23)  # today + 30 days, in the business's zone
    assert await rows("invoices") == 1 and await rows("invoice_lines") == 1
    async with world.store.uow(world.business_id) as uow:
        again = await billing.get_invoice_status(uow, world.owner, inv.number)
    assert again.total_cents == 21650 and again.lines[0].quantity == Decimal(1)


async def test_create_invoice_with_lines_keeps_fractional_quantities_exact(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, customer="smith", title="Repipe", lines=[
            ("pex tubing", Decimal("12.5"), 150), ("labour", Decimal(2), 9500)])
    async with world.store.uow(world.business_id) as uow:
        stored = await billing.get_invoice_status(uow, world.owner, inv.number)
    assert [ln.quantity for ln in stored.lines] == [Decimal("12.5"), Decimal(2)]
    assert stored.subtotal_cents == 1875 + 19000 and stored.total_cents == 20875 + 1722


async def test_create_invoice_without_an_amount_uses_the_jobs_accepted_estimate(world, people, local) -> None:
    job = await job_for(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, "johnson", "Water heater", lines=[
            ("40 gallon water heater", Decimal(1), 89900), ("install", Decimal(3), 9500)], job_number=job.number)
        await billing.decide_estimate(uow, world.owner, True, est.number)
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, job_number=job.number)
    assert [(ln.description, ln.unit_price_cents) for ln in inv.lines] == [
        ("40 gallon water heater", 89900), ("install", 9500)]
    assert inv.estimate_id == est.id and inv.total_cents == est.total_cents
    with pytest.raises(Conflict, match="already turned into an invoice"):
        async with world.store.uow(world.business_id) as uow:
            await billing.convert_estimate_to_invoice(uow, world.owner, est.number)


async def test_an_invoice_with_nothing_to_bill_is_refused_and_takes_no_number(world, people, local, rows) -> None:
    job = await job_for(world, people.johnson, local(24, 9))
    with pytest.raises(InvalidInput, match=r"^How much should the invoice be for\?$"):
        async with world.store.uow(world.business_id) as uow:
            await billing.create_invoice(uow, world.owner, job_number=job.number)
    with pytest.raises(InvalidInput, match="Which job or customer"):
        async with world.store.uow(world.business_id) as uow:
            await billing.create_invoice(uow, world.owner)
    for amount in (0, -100):
        with pytest.raises(InvalidInput, match="more than zero"):
            async with world.store.uow(world.business_id) as uow:
                await billing.create_invoice(uow, world.owner, job_number=job.number, amount_cents=amount)
    assert await rows("invoices") == 0 and await rows("invoice_lines") == 0
    async with world.store.uow(world.business_id) as uow:
        assert (await billing.create_invoice(uow, world.owner, job_number=job.number, amount_cents=1)).number == 1001


async def test_invoicing_a_job_twice_without_an_amount_names_the_existing_invoice(world, people, local,
                                                                                  rows) -> None:
    job = await job_for(world, people.johnson, local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        await billing.create_invoice(uow, world.owner, job_number=job.number, amount_cents=20000)
    with pytest.raises(InvalidInput, match=rf"^Job {job.number} already has invoice 1001\.$"):
        async with world.store.uow(world.business_id) as uow:
            await billing.create_invoice(uow, world.owner, customer="johnson")
    assert await rows("invoices") == 1


async def test_who_may_create_invoices(world, people, local, rows) -> None:
    toms = await job_for(world, people.johnson, local(24, 9), technician_id=world.tech2.user_id)
    with pytest.raises(PermissionDenied, match="isn't assigned to you"):
        async with world.store.uow(world.business_id) as uow:
            await billing.create_invoice(uow, world.tech, job_number=toms.number, amount_cents=100)
    with pytest.raises(PermissionDenied, match="can't create invoices"):
        async with world.store.uow(world.business_id) as uow:
            await billing.create_invoice(uow, world.call_agent(people.johnson.id), job_number=toms.number,
                                         amount_cents=100)
    async with world.store.uow(world.business_id) as uow:
        mine = await billing.create_invoice(uow, world.tech2, job_number=toms.number, amount_cents=100)
    assert mine.number == 1001 and await rows("invoices") == 1


# --- get_invoice_status / list_overdue_invoices ------------------------------------------------------------------

async def test_get_invoice_status_by_number_or_by_customer_and_overdue_is_derived(world, people, clock,
                                                                                  local) -> None:
    inv = await sent_invoice(world, people.smith)
    async with world.store.uow(world.business_id) as uow:
        by_name = await billing.get_invoice_status(uow, world.tech, customer="mary smith")
        by_number = await billing.get_invoice_status(uow, world.tech, inv.number)
    assert by_name.id == by_number.id == inv.id
    assert by_number.status_on(date(2026, 11, 23)) == InvoiceStatus.SENT
    assert by_number.status_on(date(2026, 12, 28)) == InvoiceStatus.OVERDUE
    assert by_number.days_overdue(date(2026, 12, 28)) == 5
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match=r"^There's no invoice 4242\.$"):
            await billing.get_invoice_status(uow, world.owner, 4242)
        with pytest.raises(NotFound, match=r"^There's no invoice for Carlos Garcia\.$"):
            await billing.get_invoice_status(uow, world.owner, customer="garcia")
        with pytest.raises(InvalidInput, match="Which invoice"):
            await billing.get_invoice_status(uow, world.owner)


async def test_list_overdue_invoices_lists_unpaid_sent_invoices_past_due(world, people, clock, local) -> None:
    owed = await sent_invoice(world, people.smith)
    paid = await sent_invoice(world, people.garcia)
    async with world.store.uow(world.business_id) as uow:
        await billing.create_invoice(uow, world.owner, customer="johnson", amount_cents=500, title="Draft")
        await billing.record_payment(uow, world.owner, number=paid.number)
        assert await billing.list_overdue_invoices(uow, world.owner) == []
    clock.at = local(date(2026, 12, 26), 9)  # three days after the due date
    async with world.store.uow(world.business_id) as uow:
        overdue = await billing.list_overdue_invoices(uow, world.owner)
        assert await billing.list_overdue_invoices(uow, world.owner, min_days=3) == []
        with pytest.raises(PermissionDenied):
            await billing.list_overdue_invoices(uow, world.call_agent(people.smith.id))
    assert [i.number for i in overdue] == [owed.number]


# --- send_invoice_reminder ---------------------------------------------------------------------------------------

async def test_send_invoice_reminder_queues_an_sms_in_the_outbox(world, people, rows) -> None:
    inv = await sent_invoice(world, people.smith)
    async with world.store.uow(world.business_id) as uow:
        reminded = await billing.send_invoice_reminder(uow, world.office, customer="smith")
    assert reminded.id == inv.id and len(reminded.reminders) == 1
    queued = [m for m in await outbox(world) if m.related == f"invoice:{inv.id}"]
    reminder = queued[-1]
    assert reminder.channel == Channel.SMS and reminder.to == "+15125550101"
    assert reminder.status == MessageStatus.QUEUED and reminder.contact_id == people.smith.id
    assert reminder.body == ("Reminder: invoice 1001 has $216.50 due on December 23. Reply or call us with "
                             "questions.")
    assert await rows("invoice_reminders") == 1 and await rows("outbox") == 2  # the invoice itself, the reminder


async def test_a_reminder_goes_by_email_when_there_is_no_phone(world, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        ann = await contacts.create_contact(uow, world.office, "Ann Lee", email="ann@lee.test")
    inv = await sent_invoice(world, ann)
    async with world.store.uow(world.business_id) as uow:
        await billing.send_invoice_reminder(uow, world.office, inv.number)
    assert {(m.channel, m.to) for m in await outbox(world)} == {(Channel.EMAIL, "ann@lee.test")}


async def test_no_reminder_for_a_draft_a_paid_invoice_or_a_contact_without_phone_or_email(world, people,
                                                                                          rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        draft = await billing.create_invoice(uow, world.owner, customer="johnson", amount_cents=500, title="x")
        nobody = await contacts.create_contact(uow, world.office, "Nemo Nobody")
        unreachable = await billing.create_invoice(uow, world.owner, customer="nemo nobody", amount_cents=500)
    paid = await sent_invoice(world, people.smith)
    async with world.store.uow(world.business_id) as uow:
        await billing.record_payment(uow, world.owner, number=paid.number)
    before = await rows("outbox")
    for number, error, says in ((draft.number, IllegalTransition, "is draft; there's nothing to remind about"),
                                (paid.number, InvalidInput, "is already paid"),
                                (unreachable.number, InvalidInput, "Nemo Nobody has no e-mail on file")):
        with pytest.raises(error, match=says):
            async with world.store.uow(world.business_id) as uow:
                await billing.send_invoice_reminder(uow, world.office, number)
    assert nobody.id is not None
    assert await rows("outbox") == before and await rows("invoice_reminders") == 0
    assert await rows("interactions", kind="sms") == 1  # only the paid invoice's own sending


# --- record_payment ------------------------------------------------------------------------------------------------

async def test_record_payment_partial_then_the_rest(world, people, rows) -> None:
    inv = await sent_invoice(world, people.smith)  # $216.50
    async with world.store.uow(world.business_id) as uow:
        part = await billing.record_payment(uow, world.tech, 10000, inv.number, method="card")
    assert part.status == InvoiceStatus.PARTIALLY_PAID and part.balance_cents == 11650
    async with world.store.uow(world.business_id) as uow:
        rest = await billing.record_payment(uow, world.office, customer="smith", method="check", reference="1042")
    assert rest.status == InvoiceStatus.PAID and rest.balance_cents == 0 and rest.paid_cents == 21650
    assert [(p.amount_cents, p.method) for p in rest.payments] == [(10000, "card"), (11650, "check")]
    assert await rows("payments") == 2 and await rows("activity_log", action="invoice.payment") == 2


@pytest.mark.parametrize(("amount", "error", "says"), [
    (-500, InvalidInput, r"^A payment must be more than zero\.$"),
    (0, InvalidInput, r"^A payment must be more than zero\.$"),
    (21651, InvalidInput, r"^That's more than invoice 1001's balance of 216 dollars and 50 cents\.$"),
])
async def test_a_negative_zero_or_overpayment_is_refused_and_no_payment_is_stored(world, people, rows, amount,
                                                                                   error, says) -> None:
    inv = await sent_invoice(world, people.smith)
    with pytest.raises(error, match=says):
        async with world.store.uow(world.business_id) as uow:
            await billing.record_payment(uow, world.owner, amount, inv.number)
    assert await rows("payments") == 0
    async with world.store.uow(world.business_id) as uow:
        stored = await billing.get_invoice_status(uow, world.owner, inv.number)
    assert stored.status == InvoiceStatus.SENT and stored.balance_cents == 21650


async def test_paying_a_paid_invoice_again_says_it_is_paid(world, people, rows) -> None:
    inv = await sent_invoice(world, people.smith)
    async with world.store.uow(world.business_id) as uow:
        await billing.record_payment(uow, world.owner, number=inv.number)
    for amount in (None, 100):
        with pytest.raises(Conflict, match=r"^Invoice 1001 is already paid in full\.$"):
            async with world.store.uow(world.business_id) as uow:
                await billing.record_payment(uow, world.owner, amount, inv.number)
    assert await rows("payments") == 1


async def test_the_calling_agent_may_not_record_payments(world, people, rows) -> None:
    inv = await sent_invoice(world, people.smith)
    with pytest.raises(PermissionDenied):
        async with world.store.uow(world.business_id) as uow:
            await billing.record_payment(uow, world.call_agent(people.smith.id), 100, inv.number)
    assert await rows("payments") == 0


# --- estimates ----------------------------------------------------------------------------------------------------

async def test_create_estimate_for_a_spoken_customer_with_an_amount(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.tech, "the Garcias", "  Tankless   water heater ", 250000)
    assert est.number == 1 and est.contact_id == people.garcia.id and est.title == "Tankless water heater"
    assert est.status == EstimateStatus.DRAFT and est.valid_until == date(2026, 12, 23)
    assert (est.subtotal_cents, est.tax_cents, est.total_cents) == (250000, 20625, 270625)
    assert await rows("estimates") == 1 and await rows("estimate_lines") == 1


async def test_an_estimate_for_nobody_is_refused_and_not_stored(world, people, rows) -> None:
    for customer, error, says in (("Zebulon", NotFound, "I can't find a customer named Zebulon"),
                                  ("", InvalidInput, "Which customer is the estimate for"),
                                  (None, InvalidInput, "Which customer is the estimate for")):
        with pytest.raises(error, match=says):
            async with world.store.uow(world.business_id) as uow:
                await billing.create_estimate(uow, world.owner, customer, "Repipe", 1000)
    with pytest.raises(InvalidInput, match="more than zero"):
        async with world.store.uow(world.business_id) as uow:
            await billing.create_estimate(uow, world.owner, "johnson", "Repipe", -5)
    assert await rows("estimates") == 0 and await rows("estimate_lines") == 0


async def test_send_estimate_marks_it_sent_and_queues_the_message(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, "johnson", "Repipe", 250000)
    async with world.store.uow(world.business_id) as uow:
        sent = await billing.send_estimate(uow, world.owner, customer="johnson")
    assert sent.id == est.id and sent.status == EstimateStatus.SENT and sent.sent_at is not None
    (message,) = await outbox(world)
    assert message.to == "+15125550100" and message.related == f"estimate:{est.id}"
    assert message.body == "Your estimate 1 for Repipe: $2,706.25, valid until December 23."


async def test_an_estimate_without_lines_is_not_sent(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, "johnson", "To be priced")
    with pytest.raises(InvalidInput, match=rf"^Estimate {est.number} has no lines yet; add what it's for first\.$"):
        async with world.store.uow(world.business_id) as uow:
            await billing.send_estimate(uow, world.owner, est.number)
    assert await rows("outbox") == 0
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.estimates.by_number(est.number)).status == EstimateStatus.DRAFT


async def test_convert_estimate_to_invoice_copies_the_lines_once(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, "smith", "Repipe", lines=[
            ("pex tubing", Decimal("40"), 150), ("labour", Decimal("6"), 9500)])
        await billing.send_estimate(uow, world.owner, est.number)
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.convert_estimate_to_invoice(uow, world.owner, customer="smith")
    assert inv.number == 1001 and inv.estimate_id == est.id and inv.contact_id == people.smith.id
    assert inv.total_cents == est.total_cents and len(inv.lines) == 2
    with pytest.raises(Conflict, match=rf"^Estimate {est.number} was already turned into an invoice\.$"):
        async with world.store.uow(world.business_id) as uow:
            await billing.convert_estimate_to_invoice(uow, world.owner, est.number)
    assert await rows("invoices") == 1 and await rows("invoice_lines") == 2
    async with world.store.uow(world.business_id) as uow:
        stored = await uow.estimates.by_number(est.number)
    assert stored.status == EstimateStatus.ACCEPTED and stored.invoice_id == inv.id


async def test_a_declined_or_expired_estimate_is_not_invoiced(world, people, clock, local, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        declined = await billing.create_estimate(uow, world.owner, "smith", "Repipe", 1000)
        await billing.decide_estimate(uow, world.owner, False, declined.number)
        stale = await billing.create_estimate(uow, world.owner, "garcia", "Drain", 1000)
    with pytest.raises(IllegalTransition, match="declined; it can't be invoiced"):
        async with world.store.uow(world.business_id) as uow:
            await billing.convert_estimate_to_invoice(uow, world.owner, declined.number)
    clock.at = local(date(2026, 12, 24), 9)
    with pytest.raises(IllegalTransition, match=rf"^Estimate {stale.number} has expired\.$"):
        async with world.store.uow(world.business_id) as uow:
            await billing.convert_estimate_to_invoice(uow, world.owner, stale.number)
    assert await rows("invoices") == 0


async def test_list_pending_estimates_shows_drafts_and_sent_but_not_decided_or_expired(world, people, clock,
                                                                                       local) -> None:
    async with world.store.uow(world.business_id) as uow:
        draft = await billing.create_estimate(uow, world.owner, "johnson", "A", 1000)
        sent = await billing.create_estimate(uow, world.owner, "smith", "B", 1000)
        await billing.send_estimate(uow, world.owner, sent.number)
        accepted = await billing.create_estimate(uow, world.owner, "garcia", "C", 1000)
        await billing.decide_estimate(uow, world.owner, True, accepted.number)
        short = await billing.create_estimate(uow, world.owner, "garcia", "D", 1000, valid_days=2)
        assert [e.number for e in await billing.list_pending_estimates(uow, world.owner)] == [
            draft.number, sent.number, short.number]
    clock.at = local(27, 9)
    async with world.store.uow(world.business_id) as uow:
        assert [e.number for e in await billing.list_pending_estimates(uow, world.tech)] == [draft.number,
                                                                                             sent.number]


# --- the calling agent on billing --------------------------------------------------------------------------------

async def test_a_calling_agent_cannot_reach_another_contacts_invoice_or_estimate(world, people) -> None:
    smiths = await sent_invoice(world, people.smith, 77777)
    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, "smith", "Repipe", 1000)
    agent = world.call_agent(people.johnson.id)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound) as err:
            await billing.get_invoice_status(uow, agent, smiths.number)
        assert err.value.message == "I can't find that invoice on your account."
        assert "777" not in err.value.message and "Smith" not in err.value.message
        with pytest.raises(NotFound, match="There's no invoice for your account"):
            await billing.get_invoice_status(uow, agent, customer="smith")  # the name is ignored: own account only
        with pytest.raises(NotFound):
            await billing.promise_payment(uow, agent, date(2026, 12, 1), number=smiths.number)
        with pytest.raises(NotFound):
            await billing.decide_estimate(uow, agent, True, est.number)
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.estimates.by_number(est.number)).status == EstimateStatus.DRAFT


async def test_promise_payment_records_the_date_on_the_callers_invoice(world, people, rows) -> None:
    inv = await sent_invoice(world, people.smith)
    agent = world.call_agent(people.smith.id)
    async with world.store.uow(world.business_id) as uow:
        promised = await billing.promise_payment(uow, agent, date(2026, 12, 1), 10000)
    assert promised.id == inv.id
    assert [(p.promised_date, p.amount_cents) for p in promised.promises] == [(date(2026, 12, 1), 10000)]
    assert await rows("payment_promises") == 1
    assert await rows("interactions", contact_id=people.smith.id, kind="call") == 1
    for when, amount, says in ((date(2026, 11, 22), None, "already passed"),
                               (date(2026, 12, 1), 21651, r"The balance is 216 dollars and 50 cents")):
        with pytest.raises(InvalidInput, match=says):
            async with world.store.uow(world.business_id) as uow:
                await billing.promise_payment(uow, agent, when, amount)
    assert await rows("payment_promises") == 1


async def test_a_technician_invoicing_a_customer_never_attaches_another_technicians_job(world, people,
                                                                                       local) -> None:
    toms = await job_for(world, people.johnson, local(24, 9), technician_id=world.tech2.user_id)
    async with world.store.uow(world.business_id) as uow:
        walk_in = await billing.create_invoice(uow, world.tech, customer="johnson", amount_cents=5000, title="Part")
    assert walk_in.job_id is None
    async with world.store.uow(world.business_id) as uow:
        by_office = await billing.create_invoice(uow, world.office, customer="johnson", amount_cents=5000)
    assert by_office.job_id == toms.id
