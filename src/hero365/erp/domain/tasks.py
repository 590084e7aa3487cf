"""Reminders and follow-up tasks: things a person must do at a time."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .errors import InvalidInput
from .tenancy import TenantOwned


class TaskKind(enum.StrEnum):
    REMINDER = "reminder"
    FOLLOW_UP = "follow_up"
    CALL_BACK = "call_back"


@dataclass(eq=False)
class Task(TenantOwned):
    business_id: int
    kind: TaskKind
    title: str
    due_at: datetime
    user_id: int | None = None
    contact_id: int | None = None
    job_id: int | None = None
    done_at: datetime | None = None
    created_at: datetime | None = None
    id: int | None = None

    @staticmethod
    def check(title: str, due_at: datetime, now: datetime) -> None:
        if not title.strip():
            raise InvalidInput("What should I remind you about?")
        if len(title) > 500:
            raise InvalidInput("That's too long for a reminder; keep it to a sentence or two.")
        if due_at.tzinfo is None:
            raise InvalidInput("A reminder's time needs a time zone.")
        if due_at < now:
            raise InvalidInput("That time has already passed.")

    def complete(self, at: datetime) -> None:
        self.done_at = at
