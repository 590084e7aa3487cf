"""Businesses, members, working hours and switching business, on SQLite and PostgreSQL."""

from datetime import time

import pytest

from hero365.erp.domain.errors import Ambiguous, InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.tenancy import Actor, Role
from hero365.erp.services import businesses


async def test_create_business_makes_the_owner_a_member_and_starts_the_counters(store, rows) -> None:
    biz, owner = await businesses.create_business(store, "  Hero HVAC ", "America/Denver", owner_name="Hal",
                                                  owner_email=" Hal@HVAC.test ", tax_rate_bp=500)
    assert biz.name == "Hero HVAC" and biz.timezone == "America/Denver" and biz.tax_rate_bp == 500
    assert owner.email == "hal@hvac.test"
    actor = await businesses.actor_for(store, owner.id, biz.id)
    assert actor == Actor(user_id=owner.id, business_id=biz.id, role=Role.OWNER, name="Hal")
    assert await rows("counters", business_id=biz.id) == 5


@pytest.mark.parametrize(("name", "tz", "says"), [("  ", "America/Chicago", "needs a name"),
                                                  ("Hero", "Mars/Olympus", "is not a time zone")])
async def test_a_business_without_a_name_or_a_real_time_zone_is_not_created(store, rows, name, tz, says) -> None:
    with pytest.raises(InvalidInput, match=says):
        await businesses.create_business(store, name, tz, owner_name="Hal", owner_email="hal@hvac.test")
    assert await rows("businesses") == 0 and await rows("users") == 0


async def test_add_member_and_team(world, rows) -> None:
    user = await businesses.add_member(world.store, world.owner, "Ana Apprentice", "ana@hero.test", Role.TECHNICIAN,
                                       phone="+15125550199")
    members = await businesses.team(world.store, world.owner)
    assert [(m.user.name, m.role) for m in members][-1] == ("Ana Apprentice", Role.TECHNICIAN)
    assert len(members) == 5 and user.email == "ana@hero.test"


async def test_adding_a_member_twice_a_calling_agent_or_without_the_right_is_refused(world, rows) -> None:
    before = await rows("memberships")
    with pytest.raises(InvalidInput, match=r"^Tina Tech is already on the team\.$"):
        await businesses.add_member(world.store, world.owner, "Tina", "TINA@hero.test", Role.TECHNICIAN)
    with pytest.raises(InvalidInput, match="calling agent is not a team member"):
        await businesses.add_member(world.store, world.owner, "Bot", "bot@hero.test", Role.CALL_AGENT)
    for actor in (world.office, world.tech):
        with pytest.raises(PermissionDenied, match="can't add team members"):
            await businesses.add_member(world.store, actor, "Eve", "eve@hero.test", Role.OWNER)
    assert await rows("memberships") == before and await rows("users", email="eve@hero.test") == 0


async def test_set_working_hours_replaces_the_days_given(world, rows) -> None:
    await businesses.set_working_hours(world.store, world.owner, world.tech.user_id, [0], time(10), time(14))
    async with world.store.uow(world.business_id) as uow:
        hours = await uow.hours.for_users([world.tech.user_id])
    assert [(h.weekday, h.start, h.end) for h in hours] == [(0, time(10), time(14))] + [
        (d, time(8), time(17)) for d in range(1, 5)]
    with pytest.raises(InvalidInput, match="must end after they start"):
        await businesses.set_working_hours(world.store, world.owner, world.tech.user_id, [1], time(17), time(8))
    with pytest.raises(PermissionDenied):
        await businesses.set_working_hours(world.store, world.tech, world.tech.user_id, [1], time(6), time(20))
    assert await rows("working_hours", user_id=world.tech.user_id) == 5


async def test_actor_for_someone_who_is_not_a_member_is_not_found(world) -> None:
    other, bea = await businesses.create_business(world.store, "Other Co", owner_name="Bea",
                                                  owner_email="bea@other.test")
    with pytest.raises(NotFound, match=r"^You're not a member of that business\.$"):
        await businesses.actor_for(world.store, bea.id, world.business_id)
    with pytest.raises(NotFound):
        await businesses.actor_for(world.store, world.tech.user_id, other.id)


async def test_switch_business_acts_for_another_business_the_user_belongs_to(world) -> None:
    other, same_owner = await businesses.create_business(world.store, "Northside Electric", owner_name="Olivia",
                                                         owner_email="owner@hero.test")
    assert same_owner.id == world.owner.user_id
    switched = await businesses.switch_business(world.store, world.owner, "northside electric")
    assert switched.business_id == other.id and switched.role == Role.OWNER
    back = await businesses.switch_business(world.store, switched, "hero plumbing")
    assert back == world.owner
    fuzzy = await businesses.switch_business(world.store, world.owner, "north side electrical")
    assert fuzzy.business_id == other.id


async def test_switching_to_a_business_the_user_is_not_in_names_theirs(world) -> None:
    await businesses.create_business(world.store, "Northside Electric", owner_name="Bea",
                                     owner_email="bea@other.test")
    with pytest.raises(NotFound) as err:
        await businesses.switch_business(world.store, world.tech, "northside electric")
    assert err.value.message == ("You're not a member of a business called northside electric. "
                                 "Yours are: Hero Plumbing.")
    with pytest.raises(InvalidInput, match="Only a team member"):
        await businesses.switch_business(world.store, world.call_agent(1), "hero plumbing")


async def test_two_similar_business_names_asks_which(world) -> None:
    for name in ("Hero Plumbing North", "Hero Plumbing South"):
        await businesses.create_business(world.store, name, owner_name="Olivia", owner_email="owner@hero.test")
    with pytest.raises(Ambiguous, match="Which business"):
        await businesses.switch_business(world.store, world.owner, "hero plumbing s")
