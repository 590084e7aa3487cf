"""Jobs and the schedule: what the technician's day looks like, and every change to a job."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from ..domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..domain.jobs import Job, JobStatus, check_slot, ensure_free
from ..domain.scheduling import Slot, free_slots
from ..domain.tenancy import Actor, Permission, Role
from ..store.uow import UnitOfWork
from .common import get_contact, local_now, log, now, resolve_job, zone


async def local_datetime(uow: UnitOfWork, day: date, at: time) -> datetime:
    """A date and wall-clock time in the business's zone."""
    return datetime.combine(day, at, await zone(uow))


async def _day_bounds(uow: UnitOfWork, day: date, days: int = 1) -> tuple[datetime, datetime]:
    tz = await zone(uow)
    start = datetime.combine(day, time(0), tz)
    return start, datetime.combine(day + timedelta(days=days), time(0), tz)


async def _names(uow: UnitOfWork) -> dict[int, str]:
    return {m.user_id: (m.user.name if m.user else f"user {m.user_id}") for m in await uow.members.all()}


async def _summaries(uow: UnitOfWork, jobs: list[Job]) -> list[dict[str, Any]]:
    contacts = await uow.contacts.get_many([j.contact_id for j in jobs])
    techs = await _names(uow)
    out = []
    for j in jobs:
        c = contacts.get(j.contact_id)
        out.append({
            "number": j.number, "title": j.title, "status": j.status.value,
            "customer": c.name if c else None, "contact_id": j.contact_id,
            "address": j.address_line or (c.address_line if c else ""),
            "start": j.scheduled_start.isoformat() if j.scheduled_start else None,
            "end": j.scheduled_end.isoformat() if j.scheduled_end else None,
            "duration_minutes": j.duration_minutes,
            "technician_id": j.technician_id, "technician": techs.get(j.technician_id or 0),
        })
    return out


def _tech_filter(actor: Actor, technician_id: int | None) -> int | None:
    if actor.role == Role.CALL_AGENT:
        raise NotFound("I can only talk about your own appointments.")
    if not actor.sees_all_jobs:
        return actor.user_id
    return technician_id


async def get_schedule(uow: UnitOfWork, actor: Actor, day: date | None = None,
                       technician_id: int | None = None) -> list[dict[str, Any]]:
    """The jobs on a day (today by default), the technician's own or everyone's. Cached per generation."""
    day = day or (await local_now(uow)).date()
    tech = _tech_filter(actor, technician_id)

    async def load() -> list[dict[str, Any]]:
        start, end = await _day_bounds(uow, day)
        return await _summaries(uow, await uow.jobs.between(start, end, tech))

    return await uow.cached(("jobs", "contacts", "members"),
                            f"schedule:{day.isoformat()}:{tech or 'all'}", load)


async def list_upcoming_jobs(uow: UnitOfWork, actor: Actor, days: int = 7,
                             technician_id: int | None = None) -> list[dict[str, Any]]:
    """Open jobs from now through the next `days` days."""
    if not 1 <= days <= 90:
        raise InvalidInput("I can look between 1 and 90 days ahead.")
    tech = _tech_filter(actor, technician_id)
    start = now(uow)
    _, end = await _day_bounds(uow, (await local_now(uow)).date(), days + 1)
    return await _summaries(uow, await uow.jobs.between(start, end, tech, open_only=True))


async def get_job_details(uow: UnitOfWork, actor: Actor, number: int | None = None,
                          customer: str | None = None) -> dict[str, Any]:
    job = await resolve_job(uow, actor, number, customer, open_only=not number)
    summary = (await _summaries(uow, [job]))[0]
    summary["description"] = job.description
    summary["notes"] = [n.text for n in job.notes]
    summary["history"] = [{"from": h.from_status.value if h.from_status else None, "to": h.to_status.value,
                           "at": h.at.isoformat()} for h in job.history]
    return summary


async def _pick_technician(uow: UnitOfWork, actor: Actor, start: datetime, minutes: int,
                           technician_id: int | None) -> tuple[int | None, str]:
    """The technician asked for, the acting technician, or the first one free at that time."""
    names = await _names(uow)
    if technician_id is not None:
        if technician_id not in names:
            raise NotFound("That technician isn't on the team.")
        candidates = [technician_id]
    elif actor.role == Role.TECHNICIAN and actor.user_id is not None:
        candidates = [actor.user_id]
    else:
        candidates = [m.user_id for m in await uow.members.all() if m.role == Role.TECHNICIAN]
        if not candidates:
            return None, ""
    last_error: Conflict | None = None
    for tech in candidates:
        others = await uow.jobs.for_technician_near(tech, start, start + timedelta(minutes=minutes))
        try:
            ensure_free(names.get(tech, "The technician"), start, minutes, others)
            return tech, names.get(tech, "")
        except Conflict as exc:
            last_error = exc
    if len(candidates) > 1:
        raise Conflict("No technician is free at that time.")
    assert last_error is not None
    raise last_error


async def create_job(uow: UnitOfWork, actor: Actor, contact_id: int, title: str, start: datetime | None = None,
                     duration_minutes: int = 60, technician_id: int | None = None,
                     description: str | None = None, project_id: int | None = None) -> Job:
    """A new job with the next number; the technician is checked for double-booking."""
    if actor.role != Role.CALL_AGENT:
        actor.require(Permission.JOBS_CREATE if actor.sees_all_jobs else Permission.JOBS_MANAGE_OWN, "create jobs")
    if (actor.role == Role.TECHNICIAN and technician_id is not None and technician_id != actor.user_id):
        raise PermissionDenied("You can book jobs for yourself only; the office assigns other technicians.")
    contact = await get_contact(uow, actor, contact_id)
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("What's the job for?")
    if not 5 <= duration_minutes <= 24 * 60:
        raise InvalidInput("A job must last between 5 minutes and a day.")
    if start is not None:
        check_slot(start, duration_minutes)  # a zone first: a naive time can't be compared with now
        if start < now(uow) - timedelta(hours=12):
            raise InvalidInput("That time is in the past.")
    # Numbering locks the business's job counter until commit, so concurrent bookings are serialized here and
    # the availability check below sees every job committed before it (no double-booking under concurrency).
    number = await uow.next_number("job")
    if start is not None:
        tech, _ = await _pick_technician(uow, actor, start, duration_minutes, technician_id)
    elif technician_id is not None:
        if technician_id not in await _names(uow):
            raise NotFound("That technician isn't on the team.")
        tech = technician_id
    else:  # unscheduled: a technician's own job stays theirs (or they could never see it again)
        tech = actor.user_id if actor.role == Role.TECHNICIAN else None
    job = Job(business_id=actor.business_id, number=number, title=title,
              contact_id=contact_id, scheduled_start=start, duration_minutes=duration_minutes, technician_id=tech,
              description=description, street=contact.street, city=contact.city, state=contact.state,
              postal_code=contact.postal_code, project_id=project_id, created_at=now(uow), updated_at=now(uow))
    uow.jobs.add(job)
    await uow.flush()
    log(uow, actor, "job.created", "job", job.id, f"Job {job.number} {title} for {contact.name}")
    return job


async def update_job_status(uow: UnitOfWork, actor: Actor, status: JobStatus, number: int | None = None,
                            customer: str | None = None, reason: str | None = None) -> Job:
    job = await resolve_job(uow, actor, number, customer, changing=True)
    if actor.role == Role.CALL_AGENT and status != JobStatus.CANCELLED:
        raise PermissionDenied("On a call I can cancel an appointment, but not change how the work is going.")
    before = job.status
    job.change_status(status, now(uow), actor.user_id, reason)
    await uow.flush()
    log(uow, actor, "job.status", "job", job.id, f"Job {job.number}: {before.value} -> {status.value}")
    return job


async def reschedule_job(uow: UnitOfWork, actor: Actor, start: datetime, number: int | None = None,
                         customer: str | None = None, duration_minutes: int | None = None) -> Job:
    await uow.lock("job")  # serialized with bookings and other moves: the free check below can't go stale
    job = await resolve_job(uow, actor, number, customer, changing=True)
    minutes = duration_minutes or job.duration_minutes
    check_slot(start, minutes)
    if start < now(uow):
        raise InvalidInput("That time has already passed.")
    if job.technician_id is not None:
        names = await _names(uow)
        others = await uow.jobs.for_technician_near(job.technician_id, start, start + timedelta(minutes=minutes))
        ensure_free(names.get(job.technician_id, "The technician"), start, minutes, others, ignore_job_id=job.id)
    old = job.scheduled_start
    job.reschedule(start, duration_minutes, now(uow))
    await uow.flush()
    log(uow, actor, "job.rescheduled", "job", job.id,
        f"Job {job.number}: {old.isoformat() if old else 'unscheduled'} -> {start.isoformat()}")
    return job


async def add_job_note(uow: UnitOfWork, actor: Actor, note: str, number: int | None = None,
                       customer: str | None = None) -> Job:
    job = await resolve_job(uow, actor, number, customer, changing=True, open_only=not number)
    job.add_note(note, now(uow), actor.user_id)
    await uow.flush()
    log(uow, actor, "job.note", "job", job.id, note[:200])
    return job


async def confirm_appointment(uow: UnitOfWork, actor: Actor, number: int | None = None) -> Job:
    """The customer keeps the appointment."""
    job = await resolve_job(uow, actor, number, None)
    if job.status != JobStatus.SCHEDULED:
        raise InvalidInput(f"That appointment is {job.status.spoken}.")
    job.confirmed_at = now(uow)
    await uow.flush()
    log(uow, actor, "job.confirmed", "job", job.id, f"Job {job.number} confirmed by the customer")
    return job


async def technician_slots(uow: UnitOfWork, actor: Actor, day: date, duration_minutes: int = 60,
                           technician_id: int | None = None, limit: int = 20,
                           ignore_job_id: int | None = None) -> list[Slot]:
    """Free start times on a day across the team (or one technician), earliest first, none in the past.
    `ignore_job_id`: a job being moved, whose own time doesn't count as taken."""
    tz = (await uow.business()).timezone
    techs = [technician_id] if technician_id else [m.user_id for m in await uow.members.all()
                                                  if m.role == Role.TECHNICIAN]
    if actor.role == Role.TECHNICIAN and actor.user_id is not None and technician_id is None:
        techs = [actor.user_id]
    start, end = await _day_bounds(uow, day)
    hours_by_tech: dict[int, list] = {}
    for h in await uow.hours.for_users(techs):
        if h.weekday == day.weekday():
            hours_by_tech.setdefault(h.user_id, []).append(h)
    busy_by_tech: dict[int | None, list] = {}
    for j in await uow.jobs.between(start - timedelta(days=1), end, open_only=True):
        if ignore_job_id is None or j.id != ignore_job_id:
            busy_by_tech.setdefault(j.technician_id, []).append(j)
    slots: list[Slot] = []
    for tech in techs:
        if tech in hours_by_tech:  # grouped once: no per-technician scans of the whole team's rows
            slots += free_slots(tech, day, tz, hours_by_tech[tech], busy_by_tech.get(tech, []), duration_minutes,
                                not_before=now(uow))
    slots.sort(key=lambda s: (s.start, s.technician_id))
    return slots[:limit]


async def free_at(uow: UnitOfWork, actor: Actor, start: datetime, duration_minutes: int = 60,
                  ignore_job_id: int | None = None) -> list[Slot]:
    """The team's free slots that start exactly at `start` (one per free technician)."""
    check_slot(start, duration_minutes)
    day = start.astimezone(await zone(uow)).date()
    return [s for s in await technician_slots(uow, actor, day, duration_minutes, limit=500,
                                              ignore_job_id=ignore_job_id) if s.start == start]


async def next_free_slot(uow: UnitOfWork, actor: Actor, after: datetime, duration_minutes: int = 60,
                         search_days: int = 14, ignore_job_id: int | None = None) -> Slot | None:
    """The first free slot at or after `after` (the exact time if it is free)."""
    check_slot(after, duration_minutes)
    day = after.astimezone(await zone(uow)).date()
    for offset in range(search_days):
        for slot in await technician_slots(uow, actor, day + timedelta(days=offset), duration_minutes, limit=500,
                                           ignore_job_id=ignore_job_id):
            if slot.start >= after:
                return slot
    return None
