"""Gateway fixtures: the app on the real test store (SQLite, then PostgreSQL), an HTTP client, tokens, and a
second business to try to reach."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from hero365.config import Settings
from hero365.erp.domain.tenancy import Actor
from hero365.erp.services import businesses, contacts, jobs
from hero365.gateway import create_app
from hero365.gateway import tables as _audit_tables  # noqa: F401  (the audit log is part of the test schema)

SECRET = "test-secret-" + "x" * 40


def gateway_settings(store: Any, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"database_url": store.settings.database_url, "redis_url": None, "jwt_secret": SECRET,
                              "rate_limit_user_per_minute": 10_000, "rate_limit_business_per_minute": 10_000}
    values.update(overrides)
    return Settings(**values)


@dataclass
class Other:
    """Business B: its owner, a customer and a live session of its own."""

    business_id: int
    owner: Actor
    contact_id: int


@pytest.fixture
async def customers(world: Any) -> dict[str, int]:
    out = {}
    async with world.store.uow(world.business_id) as uow:
        for name, phone in (("Maria Garcia", "512-555-0102"), ("Bob Johnson", "512-555-0101")):
            c = await contacts.create_contact(uow, world.owner, name, phone, street="12 Oak St", city="Austin",
                                              state="TX", postal_code="78701")
            out[name] = c.id
    return out


@pytest.fixture
async def other(world: Any) -> Other:
    biz, owner_user = await businesses.create_business(world.store, "Other Plumbing", "America/Chicago",
                                                       owner_name="Otto Other", owner_email="otto@other.test")
    owner = await businesses.actor_for(world.store, owner_user.id, biz.id)  # type: ignore[arg-type]
    async with world.store.uow(biz.id) as uow:  # type: ignore[arg-type]
        c = await contacts.create_contact(uow, owner, "Zed Zebra", "512-555-0199")
    return Other(business_id=biz.id, owner=owner, contact_id=c.id)  # type: ignore[arg-type]


@pytest.fixture
def make_app(world: Any) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        kwargs = {k: overrides.pop(k) for k in ("stt_factory", "limiter") if k in overrides}
        kwargs.setdefault("stt_factory", None)
        return create_app(gateway_settings(world.store, **overrides), world.store, **kwargs)

    return make


@pytest.fixture
async def app(make_app: Callable[..., Any]) -> AsyncIterator[Any]:
    application = make_app()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def token(app: Any) -> Callable[..., str]:
    """`token(actor)` -> a bearer token for that member (the business from the actor unless given)."""

    def mint(actor: Actor, business_id: int | None = -1, **kw: Any) -> str:
        return app.state.gateway.tokens.mint(actor.user_id, actor.business_id if business_id == -1 else business_id,
                                             **kw)

    return mint


@pytest.fixture
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def headers(actor: Actor, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(actor, **kw)}"}

    return headers


@asynccontextmanager
async def serving(application: Any) -> AsyncIterator[str]:
    """The app on a real socket (uvicorn on 127.0.0.1, an ephemeral port) in the test's own event loop."""
    import asyncio

    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=0, lifespan="off", log_level="warning",
                                        access_log=False))
    task = asyncio.get_running_loop().create_task(srv.serve())
    while not srv.started:  # noqa: ASYNC110  (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}"
    finally:
        srv.should_exit = True
        await task


@pytest.fixture
async def server(app: Any) -> AsyncIterator[str]:
    async with serving(app) as address:
        yield address


@pytest.fixture
async def job_one(world, customers) -> int:  # type: ignore[no-untyped-def]
    async with world.store.uow(world.business_id) as uow:
        job = await jobs.create_job(uow, world.owner, customers["Maria Garcia"], "Replace the water heater",
                                    datetime(2026, 11, 24, 16, 0, tzinfo=UTC), 60, world.tech.user_id)
    return int(job.number)


@pytest.fixture
async def voice_app(make_app: Callable[..., Any]) -> AsyncIterator[Any]:
    """The app with speech: the project's recogniser (make_stt, tuned to the business's names), VAD, espeak TTS."""
    application = make_app(stt_factory=True, tts="espeak")
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def voice_server(voice_app: Any) -> AsyncIterator[str]:
    async with serving(voice_app) as address:
        yield address
