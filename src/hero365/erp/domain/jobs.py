"""Jobs: a number people can say, a status machine, a history, notes, and no double-booking."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import Conflict, IllegalTransition, InvalidInput
from .tenancy import TenantOwned


class JobStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def spoken(self) -> str:
        return self.value.replace("_", " ")


#: scheduled -> in_progress -> on_hold -> completed | cancelled, and back from hold.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.SCHEDULED: frozenset({JobStatus.IN_PROGRESS, JobStatus.ON_HOLD, JobStatus.COMPLETED,
                                    JobStatus.CANCELLED}),
    JobStatus.IN_PROGRESS: frozenset({JobStatus.ON_HOLD, JobStatus.COMPLETED, JobStatus.CANCELLED}),
    JobStatus.ON_HOLD: frozenset({JobStatus.IN_PROGRESS, JobStatus.SCHEDULED, JobStatus.COMPLETED,
                                  JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({JobStatus.SCHEDULED, JobStatus.IN_PROGRESS, JobStatus.ON_HOLD})


@dataclass(eq=False)
class JobStatusChange(TenantOwned):
    from_status: JobStatus | None
    to_status: JobStatus
    at: datetime
    user_id: int | None = None
    reason: str | None = None
    job_id: int | None = None
    business_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class JobNote(TenantOwned):
    text: str
    at: datetime
    user_id: int | None = None
    job_id: int | None = None
    business_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Job(TenantOwned):
    business_id: int
    number: int
    title: str
    contact_id: int
    scheduled_start: datetime | None = None
    duration_minutes: int = 60
    technician_id: int | None = None
    status: JobStatus = JobStatus.SCHEDULED
    description: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    project_id: int | None = None
    confirmed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None
    history: list[JobStatusChange] = field(default_factory=list)
    notes: list[JobNote] = field(default_factory=list)

    @property
    def scheduled_end(self) -> datetime | None:
        if self.scheduled_start is None:
            return None
        return self.scheduled_start + timedelta(minutes=self.duration_minutes)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def address_line(self) -> str:
        parts = [self.street, self.city, " ".join(p for p in (self.state, self.postal_code) if p)]
        return ", ".join(p for p in parts if p)

    def change_status(self, to: JobStatus, at: datetime, user_id: int | None = None,
                      reason: str | None = None) -> None:
        if to == self.status:
            raise IllegalTransition(f"Job {self.number} is already {self.status.spoken}.")
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"Job {self.number} is {self.status.spoken}; it can't be moved to {to.spoken}.",
                job=self.number, status=self.status.value, to=to.value)
        self.history.append(JobStatusChange(from_status=self.status, to_status=to, at=at, user_id=user_id,
                                            reason=reason, business_id=self.business_id))
        self.status = to
        self.updated_at = at

    def reschedule(self, start: datetime, duration_minutes: int | None, at: datetime) -> None:
        if not self.is_open:
            raise IllegalTransition(f"Job {self.number} is {self.status.spoken}; it can't be rescheduled.")
        check_slot(start, duration_minutes or self.duration_minutes)
        self.scheduled_start = start
        if duration_minutes:
            self.duration_minutes = duration_minutes
        if self.status == JobStatus.ON_HOLD:
            self.change_status(JobStatus.SCHEDULED, at, reason="rescheduled")
        self.confirmed_at = None
        self.updated_at = at

    def add_note(self, text: str, at: datetime, user_id: int | None = None) -> JobNote:
        text = text.strip()
        if not text:
            raise InvalidInput("The note is empty. What should it say?")
        note = JobNote(text=text, at=at, user_id=user_id, business_id=self.business_id)
        self.notes.append(note)
        self.updated_at = at
        return note

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return (self.is_open and self.scheduled_start is not None and self.scheduled_end is not None
                and self.scheduled_start < end and start < self.scheduled_end)


def check_slot(start: datetime, duration_minutes: int) -> None:
    """A job's time carries a zone and its length is sane (checked before any comparison with now)."""
    if start.tzinfo is None:
        raise InvalidInput("A job's time needs a time zone.")
    if not 5 <= duration_minutes <= 24 * 60:
        raise InvalidInput("A job must last between 5 minutes and a day.")


def ensure_free(technician_name: str, start: datetime, duration_minutes: int, others: Iterable[Job],
                ignore_job_id: int | None = None) -> None:
    """No technician is booked on two open jobs at once."""
    check_slot(start, duration_minutes)
    end = start + timedelta(minutes=duration_minutes)
    for other in others:
        if ignore_job_id is not None and other.id == ignore_job_id:
            continue
        if other.overlaps(start, end):
            raise Conflict(
                f"{technician_name} is already booked on job {other.number} at that time.",
                job=other.number)


_check_slot = check_slot  # the old private name
