"""Tools for customer-facing agents. None takes a customer, job or invoice the caller names: each is bound,
server-side, to the contact on the call (the session's actor), so nothing said reaches another account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from livekit.agents import function_tool

from ...erp.domain.errors import InvalidInput, NotFound
from ...erp.domain.money import speak_money
from ...erp.domain.tenancy import Actor
from ...erp.services import billing as billing_svc
from ...erp.services import customers as svc
from ...erp.services import inventory as inventory_svc
from ...erp.services.common import local_now, today
from ...erp.services.jobs import confirm_appointment as svc_confirm
from ...erp.services.jobs import technician_slots
from ...erp.store.uow import UnitOfWork
from ..say import sentence, speak_date, speak_list, speak_time, speak_when
from .base import Ctx, act, action, cents_arg, parse_date_arg, propose, reply, speakable, start_from


async def _when(uow: UnitOfWork, moment: datetime | None) -> str:
    if moment is None:
        return "not yet scheduled"
    return speak_when(moment.astimezone((await local_now(uow)).tzinfo), await today(uow))


@function_tool
@speakable
async def get_my_appointment(context: Ctx) -> str:
    """The caller's next appointment: what, when and its status."""
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        job = await svc.my_job(uow, state.actor)
        when = await _when(uow, job.scheduled_start)
    return reply(f"Your appointment for {job.title} is {when}.", status=job.status.value)


@function_tool
@speakable
async def get_my_balance(context: Ctx) -> str:
    """What the caller owes, and when it is due."""
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        try:
            inv = await billing_svc.resolve_invoice(uow, state.actor)
        except NotFound:
            return reply("There's no open invoice on your account.")
        day = await today(uow)
    if inv.balance_cents <= 0:
        return reply("Your account is paid up. Thank you!")
    due = "was due" if inv.due_date < day else "is due"
    return reply(f"Your balance is {speak_money(inv.balance_cents)}, which {due} {speak_date(inv.due_date, day)}.",
                 balance_cents=inv.balance_cents)


@action("confirm_appointment")
async def _confirm(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    job = await svc_confirm(uow, actor)
    return {"done": f"Great, you're confirmed for {await _when(uow, job.scheduled_start)}. See you then!"}


@function_tool
@speakable
async def confirm_appointment(context: Ctx) -> str:
    """The caller keeps their appointment as booked."""
    return await act(context, "confirm_appointment", {})


@action("reschedule_appointment")
async def _reschedule(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    job = await svc.my_job(uow, actor)
    start = await start_from(uow, a.get("date"), a.get("time"), default_hour=9)
    if start is None:
        raise InvalidInput("What day and time would work better for you?")
    job = await svc.reschedule_appointment(uow, actor, start, job.number)
    when = await _when(uow, start)
    return {"ask": f"So I'll move your appointment to {when}.", "done": f"All set: you're now booked for {when}."}


@function_tool
@speakable
async def reschedule_appointment(context: Ctx, date: str | None = None, time: str | None = None) -> str:
    """Move the caller's appointment to another free time. Needs their confirmation.

    Args:
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
    """
    return await propose(context, "reschedule_appointment", {"date": date, "time": time})


@action("cancel_appointment")
async def _cancel(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    job = await svc.cancel_appointment(uow, actor)
    when = await _when(uow, job.scheduled_start)
    return {"ask": f"You'd like to cancel your appointment {when}.",
            "done": "Your appointment is cancelled. Call us any time to book again."}


@function_tool
@speakable
async def cancel_appointment(context: Ctx) -> str:
    """Cancel the caller's appointment. Needs their confirmation."""
    return await propose(context, "cancel_appointment", {})


@action("book_consultation")
async def _book(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    start = await start_from(uow, a.get("date"), a.get("time"), default_hour=9)
    if start is None:
        raise InvalidInput("What day and time would suit you?")
    job = await svc.book_consultation(uow, actor, start, a.get("service"))
    when = await _when(uow, start)
    what = f"a {a['service']} visit" if a.get("service") else "a consultation visit"  # "a furnace visit"
    return {"job": job.number, "ask": f"I can book {what} {when}.", "done": f"You're booked for {what} {when}."}


@function_tool
@speakable
async def book_consultation(context: Ctx, service: str | None = None, date: str | None = None,
                            time: str | None = None) -> str:
    """Book a visit or consultation into a free slot. Needs the caller's confirmation.

    Args:
        service: what it's about, e.g. "water heater replacement"
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
    """
    if time is None:  # no time yet: offer the free ones (that day, or the first day with any)
        return await free_times(context, date)
    return await propose(context, "book_consultation", {"service": service, "date": date, "time": time})


async def free_times(context: Ctx, date: str | None) -> str:
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        day = parse_date_arg(date) or await today(uow)
        from datetime import timedelta

        slots = []
        for offset in range(7):
            slots = await technician_slots(uow, state.actor, day + timedelta(days=offset), 60, limit=50)
            if slots:
                break
        now = await local_now(uow)
    if not slots:
        return reply("I don't see a free time in the next week. Would you like someone to call you back?")
    picks = sorted({s.start for s in slots})[:3]
    times = speak_list([speak_time(p.astimezone(now.tzinfo)) for p in picks], "or")
    return reply(f"The first free times are {speak_date(picks[0].astimezone(now.tzinfo).date(), now.date())} "
                 f"at {times}. Which works for you?", slots=[p.isoformat() for p in picks], asking="when")


@function_tool
@speakable
async def ask_price(context: Ctx, service: str | None = None) -> str:
    """What a service costs, from the business's price list.

    Args:
        service: the service, e.g. "drain cleaning"
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        found = await inventory_svc.ask_price(uow, state.actor, service)
    if not found:
        return reply("I don't have a price list to read from; someone from the team can give you a quote.")
    lines = [f"{p.name} is {speak_money(p.unit_price_cents)}" for p in found]
    return reply(f"{sentence(speak_list(lines))}. A technician confirms the final price on site.",
                 prices={p.name: p.unit_price_cents for p in found})


@action("payment_promise")
async def _promise(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    day = parse_date_arg(a.get("date"))
    if day is None:
        raise InvalidInput("What date can you make the payment?")
    inv = await billing_svc.promise_payment(uow, actor, day, a.get("amount_cents"))
    amount = speak_money(a.get("amount_cents") or inv.balance_cents)
    return {"done": f"Thank you. I've noted {amount} by {speak_date(day, await today(uow))}."}


@function_tool
@speakable
async def payment_promise(context: Ctx, date: str | None = None, amount: float | None = None) -> str:
    """The caller says when they will pay (and how much).

    Args:
        date: YYYY-MM-DD
        amount: dollars
    """
    return await act(context, "payment_promise", {"date": date, "amount_cents": cents_arg(amount)})


@action("give_feedback")
async def _feedback(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    await svc.give_feedback(uow, actor, a.get("rating"), a.get("note"))
    low = a.get("rating") is not None and a["rating"] <= 2
    return {"done": "I'm sorry to hear that; I'll make sure the owner hears about it." if low
            else "Thank you, that really helps us!"}


@function_tool
@speakable
async def give_feedback(context: Ctx, rating: int | None = None, note: str | None = None) -> str:
    """A rating from 1 to 5 and/or a comment on the service.

    Args:
        rating: 1 to 5
        note: what they said
    """
    return await act(context, "give_feedback", {"rating": rating, "note": note})


@action("call_back_later")
async def _call_back(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    at = await start_from(uow, a.get("date"), a.get("time"), default_hour=10)
    if at is None:
        at = await start_from(uow, (await today(uow)).isoformat(), None, default_hour=17)
        if at is None or at <= await local_now(uow):
            raise InvalidInput("When is a better time to call?")
    await svc.call_back_later(uow, actor, at)
    return {"done": f"No problem, we'll call you back {await _when(uow, at)}. Goodbye!"}


@function_tool
@speakable
async def call_back_later(context: Ctx, date: str | None = None, time: str | None = None) -> str:
    """Now is not a good time: call the customer back later.

    Args:
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
    """
    out = await act(context, "call_back_later", {"date": date, "time": time})
    context.userdata.ended = context.userdata.ended or "call_back_later"
    return out


@action("not_interested")
async def _not_interested(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    await svc.not_interested(uow, actor)
    return {"done": "Understood, thank you for your time. Have a good day!"}


@function_tool
@speakable
async def not_interested(context: Ctx) -> str:
    """The caller declines the offer."""
    context.userdata.ended = "not_interested"
    return await act(context, "not_interested", {})


@action("opt_out")
async def _opt_out(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    await svc.stop_calling(uow, actor, a.get("source") or "asked on a call")
    return {"done": "Understood. I've taken your number off our call list and you won't hear from us again. "
                    "Goodbye."}


@function_tool
@speakable
async def opt_out(context: Ctx) -> str:
    """The caller asks not to be called again: on the do-not-call list at once, then end the call politely."""
    context.userdata.ended = "opt_out"
    return await act(context, "opt_out", {"source": f"asked on a {context.userdata.channel} call"})


@action("wrong_number")
async def _wrong_number(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    await svc.wrong_number(uow, actor, a.get("phone"))
    return {"done": "Sorry for the trouble, I'll update our records. Goodbye!"}


@function_tool
@speakable
async def wrong_number(context: Ctx) -> str:
    """The person who answered is not the customer being called."""
    context.userdata.ended = "wrong_number"
    return await act(context, "wrong_number", {"phone": context.userdata.handoff.get("called_number")})
