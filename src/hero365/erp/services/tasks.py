"""Personal reminders: a note and a time, for the person who asked."""

from __future__ import annotations

from datetime import datetime

from ..domain.tasks import Task, TaskKind
from ..domain.tenancy import Actor, Permission
from ..store.uow import UnitOfWork
from .common import log, now


async def set_reminder(uow: UnitOfWork, actor: Actor, note: str, due_at: datetime) -> Task:
    actor.require(Permission.TASKS_OWN, "set reminders")
    Task.check(note, due_at, now(uow))
    task = uow.tasks.add(Task(business_id=actor.business_id, kind=TaskKind.REMINDER, title=note.strip(),
                              due_at=due_at, user_id=actor.user_id, created_at=now(uow)))
    await uow.flush()
    log(uow, actor, "task.reminder", "task", task.id, note[:200])
    return task


async def due_reminders(uow: UnitOfWork, actor: Actor) -> list[Task]:
    return [t for t in await uow.tasks.open_for(user_id=actor.user_id) if t.due_at <= now(uow)]
