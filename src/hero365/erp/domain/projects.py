"""Projects: multi-visit work with milestones, progress and a budget."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from .errors import InvalidInput
from .tenancy import TenantOwned


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class Milestone(TenantOwned):
    title: str
    due_date: date | None = None
    completed_at: datetime | None = None
    project_id: int | None = None
    business_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Project(TenantOwned):
    business_id: int
    number: int
    name: str
    contact_id: int
    status: ProjectStatus = ProjectStatus.ACTIVE
    percent_complete: int = 0
    budget_cents: int = 0
    spent_cents: int = 0
    start_date: date | None = None
    target_date: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def remaining_cents(self) -> int:
        return self.budget_cents - self.spent_cents

    @property
    def over_budget(self) -> bool:
        return self.budget_cents > 0 and self.spent_cents > self.budget_cents

    def set_progress(self, percent: int, at: datetime) -> None:
        if not 0 <= percent <= 100:
            raise InvalidInput(f"Progress must be between 0 and 100 percent, not {percent}.")
        if self.status in (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED) and percent != self.percent_complete:
            raise InvalidInput(f"Project {self.number} is {self.status.value}; its progress is final.")
        self.percent_complete = percent
        if percent == 100:
            self.status = ProjectStatus.COMPLETED
        self.updated_at = at

    def add_milestone(self, title: str, due: date | None, at: datetime) -> Milestone:
        title = title.strip()
        if not title:
            raise InvalidInput("A milestone needs a name.")
        if any(m.title.lower() == title.lower() for m in self.milestones):
            raise InvalidInput(f"Project {self.number} already has a milestone called {title}.")
        milestone = Milestone(title=title, due_date=due, business_id=self.business_id)
        self.milestones.append(milestone)
        self.updated_at = at
        return milestone

    def next_milestone(self) -> Milestone | None:
        open_ = [m for m in self.milestones if m.completed_at is None]
        return min(open_, key=lambda m: (m.due_date or date.max, m.title), default=None)
