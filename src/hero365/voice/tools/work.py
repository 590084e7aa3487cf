"""Project, contact, inventory, reminder, location and account tools for the personal assistant."""

from __future__ import annotations

from typing import Any

from livekit.agents import function_tool

from ...erp.domain.contacts import speak_phone
from ...erp.domain.errors import InvalidInput
from ...erp.domain.money import speak_money
from ...erp.domain.tenancy import Actor
from ...erp.services import contacts as contacts_svc
from ...erp.services import inventory as inventory_svc
from ...erp.services import location as location_svc
from ...erp.services import projects as projects_svc
from ...erp.services import tasks as tasks_svc
from ...erp.services.common import today
from ...erp.store.uow import UnitOfWork
from ..say import plural, sentence, speak_date, speak_list, speak_when
from .base import Ctx, act, action, in_focus, parse_date_arg, propose, reply, speakable, start_from

# --- projects ---


@function_tool
@speakable
async def get_project_status(context: Ctx, project: int | None = None, customer: str | None = None) -> str:
    """A project's progress, next milestone and budget.

    Args:
        project: the project number
        customer: the customer's name, for "the Henderson remodel"
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        p = await projects_svc.get_project_status(uow, state.actor, in_focus(context, "project", project, customer),
                                                  customer)
        day = await today(uow)
    say = f"Project {p.number}, {p.name}, is {p.percent_complete} percent complete"
    nxt = p.next_milestone()
    if nxt:
        due = f", due {speak_date(nxt.due_date, day)}" if nxt.due_date else ""
        say += f". Next milestone: {nxt.title}{due}"
    if p.budget_cents:
        say += (f". {speak_money(p.spent_cents)} spent of the {speak_money(p.budget_cents)} budgeted"
                + (", over budget." if p.over_budget else "."))
    else:
        say += "."
    state.focus["project"] = p.number
    return reply(say, project=p.number, percent=p.percent_complete, budget_cents=p.budget_cents,
                 spent_cents=p.spent_cents)


@action("update_project_progress")
async def _progress(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    p = await projects_svc.update_project_progress(uow, actor, a["percent"], a.get("project"), a.get("customer"))
    return {"project": p.number, "done": f"Project {p.number}, {p.name}, is now {p.percent_complete} percent done."}


@function_tool
@speakable
async def update_project_progress(context: Ctx, percent: int, project: int | None = None,
                                  customer: str | None = None) -> str:
    """Set a project's percent complete.

    Args:
        percent: 0 to 100
        project: the project number
        customer: the customer's name
    """
    return await act(context, "update_project_progress", {
        "percent": percent, "project": in_focus(context, "project", project, customer), "customer": customer})


@action("create_project_milestone")
async def _milestone(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    due = parse_date_arg(a.get("date"))
    m = await projects_svc.create_project_milestone(uow, actor, a["title"], due, a.get("project"), a.get("customer"))
    p = await uow.projects.get(m.project_id or 0)
    when = f", due {speak_date(due, await today(uow))}" if due else ""
    return {"project": p.number if p else None, "done": f"Added the milestone {m.title}{when}."}


@function_tool
@speakable
async def create_project_milestone(context: Ctx, title: str, project: int | None = None, customer: str | None = None,
                                   date: str | None = None) -> str:
    """Add a milestone to a project.

    Args:
        title: the milestone, e.g. "drywall finished"
        project: the project number
        customer: the customer's name
        date: due date, YYYY-MM-DD
    """
    return await act(context, "create_project_milestone", {
        "title": title, "project": in_focus(context, "project", project, customer), "customer": customer,
        "date": date})


# --- contacts ---


@function_tool
@speakable
async def get_contact_info(context: Ctx, customer: str, detail: str | None = None) -> str:
    """A contact's phone, address, open jobs and balance; or only the one detail asked for.

    Args:
        customer: the contact's name
        detail: "phone" or "address" when only that was asked ("what's Karen's number")
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        info = await contacts_svc.get_contact_info(uow, state.actor, customer)
    c = info.contact
    state.focus.update({"customer": c.name, "contact_id": c.id})
    data = {"contact_id": c.id, "phone": c.primary_phone, "email": c.email, "address": c.address_line,
            "open_jobs": [j.number for j in info.open_jobs], "balance_cents": info.balance_cents}
    dnc = " They're on the do-not-call list." if c.do_not_call else ""
    if detail == "phone":  # the answer to the question asked, not the whole card read out
        say = (f"{c.name}'s phone is {speak_phone(c.primary_phone)}." if c.primary_phone
               else f"There's no phone number on file for {c.name}.")
        return reply(say + dnc, **data)
    if detail == "address":
        say = f"{c.name} is at {c.address_line}." if c.address_line else f"There's no address on file for {c.name}."
        return reply(say, **data)
    parts = [f"{c.name}" + (f" of {c.company}" if c.company else "")]
    if c.primary_phone:
        parts.append(f"phone {speak_phone(c.primary_phone)}")
    if c.address_line:
        parts.append(f"at {c.address_line}")
    say = ", ".join(parts) + "."
    if info.open_jobs:
        say += f" {plural(len(info.open_jobs), 'open job')}: " + speak_list(
            [f"job {j.number}, {j.title}" for j in info.open_jobs[:3]]) + "."
    if info.balance_cents:
        say += f" They owe {speak_money(info.balance_cents)}."
    return reply(say + dnc, **data)


@action("create_contact")
async def _create_contact(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    c = await contacts_svc.create_contact(uow, actor, a["customer"], a.get("phone"))
    phone = f" with phone {speak_phone(c.primary_phone)}" if c.primary_phone else ""
    return {"contact_id": c.id, "customer": c.name, "done": f"Added {c.name}{phone}."}


@function_tool
@speakable
async def create_contact(context: Ctx, customer: str, phone: str | None = None) -> str:
    """Add a new contact.

    Args:
        customer: the person's or company's name
        phone: their phone number
    """
    return await act(context, "create_contact", {"customer": customer.title() if customer.islower() else customer,
                                                 "phone": phone})


@action("add_contact_note")
async def _contact_note(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    i = await contacts_svc.add_contact_note(uow, actor, a["customer"], a["note"])
    c = await uow.contacts.get(i.contact_id)
    return {"contact_id": i.contact_id, "done": f"Noted on {c.name if c else 'the contact'}'s record."}


@function_tool
@speakable
async def add_contact_note(context: Ctx, customer: str, note: str) -> str:
    """Log a note or interaction on a contact.

    Args:
        customer: the contact's name
        note: what to note
    """
    return await act(context, "add_contact_note", {"customer": customer, "note": note})


@action("schedule_follow_up")
async def _follow_up(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    due = await start_from(uow, a.get("date"), a.get("time"), default_hour=9)
    if due is None:
        raise InvalidInput("When should I remind you to follow up?")
    t = await contacts_svc.schedule_follow_up(uow, actor, a["customer"], due)
    title = t.title[:1].lower() + t.title[1:]  # "Follow up with Bob Smith" -> "follow up with Bob Smith"
    return {"task": t.id, "done": f"I'll remind you to {title} {speak_when(due, await today(uow))}."}


@function_tool
@speakable
async def schedule_follow_up(context: Ctx, customer: str, date: str | None = None, time: str | None = None) -> str:
    """A follow-up task with a contact at a date and time.

    Args:
        customer: the contact's name
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
    """
    return await act(context, "schedule_follow_up", {"customer": customer, "date": date, "time": time})


# --- inventory ---


@function_tool
@speakable
async def check_inventory(context: Ctx, product: str) -> str:
    """Stock on hand for a product, and any order on the way.

    Args:
        product: the product's name or SKU
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        p, orders = await inventory_svc.check_inventory(uow, state.actor, product)
    unit = "" if p.unit == "each" else f" {p.unit}"
    say = f"{sentence(p.name)}: {p.stock_on_hand}{unit} in stock"
    say += ", at or below the reorder point." if p.low_stock else "."
    if orders:
        say += f" {sum(o.quantity for o in orders)} more on order."
    return reply(say, sku=p.sku, stock=p.stock_on_hand, reorder_point=p.reorder_point, low=p.low_stock,
                 on_order=sum(o.quantity for o in orders))


@action("reorder_product")
async def _reorder(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    po = await inventory_svc.reorder_product(uow, actor, a["product"], a.get("quantity"))
    p = await uow.products.get(po.product_id)
    unit = "" if p is None or p.unit == "each" else f" {p.unit}"
    # "40 gallon water heater, quantity 6, from Ferguson": no plural to get wrong
    what = ", ".join([p.name if p else "the product", f"quantity {po.quantity}{unit}",
                      *([f"from {po.supplier}"] if po.supplier else [])])
    return {"purchase_order": po.number, "ask": f"Order {what}, {speak_money(po.total_cents)}.",
            "done": f"Purchase order {po.number} placed: {what}."}


@function_tool
@speakable
async def reorder_product(context: Ctx, product: str, quantity: int | None = None) -> str:
    """Order more of a product from its supplier (the usual quantity when none given). Needs confirmation.

    Args:
        product: the product's name or SKU
        quantity: how many to order
    """
    return await propose(context, "reorder_product", {"product": product, "quantity": quantity})


# --- reminders, directions, weather, businesses ---


@action("set_reminder")
async def _reminder(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    due = await start_from(uow, a.get("date"), a.get("time"), default_hour=9)
    if due is None:
        raise InvalidInput("When should I remind you?")
    t = await tasks_svc.set_reminder(uow, actor, a["note"], due)
    return {"task": t.id, "done": f"I'll remind you {speak_when(due, await today(uow))}: {t.title}."}


@function_tool
@speakable
async def set_reminder(context: Ctx, note: str, date: str | None = None, time: str | None = None) -> str:
    """A personal reminder at a date and time.

    Args:
        note: what to remind about
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
    """
    return await act(context, "set_reminder", {"note": note, "date": date, "time": time})


@function_tool
@speakable
async def get_directions(context: Ctx, job: int | None = None, customer: str | None = None) -> str:
    """Route and travel time to a job's address.

    Args:
        job: the job number
        customer: the customer's name
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        number, address, route = await location_svc.get_directions(
            uow, state.actor, state.directions, job or (state.focus.get("job") if not customer else None), customer)
    return reply(f"Job {number} at {address} is {route.minutes} minutes away, {route.miles:.0f} miles. {route.summary}",
                 job=number, address=address, minutes=route.minutes)


@function_tool
@speakable
async def get_weather(context: Ctx, job: int | None = None, customer: str | None = None,
                      date: str | None = None) -> str:
    """The forecast at a job's location.

    Args:
        job: the job number
        customer: the customer's name
        date: YYYY-MM-DD
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        day = parse_date_arg(date) or await today(uow)
        number, _address, f = await location_svc.get_weather(
            uow, state.actor, state.weather, day, job or (state.focus.get("job") if not customer else None), customer)
    return reply(f"At job {number}: {f.summary}, high {f.high_f}, low {f.low_f}, "
                 f"{f.rain_chance} percent chance of rain.", job=number)


@function_tool
@speakable
async def switch_business(context: Ctx, business: str) -> str:
    """Act for another business the user belongs to.

    Args:
        business: the business's name
    """
    from ...erp.services.businesses import switch_business as svc_switch

    state = context.userdata
    actor = await svc_switch(state.store, state.actor, business)
    async with state.store.directory() as uow:
        found = await uow.directory.business(actor.business_id)
    state.actor, state.focus, state.pending = actor, {}, None
    return reply(f"You're now working in {found.name if found else 'that business'}, as {actor.role.value}.",
                 business_id=actor.business_id)
