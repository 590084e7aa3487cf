"""Technician working hours and free slots: where new work and consultations can go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .jobs import Job
from .tenancy import TenantOwned


@dataclass(eq=False)
class WorkingHours(TenantOwned):
    """One weekday's hours for a technician (weekday 0 = Monday), in the business's zone."""

    business_id: int
    user_id: int
    weekday: int
    start: time
    end: time
    id: int | None = None


@dataclass(frozen=True)
class Slot:
    technician_id: int
    start: datetime
    end: datetime


def free_slots(technician_id: int, day: date, tz: str, hours: Iterable[WorkingHours], jobs: Iterable[Job],
               duration_minutes: int, step_minutes: int = 30, not_before: datetime | None = None) -> list[Slot]:
    """Start times on `day` where the technician works and has no open job for `duration_minutes`."""
    zone = ZoneInfo(tz)
    busy = sorted((j.scheduled_start, j.scheduled_end) for j in jobs
                  if j.is_open and j.scheduled_start is not None and j.scheduled_end is not None)
    slots: list[Slot] = []
    length, step = timedelta(minutes=duration_minutes), timedelta(minutes=step_minutes)
    for block in (h for h in hours if h.weekday == day.weekday() and h.user_id == technician_id):
        cursor = datetime.combine(day, block.start, zone)
        close = datetime.combine(day, block.end, zone)
        while cursor + length <= close:
            end = cursor + length
            if (not_before is None or cursor >= not_before) and all(
                    not (s < end and cursor < e) for s, e in busy):
                slots.append(Slot(technician_id, cursor, end))
            cursor += step
    return slots
