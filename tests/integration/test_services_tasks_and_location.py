"""Personal reminders, and directions and weather at a job: real through a provider, honestly absent without."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from hero365.erp.domain.errors import InvalidInput, NotConfigured, NotFound, PermissionDenied
from hero365.erp.domain.tasks import TaskKind
from hero365.erp.services import jobs, location, tasks


async def test_set_reminder_stores_a_reminder_for_the_person_who_asked(world, local, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        reminder = await tasks.set_reminder(uow, world.tech, "  pick up the permit ", local(24, 7, 30))
    assert reminder.kind == TaskKind.REMINDER and reminder.title == "pick up the permit"
    assert reminder.user_id == world.tech.user_id and reminder.due_at == local(24, 7, 30)
    async with world.store.uow(world.business_id) as uow:
        stored = await uow.tasks.open_for(user_id=world.tech.user_id)
        assert await uow.tasks.open_for(user_id=world.tech2.user_id) == []
    assert [t.title for t in stored] == ["pick up the permit"] and stored[0].due_at == local(24, 7, 30)
    assert await rows("activity_log", action="task.reminder") == 1


async def test_due_reminders_are_those_whose_time_has_come(world, local, clock) -> None:
    async with world.store.uow(world.business_id) as uow:
        await tasks.set_reminder(uow, world.tech, "call supplier", local(23, 9))
        await tasks.set_reminder(uow, world.tech, "order fittings", local(24, 9))
    clock.at = local(23, 10)
    async with world.store.uow(world.business_id) as uow:
        assert [t.title for t in await tasks.due_reminders(uow, world.tech)] == ["call supplier"]


@pytest.mark.parametrize(("note", "due", "says"), [
    ("call supplier", datetime(2026, 11, 23, 13, tzinfo=UTC), "already passed"),
    ("call supplier", datetime(2026, 11, 24, 9), "needs a time zone"),
    ("   ", datetime(2026, 11, 24, 15, tzinfo=UTC), "What should I remind you about"),
])
async def test_a_reminder_in_the_past_without_a_zone_or_without_text_is_not_stored(world, rows, note, due,
                                                                                    says) -> None:
    with pytest.raises(InvalidInput, match=says):
        async with world.store.uow(world.business_id) as uow:
            await tasks.set_reminder(uow, world.owner, note, due)
    assert await rows("tasks") == 0


async def test_the_calling_agent_sets_no_personal_reminders(world, people, rows) -> None:
    with pytest.raises(PermissionDenied):
        async with world.store.uow(world.business_id) as uow:
            await tasks.set_reminder(uow, world.call_agent(people.johnson.id), "x", datetime(2026, 12, 1, tzinfo=UTC))
    assert await rows("tasks") == 0


@dataclass
class FakeMaps:
    asked: list

    async def route(self, origin, destination):
        self.asked.append((origin, destination))
        return location.Route(summary="I-35 south", minutes=18, miles=9.4)


@dataclass
class FakeWeather:
    asked: list

    async def forecast(self, address, day):
        self.asked.append((address, day))
        return location.Forecast(summary="Sunny", high_f=71, low_f=48, rain_chance=10)


async def job_at_johnsons(world, people, local):
    async with world.store.uow(world.business_id) as uow:
        return await jobs.create_job(uow, world.owner, people.johnson.id, "Fix leak", local(24, 9),
                                     technician_id=world.tech.user_id)


async def test_get_directions_without_a_provider_says_so_and_gives_the_address(world, people, local) -> None:
    job = await job_at_johnsons(world, people, local)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotConfigured) as err:
            await location.get_directions(uow, world.tech, None, customer="johnson")
    assert err.value.message == (f"Directions aren't set up yet. Job {job.number} is at "
                                 "100 Main St, Austin, TX 78701.")
    assert err.value.details == {"address": "100 Main St, Austin, TX 78701", "job": job.number}


async def test_get_weather_without_a_provider_says_so_and_gives_the_address(world, people, local) -> None:
    job = await job_at_johnsons(world, people, local)
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotConfigured) as err:
            await location.get_weather(uow, world.tech, None, date(2026, 11, 24), job.number)
    assert "aren't set up" in err.value.message and "100 Main St, Austin, TX 78701" in err.value.message
    assert "Sunny" not in err.value.message and err.value.details["job"] == job.number


async def test_directions_and_weather_come_from_the_configured_provider(world, people, local) -> None:
    job = await job_at_johnsons(world, people, local)
    maps, weather = FakeMaps([]), FakeWeather([])
    async with world.store.uow(world.business_id) as uow:
        number, address, route = await location.get_directions(uow, world.tech, maps, job.number, origin="shop")
        _, _, forecast = await location.get_weather(uow, world.tech, weather, date(2026, 11, 24), customer="johnson")
    assert (number, address, route.minutes) == (job.number, "100 Main St, Austin, TX 78701", 18)
    assert maps.asked == [("shop", "100 Main St, Austin, TX 78701")]
    assert forecast.summary == "Sunny" and weather.asked == [("100 Main St, Austin, TX 78701", date(2026, 11, 24))]


async def test_a_job_without_an_address_or_not_there_at_all(world, people, local) -> None:
    async with world.store.uow(world.business_id) as uow:
        nowhere = await jobs.create_job(uow, world.owner, people.garcia.id, "Quote", local(24, 9))
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(InvalidInput, match=rf"^Job {nowhere.number} has no address on file\.$"):
            await location.get_directions(uow, world.owner, FakeMaps([]), nowhere.number)
        with pytest.raises(NotFound, match="There's no job 99"):
            await location.get_weather(uow, world.owner, None, date(2026, 11, 24), 99)
        with pytest.raises(NotFound, match="no open job for Mary Smith"):
            await location.get_directions(uow, world.owner, None, customer="smith")
