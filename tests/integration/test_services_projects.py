"""Projects through the services on SQLite and PostgreSQL: status, progress, milestones; bad input refused."""

from datetime import date

import pytest

from hero365.erp.domain.errors import InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.projects import ProjectStatus
from hero365.erp.services import businesses, projects


async def remodel(world, people, budget_cents=3_850_000):
    async with world.store.uow(world.business_id) as uow:
        return await projects.create_project(uow, world.owner, people.johnson.id, " Kitchen remodel ", budget_cents,
                                             date(2026, 11, 1), date(2026, 12, 31))


async def test_get_project_status_by_number_or_customer_with_milestones_and_budget(world, people) -> None:
    project = await remodel(world, people)
    async with world.store.uow(world.business_id) as uow:
        await projects.create_project_milestone(uow, world.owner, "Final inspection", date(2026, 12, 20),
                                                project.number)
        await projects.create_project_milestone(uow, world.owner, "Rough-in", date(2026, 12, 1), customer="johnson")
        await projects.record_project_cost(uow, world.owner, project.number, 940_000)
    async with world.store.uow(world.business_id) as uow:
        by_number = await projects.get_project_status(uow, world.tech, project.number)
        by_name = await projects.get_project_status(uow, world.tech, customer="the Johnsons")
    assert by_number.id == by_name.id and by_number.number == 1 and by_number.name == "Kitchen remodel"
    assert by_number.status == ProjectStatus.ACTIVE and by_number.percent_complete == 0
    assert (by_number.budget_cents, by_number.spent_cents, by_number.remaining_cents) == (3_850_000, 940_000,
                                                                                         2_910_000)
    assert [m.title for m in by_number.milestones] == ["Final inspection", "Rough-in"]
    assert by_number.next_milestone().title == "Rough-in"


async def test_update_project_progress_sets_the_percentage_and_100_completes_it(world, people, rows) -> None:
    project = await remodel(world, people)
    async with world.store.uow(world.business_id) as uow:
        progressed = await projects.update_project_progress(uow, world.office, 55, customer="johnson")
    assert progressed.percent_complete == 55
    async with world.store.uow(world.business_id) as uow:
        done = await projects.update_project_progress(uow, world.owner, 100, project.number)
    assert done.status == ProjectStatus.COMPLETED
    async with world.store.uow(world.business_id) as uow:
        stored = await projects.get_project_status(uow, world.owner, project.number)
    assert stored.percent_complete == 100 and stored.status == ProjectStatus.COMPLETED
    assert await rows("activity_log", action="project.progress") == 2


@pytest.mark.parametrize("percent", [-5, 101, 150])
async def test_progress_outside_0_to_100_is_refused_and_nothing_changes(world, people, rows, percent) -> None:
    project = await remodel(world, people)
    with pytest.raises(InvalidInput, match=f"between 0 and 100 percent, not {percent}"):
        async with world.store.uow(world.business_id) as uow:
            await projects.update_project_progress(uow, world.owner, percent, project.number)
    async with world.store.uow(world.business_id) as uow:
        assert (await projects.get_project_status(uow, world.owner, project.number)).percent_complete == 0
    assert await rows("activity_log", action="project.progress") == 0


async def test_a_technician_sees_projects_but_does_not_change_them(world, people, rows) -> None:
    project = await remodel(world, people)
    for attempt in (lambda uow: projects.update_project_progress(uow, world.tech, 50, project.number),
                    lambda uow: projects.create_project_milestone(uow, world.tech, "Tile", None, project.number)):
        with pytest.raises(PermissionDenied):
            async with world.store.uow(world.business_id) as uow:
                await attempt(uow)
    assert await rows("milestones") == 0
    async with world.store.uow(world.business_id) as uow:
        assert (await projects.get_project_status(uow, world.tech, project.number)).percent_complete == 0


async def test_a_duplicate_milestone_or_one_on_a_finished_project_is_refused(world, people, rows) -> None:
    project = await remodel(world, people)
    async with world.store.uow(world.business_id) as uow:
        ms = await projects.create_project_milestone(uow, world.owner, "Rough-in", date(2026, 12, 1), project.number)
    assert ms.due_date == date(2026, 12, 1) and ms.project_id == project.id
    with pytest.raises(InvalidInput, match="already has a milestone called ROUGH-IN"):
        async with world.store.uow(world.business_id) as uow:
            await projects.create_project_milestone(uow, world.owner, "ROUGH-IN", None, project.number)
    with pytest.raises(InvalidInput, match="needs a name"):
        async with world.store.uow(world.business_id) as uow:
            await projects.create_project_milestone(uow, world.owner, "  ", None, project.number)
    async with world.store.uow(world.business_id) as uow:
        await projects.update_project_progress(uow, world.owner, 100, project.number)
    with pytest.raises(InvalidInput, match=r"^Project 1 is completed\.$"):
        async with world.store.uow(world.business_id) as uow:
            await projects.create_project_milestone(uow, world.owner, "Punch list", None, project.number)
    assert await rows("milestones") == 1


async def test_a_missing_project_or_a_customer_without_one_is_not_found(world, people) -> None:
    await remodel(world, people)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match=r"^There's no project 9\.$"):
            await projects.get_project_status(uow, world.owner, 9)
        with pytest.raises(NotFound, match=r"^Mary Smith has no project\.$"):
            await projects.get_project_status(uow, world.owner, customer="smith")
        with pytest.raises(InvalidInput, match="Which project"):
            await projects.get_project_status(uow, world.owner)
        with pytest.raises(PermissionDenied):
            await projects.get_project_status(uow, world.call_agent(people.johnson.id), 1)


async def test_a_project_is_refused_without_a_name_or_with_a_negative_budget(world, people, rows) -> None:
    for name, budget, says in (("  ", 0, "What's the project called"), ("Deck", -1, "can't be negative")):
        with pytest.raises(InvalidInput, match=says):
            async with world.store.uow(world.business_id) as uow:
                await projects.create_project(uow, world.owner, people.smith.id, name, budget)
    assert await rows("projects") == 0


async def test_another_businesss_project_number_is_not_found(world, people) -> None:
    project = await remodel(world, people)
    other, owner_b = await businesses.create_business(world.store, "Other Co", owner_name="Bea",
                                                      owner_email="bea@other.test")
    actor_b = await businesses.actor_for(world.store, owner_b.id, other.id)
    async with world.store.uow(other.id) as uow:
        with pytest.raises(NotFound, match=rf"^There's no project {project.number}\.$"):
            await projects.update_project_progress(uow, actor_b, 90, project.number)
    async with world.store.uow(world.business_id) as uow:
        assert (await projects.get_project_status(uow, world.owner, project.number)).percent_complete == 0
