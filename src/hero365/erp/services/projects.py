"""Projects: status, progress and milestones."""

from __future__ import annotations

from datetime import date

from ..domain.errors import InvalidInput, NotFound
from ..domain.projects import Milestone, Project, ProjectStatus
from ..domain.tenancy import Actor, Permission
from ..store.uow import UnitOfWork
from .common import find_contact, get_contact, log, now


async def resolve_project(uow: UnitOfWork, actor: Actor, number: int | None = None,
                          customer: str | None = None) -> Project:
    actor.require(Permission.PROJECTS_VIEW, "see projects")
    if number is not None:
        project = await uow.projects.by_number(number)
        if project is None:
            raise NotFound(f"There's no project {number}.")
        return project
    if not customer:
        raise InvalidInput("Which project? Tell me its number or the customer's name.")
    contact = await find_contact(uow, actor, customer)
    projects = await uow.projects.for_contact(contact.id or 0)
    if not projects:
        raise NotFound(f"{contact.name} has no project.")
    return projects[0]


async def create_project(uow: UnitOfWork, actor: Actor, contact_id: int, name: str, budget_cents: int = 0,
                         start: date | None = None, target: date | None = None) -> Project:
    actor.require(Permission.PROJECTS_MANAGE, "create projects")
    contact = await get_contact(uow, actor, contact_id)
    if not name.strip():
        raise InvalidInput("What's the project called?")
    if budget_cents < 0:
        raise InvalidInput("A budget can't be negative.")
    project = uow.projects.add(Project(business_id=actor.business_id, number=await uow.next_number("project"),
                                       name=name.strip(), contact_id=contact_id, budget_cents=budget_cents,
                                       start_date=start, target_date=target, created_at=now(uow)))
    await uow.flush()
    log(uow, actor, "project.created", "project", project.id, f"Project {project.number} for {contact.name}")
    return project


async def get_project_status(uow: UnitOfWork, actor: Actor, number: int | None = None,
                             customer: str | None = None) -> Project:
    return await resolve_project(uow, actor, number, customer)


async def update_project_progress(uow: UnitOfWork, actor: Actor, percent: int, number: int | None = None,
                                  customer: str | None = None) -> Project:
    project = await resolve_project(uow, actor, number, customer)
    actor.require(Permission.PROJECTS_MANAGE, "update projects")
    before = project.percent_complete
    project.set_progress(percent, now(uow))
    log(uow, actor, "project.progress", "project", project.id, f"Project {project.number}: {before}% -> {percent}%")
    return project


async def create_project_milestone(uow: UnitOfWork, actor: Actor, title: str, due: date | None = None,
                                   number: int | None = None, customer: str | None = None) -> Milestone:
    project = await resolve_project(uow, actor, number, customer)
    actor.require(Permission.PROJECTS_MANAGE, "add milestones")
    if project.status in (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED):
        raise InvalidInput(f"Project {project.number} is {project.status.value}.")
    milestone = project.add_milestone(title, due, now(uow))
    await uow.flush()
    log(uow, actor, "project.milestone", "project", project.id, f"Milestone {title} on project {project.number}")
    return milestone


async def record_project_cost(uow: UnitOfWork, actor: Actor, number: int, amount_cents: int) -> Project:
    project = await resolve_project(uow, actor, number)
    actor.require(Permission.PROJECTS_MANAGE, "record project costs")
    if amount_cents <= 0:
        raise InvalidInput("A cost must be more than zero.")
    project.spent_cents += amount_cents
    log(uow, actor, "project.cost", "project", project.id, f"{amount_cents} cents spent")
    return project
