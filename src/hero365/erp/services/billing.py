"""Estimates, invoices, payments and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..domain.billing import Estimate, EstimateStatus, Invoice, InvoiceStatus, PaymentPromise
from ..domain.contacts import InteractionKind
from ..domain.errors import InvalidInput, NotFound
from ..domain.money import format_money, speak_money
from ..domain.tenancy import Actor, Permission, Role
from ..store.repositories import OverdueRow
from ..store.uow import UnitOfWork
from .common import find_contact, get_contact, log, now, resolve_job, today
from .contacts import log_interaction
from .messages import queue_message

LineSpec = tuple[str, Decimal, int]  # description, quantity, unit price in cents


def _single_line(title: str, amount_cents: int | None) -> list[LineSpec]:
    if amount_cents is None:
        return []
    if amount_cents <= 0:
        raise InvalidInput("The amount must be more than zero.")
    return [(title, Decimal(1), amount_cents)]


async def create_invoice(uow: UnitOfWork, actor: Actor, *, job_number: int | None = None, customer: str | None = None,
                         amount_cents: int | None = None, title: str | None = None,
                         lines: list[LineSpec] | None = None) -> Invoice:
    """An invoice for a job or a customer. Without an amount, a job's accepted estimate supplies the lines."""
    actor.require(Permission.INVOICES_MANAGE if actor.role != Role.TECHNICIAN else Permission.PAYMENTS_RECORD,
                  "create invoices")
    await uow.lock("invoice")  # serialized with other invoicing: the "already invoiced" checks below stay true
    job = None
    if job_number is not None or (customer and not lines and amount_cents is None):
        job = await resolve_job(uow, actor, job_number, customer, open_only=False)
        contact = await get_contact(uow, actor, job.contact_id)
    elif customer:
        contact = await find_contact(uow, actor, customer)
        # the customer's latest job this actor may see (a technician's own): never another technician's
        open_jobs = [j for j in await uow.jobs.for_contact(contact.id or 0)
                     if actor.sees_all_jobs or j.technician_id == actor.user_id]
        job = next((j for j in open_jobs if j.status.value != "cancelled"), None)
    else:
        raise InvalidInput("Which job or customer is the invoice for?")
    if job is not None:
        for existing in await uow.invoices.for_job(job.id or 0):
            if existing.status != InvoiceStatus.VOID and amount_cents is None and not lines:
                raise InvalidInput(f"Job {job.number} already has invoice {existing.number}.")
    title = title or (job.title if job else "Services")
    specs = lines or _single_line(title, amount_cents)
    estimate = None
    if not specs and job is not None:
        accepted = [e for e in await uow.estimates.for_contact(contact.id or 0)
                    if e.job_id == job.id and e.status == EstimateStatus.ACCEPTED and e.invoice_id is None]
        if accepted:
            estimate = accepted[0]
            specs = [(ln.description, ln.quantity, ln.unit_price_cents) for ln in estimate.lines]
    if not specs:
        raise InvalidInput("How much should the invoice be for?")
    business = await uow.business()
    invoice = Invoice(business_id=actor.business_id, number=await uow.next_number("invoice"),
                      contact_id=contact.id or 0, title=title,
                      due_date=await today(uow) + timedelta(days=business.payment_terms_days),
                      tax_rate_bp=business.tax_rate_bp, job_id=job.id if job else None,
                      estimate_id=estimate.id if estimate else None, created_at=now(uow))
    for desc, qty, price in specs:
        invoice.add_line(desc, qty, price)
    uow.invoices.add(invoice)
    await uow.flush()
    if estimate is not None:
        estimate.invoice_id = invoice.id
    log(uow, actor, "invoice.created", "invoice", invoice.id,
        f"Invoice {invoice.number} for {contact.name}: {format_money(invoice.total_cents)}")
    return invoice


async def _whose(uow: UnitOfWork, actor: Actor, customer: str | None, what: str) -> tuple[int, str]:
    """Whose records to look in: the caller's own on a call, else the named customer's."""
    if actor.role == Role.CALL_AGENT:
        return actor.contact_id or 0, "your account"
    if customer:
        contact = await find_contact(uow, actor, customer)
        return contact.id or 0, contact.name
    raise InvalidInput(f"Which {what}? Tell me its number or the customer's name.")


async def resolve_invoice(uow: UnitOfWork, actor: Actor, number: int | None = None, customer: str | None = None,
                          unpaid_first: bool = True) -> Invoice:
    """An invoice by number, or a customer's most relevant one (the oldest unpaid, else the latest)."""
    if actor.role != Role.CALL_AGENT:
        actor.require(Permission.INVOICES_VIEW, "see invoices")
    if number is not None:
        invoice = await uow.invoices.by_number(number)
        if invoice is None or (actor.role == Role.CALL_AGENT and invoice.contact_id != actor.contact_id):
            raise NotFound(f"There's no invoice {number}." if actor.role != Role.CALL_AGENT
                           else "I can't find that invoice on your account.")
        return invoice
    contact_id, label = await _whose(uow, actor, customer, "invoice")
    invoices = [i for i in await uow.invoices.for_contact(contact_id) if i.status != InvoiceStatus.VOID]
    if not invoices:
        raise NotFound(f"There's no invoice for {label}.")
    unpaid = sorted((i for i in invoices if i.balance_cents > 0 and i.status != InvoiceStatus.DRAFT),
                    key=lambda i: i.due_date)
    return (unpaid or invoices)[0] if unpaid_first else invoices[0]


async def get_invoice_status(uow: UnitOfWork, actor: Actor, number: int | None = None,
                             customer: str | None = None) -> Invoice:
    return await resolve_invoice(uow, actor, number, customer)


async def send_invoice(uow: UnitOfWork, actor: Actor, number: int) -> Invoice:
    actor.require(Permission.INVOICES_MANAGE, "send invoices")
    invoice = await resolve_invoice(uow, actor, number)
    contact = await get_contact(uow, actor, invoice.contact_id)
    invoice.mark_sent(now(uow))
    await queue_message(uow, actor, contact, f"Invoice {invoice.number} for {format_money(invoice.total_cents)} "
                        f"is due {invoice.due_date:%B %-d}.", subject=f"Invoice {invoice.number}",
                        related=f"invoice:{invoice.id}")
    log(uow, actor, "invoice.sent", "invoice", invoice.id, f"Invoice {invoice.number} sent")
    return invoice


async def send_invoice_reminder(uow: UnitOfWork, actor: Actor, number: int | None = None,
                                customer: str | None = None) -> Invoice:
    actor.require(Permission.MESSAGES_SEND, "send reminders")
    invoice = await resolve_invoice(uow, actor, number, customer)
    contact = await get_contact(uow, actor, invoice.contact_id)
    day = await today(uow)
    if invoice.balance_cents <= 0:
        raise InvalidInput(f"Invoice {invoice.number} is already paid.")
    message = await queue_message(
        uow, actor, contact,
        f"Reminder: invoice {invoice.number} has {format_money(invoice.balance_cents)} due "
        f"{'since' if invoice.due_date < day else 'on'} {invoice.due_date:%B %-d}. Reply or call us with questions.",
        subject=f"Payment reminder: invoice {invoice.number}", related=f"invoice:{invoice.id}")
    invoice.remind(now(uow), message.channel.value)
    log(uow, actor, "invoice.reminder", "invoice", invoice.id, f"Reminder for invoice {invoice.number}")
    return invoice


async def record_payment(uow: UnitOfWork, actor: Actor, amount_cents: int | None = None, number: int | None = None,
                         customer: str | None = None, method: str = "other", reference: str | None = None) -> Invoice:
    """A payment received; without an amount, the whole balance. Never more than is owed."""
    actor.require(Permission.PAYMENTS_RECORD, "record payments")
    await uow.lock("invoice")  # before reading the balance: two payments at once can't both fit in it
    invoice = await resolve_invoice(uow, actor, number, customer)
    amount = invoice.balance_cents if amount_cents is None else amount_cents
    invoice.record_payment(amount, now(uow), method, reference, actor.user_id)
    await uow.flush()
    log(uow, actor, "invoice.payment", "invoice", invoice.id,
        f"{format_money(amount)} on invoice {invoice.number} ({method})")
    return invoice


async def overdue_summary(uow: UnitOfWork, actor: Actor, min_days: int = 0) -> list[OverdueRow]:
    """Past-due invoices with their balances, oldest first: the agents' "who owes us money"."""
    actor.require(Permission.INVOICES_VIEW, "see invoices")
    return [r for r in await uow.invoices.overdue_balances(await today(uow), min_days) if r.balance_cents > 0]


async def list_overdue_invoices(uow: UnitOfWork, actor: Actor, min_days: int = 0) -> list[Invoice]:
    actor.require(Permission.INVOICES_VIEW, "see invoices")
    return await uow.invoices.overdue(await today(uow), min_days)


async def promise_payment(uow: UnitOfWork, actor: Actor, promised: date, amount_cents: int | None = None,
                          number: int | None = None) -> Invoice:
    """A customer on a call says when they'll pay; logged on the invoice and the contact."""
    invoice = await resolve_invoice(uow, actor, number)
    if promised < await today(uow):
        raise InvalidInput("That date has already passed.")
    if amount_cents is not None and not 0 < amount_cents <= invoice.balance_cents:
        raise InvalidInput(f"The balance is {speak_money(invoice.balance_cents)}.")
    invoice.promises.append(PaymentPromise(promised_date=promised, amount_cents=amount_cents, created_at=now(uow),
                                           business_id=actor.business_id))
    contact = await get_contact(uow, actor, invoice.contact_id)
    await log_interaction(uow, actor, contact, InteractionKind.CALL,
                          f"Promised to pay {format_money(amount_cents or invoice.balance_cents)} by {promised:%B %-d}",
                          invoice_id=invoice.id)
    log(uow, actor, "invoice.promise", "invoice", invoice.id, f"Payment promised for {promised.isoformat()}")
    return invoice


async def create_estimate(uow: UnitOfWork, actor: Actor, customer: str | None = None, title: str = "",
                          amount_cents: int | None = None, lines: list[LineSpec] | None = None,
                          contact_id: int | None = None, job_number: int | None = None,
                          valid_days: int = 30) -> Estimate:
    actor.require(Permission.ESTIMATES_MANAGE, "create estimates")
    if contact_id is None and not (customer and customer.strip()):
        raise InvalidInput("Which customer is the estimate for?")
    contact = (await get_contact(uow, actor, contact_id) if contact_id is not None
               else await find_contact(uow, actor, customer or ""))
    title = " ".join(title.split()) or "Estimate"
    job = await resolve_job(uow, actor, job_number) if job_number is not None else None
    business = await uow.business()
    estimate = Estimate(business_id=actor.business_id, number=await uow.next_number("estimate"),
                        contact_id=contact.id or 0, title=title, tax_rate_bp=business.tax_rate_bp,
                        job_id=job.id if job else None, valid_until=await today(uow) + timedelta(days=valid_days),
                        created_at=now(uow))
    for desc, qty, price in lines or _single_line(title, amount_cents):
        estimate.add_line(desc, qty, price)
    uow.estimates.add(estimate)
    await uow.flush()
    log(uow, actor, "estimate.created", "estimate", estimate.id,
        f"Estimate {estimate.number} for {contact.name}: {format_money(estimate.total_cents)}")
    return estimate


async def resolve_estimate(uow: UnitOfWork, actor: Actor, number: int | None = None,
                           customer: str | None = None) -> Estimate:
    if number is not None:
        estimate = await uow.estimates.by_number(number)
        if estimate is None or (actor.role == Role.CALL_AGENT and estimate.contact_id != actor.contact_id):
            raise NotFound(f"There's no estimate {number}.")
        return estimate
    contact_id, label = await _whose(uow, actor, customer, "estimate")
    estimates = await uow.estimates.for_contact(contact_id)
    if not estimates:
        raise NotFound(f"There's no estimate for {label}.")
    open_ = [e for e in estimates if e.status in (EstimateStatus.DRAFT, EstimateStatus.SENT, EstimateStatus.ACCEPTED)
             and e.invoice_id is None]
    return (open_ or estimates)[0]


async def send_estimate(uow: UnitOfWork, actor: Actor, number: int | None = None,
                        customer: str | None = None) -> Estimate:
    actor.require(Permission.ESTIMATES_MANAGE, "send estimates")
    estimate = await resolve_estimate(uow, actor, number, customer)
    contact = await get_contact(uow, actor, estimate.contact_id)
    estimate.mark_sent(now(uow))
    await queue_message(uow, actor, contact,
                        f"Your estimate {estimate.number} for {estimate.title}: {format_money(estimate.total_cents)}, "
                        f"valid until {estimate.valid_until:%B %-d}." if estimate.valid_until else
                        f"Your estimate {estimate.number}: {format_money(estimate.total_cents)}.",
                        subject=f"Estimate {estimate.number}", related=f"estimate:{estimate.id}")
    log(uow, actor, "estimate.sent", "estimate", estimate.id, f"Estimate {estimate.number} sent")
    return estimate


async def decide_estimate(uow: UnitOfWork, actor: Actor, accepted: bool, number: int | None = None,
                          customer: str | None = None) -> Estimate:
    estimate = await resolve_estimate(uow, actor, number, customer)
    estimate.decide(accepted, now(uow))
    log(uow, actor, "estimate.accepted" if accepted else "estimate.declined", "estimate", estimate.id,
        f"Estimate {estimate.number} {'accepted' if accepted else 'declined'}")
    return estimate


async def convert_estimate_to_invoice(uow: UnitOfWork, actor: Actor, number: int | None = None,
                                      customer: str | None = None) -> Invoice:
    """Turn an estimate into an invoice, once: a second try is refused, not duplicated."""
    actor.require(Permission.INVOICES_MANAGE, "create invoices")
    await uow.lock("invoice")  # before reading the estimate: two conversions at once can't both see it unconverted
    estimate = await resolve_estimate(uow, actor, number, customer)
    estimate.check_convertible()
    if estimate.status in (EstimateStatus.DRAFT, EstimateStatus.SENT):
        estimate.decide(True, now(uow))
    business = await uow.business()
    invoice = Invoice(business_id=actor.business_id, number=await uow.next_number("invoice"),
                      contact_id=estimate.contact_id, title=estimate.title,
                      due_date=await today(uow) + timedelta(days=business.payment_terms_days),
                      tax_rate_bp=estimate.tax_rate_bp, job_id=estimate.job_id, created_at=now(uow))
    for line in estimate.lines:
        invoice.add_line(line.description, line.quantity, line.unit_price_cents, line.product_id)
    uow.invoices.add(invoice)
    await uow.flush()
    invoice.estimate_id = estimate.id
    estimate.invoice_id = invoice.id
    log(uow, actor, "estimate.converted", "invoice", invoice.id,
        f"Estimate {estimate.number} became invoice {invoice.number}")
    return invoice


async def list_pending_estimates(uow: UnitOfWork, actor: Actor) -> list[Estimate]:
    actor.require(Permission.ESTIMATES_MANAGE, "see estimates")
    day = await today(uow)
    return [e for e in await uow.estimates.pending() if e.status_on(day) != EstimateStatus.EXPIRED]
