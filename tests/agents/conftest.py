"""Fixtures for conversations: a seeded business and text sessions for each agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from livekit.agents import AgentSession

from hero365.erp.services import contacts, jobs
from hero365.voice.agents import agent_for
from hero365.voice.session import text_session
from hero365.voice.state import AgentKind, Purpose, SessionState


@pytest.fixture
async def people(world):  # type: ignore[no-untyped-def]
    """Customers with jobs: Bob Johnson (job tomorrow with Tina), Maria Garcia, Bob Smith and Bobby Smithers."""
    store = world.store
    out = {}
    async with store.uow(world.business_id) as uow:
        for name, phone in (("Bob Johnson", "512-555-0101"), ("Maria Garcia", "512-555-0102"),
                            ("Bob Smith", "512-555-0103"), ("Bobby Smithers", "512-555-0104")):
            c = await contacts.create_contact(uow, world.owner, name, phone, street="12 Oak St", city="Austin",
                                              state="TX", postal_code="78701",
                                              email=f"{name.split()[1].lower()}@x.test")
            out[name] = c.id
        j = await jobs.create_job(uow, world.owner, out["Bob Johnson"], "Water heater check",
                                  datetime(2026, 11, 24, 16, 0, tzinfo=UTC), 60, world.tech.user_id)
        out["johnson_job"] = j.number
    return out


@pytest.fixture
def converse(world) -> Callable:  # type: ignore[no-untyped-def]
    """`async with converse(kind, actor=..., contact_id=..., purpose=...) as session:` a started text session."""

    @asynccontextmanager
    async def _open(kind: AgentKind = AgentKind.PERSONAL, actor=None, contact_id: int | None = None,  # type: ignore[no-untyped-def]
                    purpose: Purpose | None = None, driving: bool = False) -> AsyncIterator[AgentSession]:
        if actor is None:
            actor = world.call_agent(contact_id) if contact_id is not None else world.owner
        state = SessionState(store=world.store, actor=actor, kind=kind, purpose=purpose, driving=driving)
        session = text_session(state)
        async with session:
            agent = agent_for(state)
            await session.start(agent)
            await asyncio.wait_for(agent.ready.wait(), 5)  # a calling agent's greeting is spoken in on_enter
            yield session

    return _open


@pytest.fixture
async def seeded(world, people, clock):  # type: ignore[no-untyped-def]
    """`people` plus jobs for both technicians, a project with milestones, estimates and invoices (seed.py)."""
    from seed import seed_business

    return await seed_business(world, people, clock)
