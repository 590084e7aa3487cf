"""Invoice and estimate tools for the personal assistant."""

from __future__ import annotations

from typing import Any

from livekit.agents import function_tool

from ...erp.domain.billing import Invoice
from ...erp.domain.money import speak_money
from ...erp.domain.tenancy import Actor
from ...erp.services import billing as svc
from ...erp.services.common import contact_names, today
from ...erp.store.uow import UnitOfWork
from ..say import plural, sentence, speak_date
from .base import Ctx, action, cents_arg, in_focus, propose, reply, speakable, spoken_list


async def _name(uow: UnitOfWork, contact_id: int) -> str:
    contact = await uow.contacts.get(contact_id)
    return contact.name if contact else "the customer"


def _invoice_status(inv: Invoice, day: Any, name: str) -> str:
    status = inv.status_on(day).value
    if status == "paid":
        return f"Invoice {inv.number} for {name} is paid in full, {speak_money(inv.total_cents)}."
    if status == "draft":
        return f"Invoice {inv.number} for {name} is a draft for {speak_money(inv.total_cents)}; it hasn't been sent."
    if status == "void":
        return f"Invoice {inv.number} for {name} was voided."
    owed = f"{speak_money(inv.balance_cents)} is still owed"
    paid = f", {speak_money(inv.paid_cents)} paid so far" if inv.paid_cents else ""
    if status == "overdue":
        return (f"Invoice {inv.number} for {name} is overdue by {plural(inv.days_overdue(day), 'day')}: "
                f"{owed}{paid}.")
    return f"Invoice {inv.number} for {name}: {owed}{paid}, due {speak_date(inv.due_date, day)}."


@action("create_invoice")
async def _create_invoice(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    inv = await svc.create_invoice(uow, actor, job_number=a.get("job"), customer=a.get("customer"),
                                   amount_cents=a.get("amount_cents"))
    name = await _name(uow, inv.contact_id)
    tax = f" including {speak_money(inv.tax_cents)} tax" if inv.tax_cents else ""
    return {"invoice": inv.number, "customer": name, "total_cents": inv.total_cents,
            "ask": f"An invoice for {name}, {inv.title}, {speak_money(inv.total_cents)}{tax}.",
            "done": f"Invoice {inv.number} for {name} is created: {speak_money(inv.total_cents)}{tax}."}


@function_tool
@speakable
async def create_invoice(context: Ctx, job: int | None = None, customer: str | None = None,
                         amount: float | None = None) -> str:
    """Create an invoice for a job or a customer. Needs the user's confirmation.

    Args:
        job: the job number
        customer: the customer's name
        amount: the amount in dollars, before tax
    """
    state = context.userdata
    return await propose(context, "create_invoice", {
        "job": job or (state.focus.get("job") if not customer else None), "customer": customer,
        "amount_cents": cents_arg(amount)})


@function_tool
@speakable
async def get_invoice_status(context: Ctx, invoice: int | None = None, customer: str | None = None) -> str:
    """Whether an invoice is paid, due or overdue, and how much is owed.

    Args:
        invoice: the invoice number
        customer: the customer's name
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        inv = await svc.get_invoice_status(uow, state.actor, in_focus(context, "invoice", invoice, customer),
                                           customer)
        day, name = await today(uow), await _name(uow, inv.contact_id)
    state.focus.update({"invoice": inv.number, "customer": name})
    return reply(_invoice_status(inv, day, name), invoice=inv.number, status=inv.status_on(day).value,
                 balance_cents=inv.balance_cents, total_cents=inv.total_cents)


@action("send_invoice_reminder")
async def _remind(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    inv = await svc.send_invoice_reminder(uow, actor, a.get("invoice"), a.get("customer"))
    name = await _name(uow, inv.contact_id)
    channel = "a text" if inv.reminders[-1].channel == "sms" else "an e-mail"
    return {"invoice": inv.number, "customer": name,
            "ask": f"Send {name} a reminder about invoice {inv.number}, {speak_money(inv.balance_cents)} owed.",
            "done": f"Reminder queued: {channel} to {name} about invoice {inv.number}."}


@function_tool
@speakable
async def send_invoice_reminder(context: Ctx, invoice: int | None = None, customer: str | None = None) -> str:
    """Remind a customer of an unpaid invoice by text or e-mail. Needs the user's confirmation.

    Args:
        invoice: the invoice number
        customer: the customer's name
    """
    return await propose(context, "send_invoice_reminder", {
        "invoice": in_focus(context, "invoice", invoice, customer), "customer": customer})


@action("record_payment")
async def _pay(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    inv = await svc.record_payment(uow, actor, a.get("amount_cents"), a.get("invoice"), a.get("customer"),
                                   method=a.get("method") or "other")
    name = await _name(uow, inv.contact_id)
    paid = inv.payments[-1].amount_cents
    left = "It's paid in full." if inv.balance_cents == 0 else f"{speak_money(inv.balance_cents)} is still owed."
    return {"invoice": inv.number, "customer": name, "amount_cents": paid,
            "ask": f"Record {speak_money(paid)} from {name} on invoice {inv.number}.",
            "done": f"Recorded {speak_money(paid)} on invoice {inv.number}. {left}"}


@function_tool
@speakable
async def record_payment(context: Ctx, invoice: int | None = None, customer: str | None = None,
                         amount: float | None = None, method: str | None = None) -> str:
    """Record a payment received on an invoice (the whole balance when no amount). Needs confirmation.

    Args:
        invoice: the invoice number
        customer: the customer's name
        amount: dollars received
        method: cash, check, card or other
    """
    return await propose(context, "record_payment", {"invoice": in_focus(context, "invoice", invoice, customer),
                                                     "customer": customer,
                                                     "amount_cents": cents_arg(amount), "method": method})


@function_tool
@speakable
async def list_overdue_invoices(context: Ctx) -> str:
    """Invoices past their due date, oldest first, with the total owed."""
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        found = await svc.overdue_summary(uow, state.actor)
        names = (await contact_names(uow)).names
    total = sum(i.balance_cents for i in found)
    lines = [sentence(f"{names.get(i.contact_id, 'a customer')} owes {speak_money(i.balance_cents)} on invoice "
                      f"{i.number}, {plural(i.days_overdue, 'day')} late.") for i in found]
    intro = f"{plural(len(found), 'invoice is', 'invoices are')} overdue, {speak_money(total)} in all."
    say, texted = await spoken_list(context, intro, lines, "No invoices are overdue.")
    return reply(say, invoices=[{"number": i.number, "balance_cents": i.balance_cents} for i in found],
                 total_cents=total, texted=texted)


@action("create_estimate")
async def _create_estimate(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    est = await svc.create_estimate(uow, actor, a["customer"], a.get("title") or "", a.get("amount_cents"))
    name = await _name(uow, est.contact_id)
    amount = f", {speak_money(est.total_cents)}" if est.lines else ", with no amount yet"
    return {"estimate": est.number, "customer": name,
            "ask": f"An estimate for {name}: {est.title}{amount}.",
            "done": f"Estimate {est.number} for {name} is saved as a draft{amount}."}


@function_tool
@speakable
async def create_estimate(context: Ctx, customer: str, title: str | None = None, amount: float | None = None) -> str:
    """Write up a new estimate (quote) for a customer. Needs the user's confirmation.

    Args:
        customer: the customer's name
        title: what it's for, e.g. "new AC unit"
        amount: the price in dollars, before tax
    """
    return await propose(context, "create_estimate", {"customer": customer, "title": title,
                                                      "amount_cents": cents_arg(amount)})


@action("send_estimate")
async def _send_estimate(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    est = await svc.send_estimate(uow, actor, a.get("estimate"), a.get("customer"))
    name = await _name(uow, est.contact_id)
    return {"estimate": est.number, "customer": name,
            "ask": f"Send estimate {est.number} to {name}, {speak_money(est.total_cents)}.",
            "done": f"Estimate {est.number} is on its way to {name}."}


@function_tool
@speakable
async def send_estimate(context: Ctx, estimate: int | None = None, customer: str | None = None) -> str:
    """Send an estimate to its customer. Needs the user's confirmation.

    Args:
        estimate: the estimate number
        customer: the customer's name
    """
    return await propose(context, "send_estimate", {"estimate": in_focus(context, "estimate", estimate, customer),
                                                    "customer": customer})


@action("convert_estimate_to_invoice")
async def _convert(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    inv = await svc.convert_estimate_to_invoice(uow, actor, a.get("estimate"), a.get("customer"))
    name = await _name(uow, inv.contact_id)
    est = await uow.estimates.get(inv.estimate_id or 0)
    number = est.number if est else a.get("estimate")
    return {"invoice": inv.number, "estimate": number, "customer": name,
            "ask": f"Turn estimate {number} for {name} into an invoice for {speak_money(inv.total_cents)}.",
            "done": f"Estimate {number} is now invoice {inv.number}, {speak_money(inv.total_cents)}."}


@function_tool
@speakable
async def convert_estimate_to_invoice(context: Ctx, estimate: int | None = None, customer: str | None = None) -> str:
    """Turn an accepted estimate into an invoice (once). Needs the user's confirmation.

    Args:
        estimate: the estimate number
        customer: the customer's name
    """
    return await propose(context, "convert_estimate_to_invoice", {
        "estimate": in_focus(context, "estimate", estimate, customer), "customer": customer})


@function_tool
@speakable
async def list_pending_estimates(context: Ctx) -> str:
    """Estimates not yet accepted or declined."""
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        found = await svc.list_pending_estimates(uow, state.actor)
        names = await uow.contacts.get_many([e.contact_id for e in found])
    lines = [f"Estimate {e.number} for {names[e.contact_id].name if e.contact_id in names else 'a customer'}, "
             f"{e.title}, {speak_money(e.total_cents)}, {'sent' if e.status.value == 'sent' else 'not sent yet'}."
             for e in found]
    say, texted = await spoken_list(context, f"{plural(len(found), 'estimate is', 'estimates are')} pending.", lines,
                                    "No estimates are waiting on an answer.")
    return reply(say, estimates=[{"number": e.number, "status": e.status.value, "total_cents": e.total_cents}
                                 for e in found], texted=texted)


