"""The audit log: every API request and every tool call is recorded (who, business, outcome), the table is
append-only in the database, the per-business hash chains verify, and tampering is found and located."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from hero365.gateway.audit import AuditLog, Entry, verify
from hero365.gateway.tables import audit_log

SEND = "/api/v1/voice-agents/personal/send-command"


async def _records(store: Any) -> list[Any]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(sa.select(audit_log).order_by(audit_log.c.id))).mappings())


async def _busy_day(client: Any, world: Any, auth: Any, other: Any) -> str:
    h = auth(world.owner)
    one = (await client.post(SEND, json={"text": "create a job for maria garcia friday at 10 to replace the "
                                                 "water heater"}, headers=h)).json()
    await client.post(SEND, json={"text": "yes", "session_id": one["session_id"]}, headers=h)
    await client.get("/api/v1/voice-agents/sessions", headers=auth(world.tech))
    await client.get("/api/v1/voice-agents/sessions")  # no token
    await client.post("/api/v1/voice-agents/outbound/initiate-call", json={"contact_id": 1, "purpose": "feedback"},
                      headers=auth(world.tech))  # wrong role
    await client.get("/api/v1/voice-agents/sessions", headers=auth(other.owner))
    return str(one["session_id"])


async def test_requests_and_tool_calls_are_recorded_with_who_business_and_outcome(
        client, app, world, other, customers, auth) -> None:
    sid = await _busy_day(client, world, auth, other)
    rows = await _records(world.store)
    requests = [(r["action"], r["user_id"], r["business_id"], r["outcome"], r["status"]) for r in rows
                if r["kind"] == "request"]
    assert (f"POST {SEND}", world.owner.user_id, world.business_id, "ok", 200) in requests
    assert ("GET /api/v1/voice-agents/sessions", None, None, "missing_token", 401) in requests
    assert ("POST /api/v1/voice-agents/outbound/initiate-call", world.tech.user_id, world.business_id,
            "permission_denied", 403) in requests
    assert ("GET /api/v1/voice-agents/sessions", other.owner.user_id, other.business_id, "ok", 200) in requests
    tools = [(r["action"], r["user_id"], r["business_id"], r["outcome"]) for r in rows if r["kind"] == "tool"]
    assert tools == [("create_job", world.owner.user_id, world.business_id, "proposed"),
                     ("confirm_action", world.owner.user_id, world.business_id, "ok")]
    assert all(sid in r["detail"] for r in rows if r["kind"] == "tool")
    # one chain per business (0: requests that named none), each numbered from 1
    assert {r["chain"] for r in rows} == {0, world.business_id, other.business_id}
    verdict = await verify(world.store.engine)
    assert verdict.ok and verdict.records == len(rows) and verdict.chains == 3


async def test_the_database_refuses_updates_and_deletes(client, app, world, other, customers, auth) -> None:
    await _busy_day(client, world, auth, other)
    for stmt in (sa.update(audit_log).values(outcome="ok"), sa.delete(audit_log)):
        with pytest.raises(DBAPIError, match="append-only"):
            async with world.store.engine.begin() as conn:
                await conn.execute(stmt)


@pytest.fixture
async def unguarded(store: Any) -> Any:
    """`await unguarded()` drops the append-only triggers, as an attacker with admin rights would first; they
    are put back after the test (the PostgreSQL schema is shared by the tests that follow)."""
    from hero365.gateway.tables import PG_DROP, PG_TRIGGERS, SQLITE_DROP, SQLITE_TRIGGERS

    async def drop() -> None:
        async with store.engine.begin() as conn:
            for sql in SQLITE_DROP if store.is_sqlite else PG_DROP[:1]:
                await conn.execute(sa.text(sql))

    yield drop
    async with store.engine.begin() as conn:
        for sql in SQLITE_DROP if store.is_sqlite else PG_DROP[:1]:
            await conn.execute(sa.text(sql))
        for sql in SQLITE_TRIGGERS if store.is_sqlite else PG_TRIGGERS:
            await conn.execute(sa.text(sql))


async def test_a_changed_record_is_found_and_named(client, app, world, other, customers, auth, unguarded) -> None:
    await _busy_day(client, world, auth, other)
    rows = [r for r in await _records(world.store) if r["chain"] == world.business_id]
    victim = next(r for r in rows if r["outcome"] == "permission_denied")
    await unguarded()
    async with world.store.engine.begin() as conn:
        await conn.execute(sa.update(audit_log).where(audit_log.c.id == victim["id"]).values(outcome="ok"))
    verdict = await verify(world.store.engine)
    assert not verdict.ok and len(verdict.problems) == 1
    problem = verdict.problems[0]
    assert (problem.chain, problem.record_id, problem.seq) == (world.business_id, victim["id"], victim["seq"])
    assert "content does not match" in problem.reason
    # the other businesses' chains are untouched and still verify on their own
    assert (await verify(world.store.engine, other.business_id)).ok


async def test_a_removed_record_and_a_rehashed_record_are_found(client, app, world, other, customers, auth,
                                                                unguarded) -> None:
    await _busy_day(client, world, auth, other)
    rows = [r for r in await _records(world.store) if r["chain"] == world.business_id]
    await unguarded()
    async with world.store.engine.begin() as conn:
        await conn.execute(sa.delete(audit_log).where(audit_log.c.id == rows[1]["id"]))
    problem = (await verify(world.store.engine)).problems[0]
    assert problem.record_id == rows[2]["id"] and "sequence jumps from 1 to 3" in problem.reason

    # a forger who also recomputes the changed record's own hash still breaks the next link
    from hero365.gateway.audit import record_hash

    async with world.store.engine.begin() as conn:
        await conn.execute(sa.insert(audit_log).values({k: v for k, v in rows[1].items() if k != "id"}))
        forged = dict(rows[3])
        forged["outcome"] = "ok" if forged["outcome"] != "ok" else "error:hidden"
        forged["hash"] = record_hash(forged)
        await conn.execute(sa.update(audit_log).where(audit_log.c.id == forged["id"]).values(
            outcome=forged["outcome"], hash=forged["hash"]))
    problem = (await verify(world.store.engine)).problems[0]
    assert problem.record_id == rows[4]["id"] and "link to the previous record" in problem.reason


async def test_two_writers_on_one_chain_stay_in_one_unbroken_chain(store) -> None:
    """Two gateway processes (two engines) appending to the same business's chain at once."""
    from hero365.erp.store.db import make_engine

    other_engine = make_engine(store.settings)
    a, b = AuditLog(store.engine, store.clock), AuditLog(other_engine, store.clock)
    try:
        await asyncio.gather(*[(a if i % 2 else b).append(Entry(kind="request", action=f"GET /x/{i}", outcome="ok",
                                                                 business_id=7, status=200)) for i in range(60)])
    finally:
        await a.close()
        await b.close()
        await other_engine.dispose()
    verdict = await verify(store.engine)
    assert verdict.ok and verdict.records == 60


async def test_hero365_audit_verify_command(client, app, world, other, customers, auth, store, unguarded) -> None:
    if not store.is_sqlite:
        pytest.skip("the command is run once, on the SQLite file")
    await _busy_day(client, world, auth, other)
    await app.state.gateway.audit.close()
    env = {**os.environ, "DATABASE_URL": store.settings.database_url}
    exe = str(Path(sys.executable).parent / "hero365")
    ok = await asyncio.to_thread(subprocess.run, [exe, "audit", "verify"], env=env, capture_output=True, text=True,
                               timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "Every chain verifies" in ok.stdout
    await unguarded()
    async with world.store.engine.begin() as conn:
        first = (await conn.execute(sa.select(audit_log.c.id).where(audit_log.c.chain == world.business_id)
                                    .order_by(audit_log.c.seq).limit(1))).scalar_one()
        await conn.execute(sa.update(audit_log).where(audit_log.c.id == first).values(user_id=999))
    bad = await asyncio.to_thread(subprocess.run, [exe, "audit", "verify"], env=env, capture_output=True, text=True,
                                timeout=60)
    assert bad.returncode == 1
    assert f"record id {first}, seq 1" in bad.stderr.replace("\n", " ")
