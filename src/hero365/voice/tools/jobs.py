"""Schedule and job tools for the personal assistant."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from livekit.agents import function_tool

from ...erp.domain.errors import InvalidInput
from ...erp.domain.jobs import JobStatus
from ...erp.domain.tenancy import Actor
from ...erp.services import jobs as svc
from ...erp.services.common import find_contact, local_now, today
from ...erp.store.uow import UnitOfWork
from ..say import plural, sentence, speak_date, speak_time, speak_when
from .base import Ctx, act, action, parse_date_arg, propose, reply, speakable, spoken_list, start_from

STATUS_WORDS = {s.value: s for s in JobStatus}


def _line(row: dict[str, Any], tz: Any, with_day: date | None = None) -> str:
    start = datetime.fromisoformat(row["start"]).astimezone(tz) if row["start"] else None
    when = (speak_when(start, with_day) if with_day else speak_time(start)) if start else "unscheduled"
    where = f" on {row['address'].split(',')[0]}" if row["address"] else ""
    return sentence(f"{when}, job {row['number']}, {row['title']} for {row['customer']}{where}.")


@function_tool
@speakable
async def get_schedule(context: Ctx, date: str | None = None, next_only: bool = False) -> str:
    """The user's jobs on a day, in time order (today when no date is given).

    Args:
        date: the day, as YYYY-MM-DD
        next_only: only the next job ("what's next", "my next appointment"; the first one on another day)
    """
    state = context.userdata
    async with state.store.uow(state.business_id) as uow:
        now = await local_now(uow)  # once: the business's zone is read for it
        day = parse_date_arg(date) or now.date()
        rows = await svc.get_schedule(uow, state.actor, day)
    tz = now.tzinfo
    when = speak_date(day, now.date())
    if day == now.date():
        later = [r for r in rows if r["status"] in ("scheduled", "in_progress", "on_hold")
                 and (r["end"] is None or datetime.fromisoformat(r["end"]) > now)]
        if rows and not later:  # the day's work is behind us: say so rather than read it out as if ahead
            done = sum(r["status"] == "completed" for r in rows)
            how = ("both done" if done == 2 == len(rows) else "all done" if done == len(rows) > 1
                   else "done" if done == len(rows) else f"{done} done")
            return reply(f"Nothing else is on for today. You had {plural(len(rows), 'job')}, {how}.",
                         date=day.isoformat(), jobs=rows)
        rows = later or rows
    if next_only and rows:  # the one job asked for, and how many follow, not the day read out
        after = len(rows) - 1
        context.userdata.focus.update({"job": rows[0]["number"]})
        rest = f" After that, {plural(after, 'more job')} {when}." if after else f" It's the last one {when}."
        return reply(f"{'Next' if day == now.date() else 'First'}: {_line(rows[0], tz)}{rest}",
                     date=day.isoformat(), jobs=rows[:1], more=after)
    intro = f"You have {plural(len(rows), 'job')} {when}." if rows else ""
    say, texted = await spoken_list(context, intro, [_line(r, tz) for r in rows], f"Nothing is scheduled {when}.")
    context.userdata.focus.update({"job": rows[0]["number"]} if len(rows) == 1 else {})
    return reply(say, date=day.isoformat(), jobs=rows, texted=texted)


@function_tool
@speakable
async def list_upcoming_jobs(context: Ctx, days: int | None = None) -> str:
    """Open jobs in the next N days (7 when not given).

    Args:
        days: how many days ahead to look
    """
    state = context.userdata
    n = days or 7
    async with state.store.uow(state.business_id) as uow:
        rows = await svc.list_upcoming_jobs(uow, state.actor, n)
        now = await local_now(uow)
    lines = [_line(r, now.tzinfo, now.date()) for r in rows]
    say, texted = await spoken_list(context, f"You have {plural(len(rows), 'job')} in the next {plural(n, 'day')}.",
                                    lines, f"No jobs in the next {plural(n, 'day')}.")
    return reply(say, jobs=rows, texted=texted)


@function_tool
@speakable
async def get_job_details(context: Ctx, job: int | None = None, customer: str | None = None) -> str:
    """One job: customer, address, time, status and notes.

    Args:
        job: the job number
        customer: the customer's name, for "the Johnson job"
    """
    state = context.userdata
    job = job or (state.focus.get("job") if not customer else None)
    async with state.store.uow(state.business_id) as uow:
        row = await svc.get_job_details(uow, state.actor, job, customer)
        now = await local_now(uow)
    start = datetime.fromisoformat(row["start"]).astimezone(now.tzinfo) if row["start"] else None
    parts = [f"Job {row['number']} is {row['title']} for {row['customer']}",
             f"at {row['address']}" if row["address"] else "",
             f"{speak_when(start, now.date())}" if start else "not yet scheduled"]
    say = " ".join(p for p in parts if p) + f". It's {row['status'].replace('_', ' ')}"
    say += f", with {row['technician']}." if row["technician"] else "."
    if row["notes"]:
        say += f" Latest note: {row['notes'][-1]}"
    state.focus.update({"job": row["number"], "customer": row["customer"]})
    return reply(say, job=row)


@action("create_job")
async def _create_job(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    contact = await find_contact(uow, actor, a["customer"])
    start = await start_from(uow, a.get("date"), a.get("time"))
    title = a.get("title") or "Service call"
    job = await svc.create_job(uow, actor, contact.id or 0, title, start, a.get("duration_minutes") or 60)
    day = await today(uow)
    tech = next((m.user.name for m in await uow.members.all() if m.user_id == job.technician_id and m.user), None)
    when = speak_when(start.astimezone((await local_now(uow)).tzinfo), day) if start else "with no time yet"
    who = f" with {tech}" if tech else ""
    return {"job": job.number, "customer": contact.name, "contact_id": contact.id, "start": start,
            "ask": f"A new job for {contact.name}: {title}, {when}{who}.",
            "done": f"Done. Job {job.number} is booked for {contact.name}, {when}{who}."}


@function_tool
@speakable
async def create_job(context: Ctx, customer: str, title: str | None = None, date: str | None = None,
                     time: str | None = None, duration_minutes: int | None = None) -> str:
    """Book a new job for a customer. Needs the user's confirmation before it is saved.

    Args:
        customer: the customer's name
        title: what the job is for, e.g. "replace the water heater"
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
        duration_minutes: how long it will take
    """
    return await propose(context, "create_job", {"customer": customer, "title": title, "date": date, "time": time,
                                                 "duration_minutes": duration_minutes})


@action("update_job_status")
async def _update_status(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    status = STATUS_WORDS[a["status"]]
    job = await svc.update_job_status(uow, actor, status, a.get("job"), a.get("customer"))
    contact = await uow.contacts.get(job.contact_id)
    name = contact.name if contact else "the customer"
    return {"job": job.number, "customer": name, "status": status.value,
            "ask": f"Cancel job {job.number} for {name}.",
            "done": f"Job {job.number} for {name} is now {status.spoken}."}


@function_tool
@speakable
async def update_job_status(context: Ctx, status: str, job: int | None = None, customer: str | None = None) -> str:
    """Move a job to a status: scheduled, in_progress, on_hold, completed or cancelled. Cancelling asks first.

    Args:
        status: scheduled, in_progress, on_hold, completed or cancelled
        job: the job number
        customer: the customer's name, for "the Johnson job"
    """
    if status not in STATUS_WORDS:
        raise InvalidInput(f"I can set a job to scheduled, in progress, on hold, completed or cancelled, not {status}.")
    state = context.userdata
    args = {"status": status, "job": job or (state.focus.get("job") if not customer else None), "customer": customer}
    if args["job"] is None and not customer:
        raise InvalidInput("Which job? Tell me its number or the customer's name.")
    if status == JobStatus.CANCELLED.value:
        return await propose(context, "update_job_status", args)
    return await act(context, "update_job_status", args)


@action("reschedule_job")
async def _reschedule(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    from ...erp.services.common import resolve_job

    job = await resolve_job(uow, actor, a.get("job"), a.get("customer"), changing=True)
    tz = (await local_now(uow)).tzinfo
    current = job.scheduled_start.astimezone(tz) if job.scheduled_start else None
    day = a.get("date") or (current.date().isoformat() if current and a.get("time") else None)
    if day is None and a.get("time") is None:
        raise InvalidInput(f"When should job {job.number} move to?")
    hour = f"{current.hour:02d}:{current.minute:02d}" if current else None
    start = await start_from(uow, day, a.get("time") or hour, default_hour=9)
    assert start is not None
    job = await svc.reschedule_job(uow, actor, start, job.number)
    contact = await uow.contacts.get(job.contact_id)
    when = speak_when(start, await today(uow))
    name = contact.name if contact else "the customer"
    return {"job": job.number, "customer": name, "start": start,
            "ask": f"Move job {job.number} for {name} to {when}.",
            "done": f"Job {job.number} for {name} is now {when}."}


@function_tool
@speakable
async def reschedule_job(context: Ctx, job: int | None = None, customer: str | None = None, date: str | None = None,
                         time: str | None = None) -> str:
    """Move a job to a new date and/or time. Needs the user's confirmation.

    Args:
        job: the job number
        customer: the customer's name, for "the Smith appointment"
        date: YYYY-MM-DD
        time: HH:MM, 24-hour
    """
    state = context.userdata
    return await propose(context, "reschedule_job", {
        "job": job or (state.focus.get("job") if not customer else None), "customer": customer, "date": date,
        "time": time})


@action("add_job_note")
async def _note(uow: UnitOfWork, actor: Actor, a: dict[str, Any]) -> dict[str, Any]:
    job = await svc.add_job_note(uow, actor, a["note"], a.get("job"), a.get("customer"))
    return {"job": job.number, "done": f"Noted on job {job.number}."}


@function_tool
@speakable
async def add_job_note(context: Ctx, note: str, job: int | None = None, customer: str | None = None) -> str:
    """Attach a note to a job.

    Args:
        note: the text of the note
        job: the job number
        customer: the customer's name
    """
    state = context.userdata
    return await act(context, "add_job_note", {
        "note": note, "job": job or (state.focus.get("job") if not customer else None), "customer": customer})


