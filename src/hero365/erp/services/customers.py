"""What a customer on a call can do for their own account: the calling agents' operations.

The actor is the business's calling agent bound to one contact (Role.CALL_AGENT, actor.contact_id);
every lookup below goes through that binding, so nothing said on the call reaches another account.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.contacts import Contact, ContactKind, InteractionKind, LeadStatus, normalize_phone
from ..domain.errors import InvalidInput, NotFound
from ..domain.jobs import Job, JobStatus
from ..domain.tasks import Task, TaskKind
from ..domain.tenancy import Actor, Role
from ..store.uow import UnitOfWork
from .common import get_contact, log, now, resolve_job, zone
from .contacts import log_interaction, opt_out, schedule_follow_up
from .jobs import create_job, free_at, next_free_slot, reschedule_job, update_job_status


def _caller(actor: Actor) -> int:
    if actor.role != Role.CALL_AGENT or actor.contact_id is None:
        raise InvalidInput("This is for a customer on a call.")
    return actor.contact_id


async def caller(uow: UnitOfWork, actor: Actor) -> Contact:
    return await get_contact(uow, actor, _caller(actor))


async def my_job(uow: UnitOfWork, actor: Actor, number: int | None = None) -> Job:
    _caller(actor)
    return await resolve_job(uow, actor, number, None)


def spoken_time(at: datetime) -> str:
    """'Wednesday, November 25 at 3:00 PM': how a voice says a time (already in the business's zone)."""
    return f"{at:%A, %B} {at.day} at {at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


async def _not_available(uow: UnitOfWork, actor: Actor, start: datetime, minutes: int,
                         ignore_job_id: int | None = None) -> InvalidInput:
    """The refusal for a taken time, with the next free one (never who or what took it)."""
    nxt = await next_free_slot(uow, actor, start, minutes, ignore_job_id=ignore_job_id)
    hint = f" The next free time is {spoken_time(nxt.start.astimezone(await zone(uow)))}." if nxt else ""
    return InvalidInput("That time isn't available." + hint, next_free=nxt.start.isoformat() if nxt else None)


def _not_past(uow: UnitOfWork, start: datetime) -> None:
    if start <= now(uow):
        raise InvalidInput("That time has already passed. What day and time would suit you?")


async def reschedule_appointment(uow: UnitOfWork, actor: Actor, start: datetime, number: int | None = None) -> Job:
    """Move the caller's appointment to a free time; a taken time is refused with the nearest free one.

    The job keeps its technician when they are free then, else goes to a technician who is; the job's own
    current time doesn't count as taken (moving it by half an hour is fine)."""
    job = await my_job(uow, actor, number)
    _not_past(uow, start)
    await uow.lock("job")
    free = await free_at(uow, actor, start, job.duration_minutes, ignore_job_id=job.id)
    if not free:
        raise await _not_available(uow, actor, start, job.duration_minutes, ignore_job_id=job.id)
    if all(slot.technician_id != job.technician_id for slot in free):
        job.technician_id = free[0].technician_id
    job = await reschedule_job(uow, actor, start, job.number)
    await log_interaction(uow, actor, await caller(uow, actor), InteractionKind.CALL,
                          f"Rescheduled job {job.number} to {start.isoformat()}", job_id=job.id)
    return job


async def cancel_appointment(uow: UnitOfWork, actor: Actor, number: int | None = None) -> Job:
    job = await my_job(uow, actor, number)
    job = await update_job_status(uow, actor, JobStatus.CANCELLED, job.number, reason="cancelled by the customer")
    await log_interaction(uow, actor, await caller(uow, actor), InteractionKind.CALL,
                          f"Cancelled job {job.number}", job_id=job.id)
    return job


async def book_consultation(uow: UnitOfWork, actor: Actor, start: datetime, service: str | None = None,
                            duration_minutes: int = 60) -> Job:
    """A visit in a free slot: the exact time when free, else refused with the next free time."""
    contact = await caller(uow, actor)
    _not_past(uow, start)
    await uow.lock("job")
    free = await free_at(uow, actor, start, duration_minutes)
    if not free:
        raise await _not_available(uow, actor, start, duration_minutes)
    title = f"Consultation: {service}" if service else "Consultation"
    job = await create_job(uow, actor, contact.id or 0, title, start, duration_minutes, free[0].technician_id)
    await log_interaction(uow, actor, contact, InteractionKind.CALL, f"Booked {title} as job {job.number}",
                          job_id=job.id)
    return job


async def give_feedback(uow: UnitOfWork, actor: Actor, rating: int | None, note: str | None,
                        number: int | None = None) -> None:
    if rating is None and not (note and note.strip()):
        raise InvalidInput("How would you rate the work, from one to five?")
    if rating is not None and not 1 <= rating <= 5:
        raise InvalidInput("Please give a rating from one to five.")
    contact = await caller(uow, actor)
    try:
        job: Job | None = await resolve_job(uow, actor, number, None, open_only=False)
    except NotFound:
        job = None
    summary = (f"Rated {rating}/5" if rating is not None else "Feedback") + (f": {note.strip()}" if note else "")
    await log_interaction(uow, actor, contact, InteractionKind.FEEDBACK, summary, rating=rating,
                          job_id=job.id if job else None)
    log(uow, actor, "customer.feedback", "contact", contact.id, summary)


async def call_back_later(uow: UnitOfWork, actor: Actor, at: datetime) -> Task:
    contact = await caller(uow, actor)
    return await schedule_follow_up(uow, actor, contact.name, at, f"Call {contact.name} back", TaskKind.CALL_BACK,
                                    contact=contact)


async def not_interested(uow: UnitOfWork, actor: Actor, reason: str | None = None) -> Contact:
    contact = await caller(uow, actor)
    if contact.kind == ContactKind.LEAD:
        contact.lead_status = LeadStatus.LOST
    summary = "Not interested" + (f": {reason}" if reason else "")
    await log_interaction(uow, actor, contact, InteractionKind.CALL, summary)
    log(uow, actor, "customer.not_interested", "contact", contact.id, reason or "")
    return contact


async def stop_calling(uow: UnitOfWork, actor: Actor, source: str = "asked on a call") -> Contact:
    return await opt_out(uow, actor, _caller(actor), source)


async def wrong_number(uow: UnitOfWork, actor: Actor, phone: str | None = None) -> Contact:
    """The person who answered isn't our contact: note it and stop calling that number for them."""
    contact = await caller(uow, actor)
    if phone:
        phone = normalize_phone(phone)  # however the dialer wrote it, it is stored in E.164
        contact.phones = [p for p in contact.phones if p.number != phone]
    await log_interaction(uow, actor, contact, InteractionKind.CALL,
                          f"Wrong number{f' ({phone})' if phone else ''}: the person who answered isn't {contact.name}")
    log(uow, actor, "customer.wrong_number", "contact", contact.id, phone or "")
    return contact


