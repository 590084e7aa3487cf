"""Businesses, members and working hours; which businesses a user may act for."""

from __future__ import annotations

from datetime import time

from ..domain.errors import Ambiguous, InvalidInput, NotFound
from ..domain.messages import Counter
from ..domain.scheduling import WorkingHours
from ..domain.tenancy import Actor, Business, Membership, Permission, Role, User
from ..store.db import Store
from ..store.uow import COUNTER_START
from .common import now, rank_names


async def create_business(store: Store, name: str, timezone: str = "America/Chicago", *,
                          owner_name: str, owner_email: str, **fields: object) -> tuple[Business, User]:
    """A new business with its owner and its number counters, in one transaction."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name.strip():
        raise InvalidInput("A business needs a name.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"{timezone!r} is not a time zone.") from exc
    async with store.directory() as uow:
        business = Business(name=name.strip(), timezone=timezone, created_at=now(uow), **fields)  # type: ignore[arg-type]
        uow.session.add(business)
        user = await uow.directory.user_by_email(owner_email)
        if user is None:
            user = User(name=owner_name, email=owner_email.strip().lower(), created_at=now(uow))
            uow.session.add(user)
        await uow.flush()
        assert business.id is not None and user.id is not None
        uow.session.add(Membership(business_id=business.id, user_id=user.id, role=Role.OWNER))
        for kind, start in COUNTER_START.items():
            uow.session.add(Counter(business_id=business.id, kind=kind, value=start))
    return business, user


async def add_member(store: Store, actor: Actor, name: str, email: str, role: Role,
                     phone: str | None = None) -> User:
    actor.require(Permission.MEMBERS_MANAGE, "add team members")
    if role == Role.CALL_AGENT:
        raise InvalidInput("The calling agent is not a team member.")
    async with store.directory() as uow:
        user = await uow.directory.user_by_email(email)
        if user is None:
            user = User(name=name, email=email.strip().lower(), phone=phone, created_at=now(uow))
            uow.session.add(user)
            await uow.flush()
        assert user.id is not None
        if await uow.directory.membership(user.id, actor.business_id):
            raise InvalidInput(f"{user.name} is already on the team.")
        uow.session.add(Membership(business_id=actor.business_id, user_id=user.id, role=role))
    return user


async def actor_for(store: Store, user_id: int, business_id: int) -> Actor:
    """The Actor for a user in a business, or NotFound when they are not a member."""
    async with store.directory() as uow:
        membership = await uow.directory.membership(user_id, business_id)
        user = await uow.directory.user(user_id)
    if membership is None or user is None:
        raise NotFound("You're not a member of that business.")
    return Actor(user_id=user_id, business_id=business_id, role=membership.role, name=user.name)


async def switch_business(store: Store, actor: Actor, business: str) -> Actor:
    """Act for another business the user belongs to, named as spoken."""
    if actor.user_id is None:
        raise InvalidInput("Only a team member can switch businesses.")
    async with store.directory() as uow:
        memberships = await uow.directory.memberships_of(actor.user_id)
        names = {m.business_id: m.business.name for m in memberships if m.business is not None}
    if not names:
        raise NotFound("You don't belong to any business.")
    ranked = [m for m in rank_names(business, names) if m[2] >= 70]
    if not ranked:
        raise NotFound(f"You're not a member of a business called {business}. "
                       f"Yours are: {', '.join(sorted(names.values()))}.")
    if len(ranked) > 1 and ranked[0][2] - ranked[1][2] < 5:
        options = [r[1] for r in ranked[:3]]
        raise Ambiguous(f"Which business: {' or '.join(options)}?", options)
    target = ranked[0][0]
    return await actor_for(store, actor.user_id, target)


async def team(store: Store, actor: Actor) -> list[Membership]:
    async with store.uow(actor.business_id) as uow:
        return await uow.members.all()


async def set_working_hours(store: Store, actor: Actor, user_id: int, weekdays: list[int], start: time,
                            end: time) -> None:
    actor.require(Permission.MEMBERS_MANAGE, "set working hours")
    if start >= end:
        raise InvalidInput("Working hours must end after they start.")
    async with store.uow(actor.business_id) as uow:
        for existing in await uow.hours.for_users([user_id]):
            if existing.weekday in weekdays:
                await uow.session.delete(existing)
        for day in weekdays:
            uow.hours.add(WorkingHours(business_id=actor.business_id, user_id=user_id, weekday=day,
                                       start=start, end=end))
