"""Alert rules on seeded data (SQLite, then PostgreSQL), with expectations worked out by hand: what fires, what
does not (below the threshold, at it exactly, too few samples, outside the window, another business), one
notice per firing through the outbox (two evaluations, a restarted process, two evaluators at once), the
resolved notice, and the next firing as a new episode."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.services import businesses
from hero365.erp.store import tables as t
from hero365.erp.store.db import Store
from hero365.insights import alerts
from hero365.insights.tables import conversation_turns, conversations

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # the `clock` fixture's pinned moment
CALLS = "call_attempts_alert_test"  # a stand-in for the calling issue's table (same three columns)


def settings(store: Store, **overrides: Any) -> Settings:
    return Settings(database_url=store.settings.database_url, redis_url=None, **overrides)


async def seed_turns(store: Store, business_id: int, turns: list[tuple[float, int, int, float | None]]) -> None:
    """One conversation with `turns` of (minutes before NOW, tool calls, tool errors, response ms)."""
    async with store.engine.begin() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(conversations))).scalar_one()
        conv = (await conn.execute(sa.insert(conversations).values(
            business_id=business_id, session_id=f"alert-test-{count}", agent="personal", channel="text",
            started_at=NOW - timedelta(hours=1), turns=len(turns), tool_calls=0, tool_errors=0,
        ).returning(conversations.c.id))).scalar_one()
        await conn.execute(sa.insert(conversation_turns), [
            {"business_id": business_id, "conversation_id": conv, "seq": n, "at": NOW - timedelta(minutes=ago),
             "failed": bool(errors), "tool_calls": calls, "tool_errors": errors, "response_ms": ms}
            for n, (ago, calls, errors, ms) in enumerate(turns, 1)])


async def notices(store: Store) -> list[tuple[int, str, str, str, str]]:
    """(business, channel, to, related, body) of every alert notice in the outbox, oldest first."""
    o = t.outbox.c
    async with store.engine.connect() as conn:
        rows = await conn.execute(sa.select(o.business_id, o.channel, o.to, o.related, o.body)
                                  .where(o.related.like("alert:%")).order_by(o.id))
        return [(int(b), str(getattr(c, "value", c)), str(to), str(r), str(body)) for b, c, to, r, body in rows]


def reading(readings: list[alerts.Reading], business_id: int, rule: str) -> alerts.Reading | None:
    return next((r for r in readings if r.business_id == business_id and r.rule.name == rule), None)


# ------------------------------------------------------------------------------------------------ error rate

async def test_error_rate_fires_above_five_percent_of_tool_calls_in_the_window(world) -> None:
    store, biz = world.store, world.business_id
    # 25 tool calls in the last 15 minutes, 2 of them errors: 2/25 = 8% > 5%
    await seed_turns(store, biz, [(1, 1, 1, 300), (2, 1, 1, 300)] + [(3, 1, 0, 300)] * 23)
    # outside the window (16 minutes ago): 10 errors that must not count
    await seed_turns(store, biz, [(16, 1, 1, 300)] * 10)
    r = reading(await alerts.measure(store, settings(store), NOW), biz, "error_rate")
    assert r is not None and r.samples == 25 and r.value == pytest.approx(0.08) and r.firing

    changes = await alerts.evaluate(store, settings(store), NOW)
    assert [(c.business_id, c.rule, c.state, c.episode) for c in changes] == [(biz, "error_rate", "firing", 1)]
    [(b, channel, to, related, body)] = await notices(store)
    assert (b, channel, to, related) == (biz, "email", "owner@hero.test", "alert:error_rate:1:firing")
    assert "8.0% over 25 in the last 15 minutes" in body and "above 5.0%" in body


@pytest.mark.parametrize(("errors", "calls", "why"), [
    (1, 25, "4% is under 5%"),
    (1, 20, "exactly 5% is not above it"),
    (5, 19, "26% but only 19 tool calls, under the minimum of 20"),
])
async def test_error_rate_does_not_fire(world, errors: int, calls: int, why: str) -> None:
    store, biz = world.store, world.business_id
    await seed_turns(store, biz, [(1, 1, 1, 300)] * errors + [(2, 1, 0, 300)] * (calls - errors))
    r = reading(await alerts.measure(store, settings(store), NOW), biz, "error_rate")
    assert r is not None and r.samples == calls and not r.firing, why
    assert await alerts.evaluate(store, settings(store), NOW) == []
    assert await notices(store) == []


# ------------------------------------------------------------------------------------------------ response p95

async def test_response_p95_fires_above_two_seconds(world) -> None:
    store, biz = world.store, world.business_id
    # 20 turns: 18 at 0.5 s, 2 at 3 s. Nearest rank: ceil(0.95 * 20) = 19th of the sorted times = 3 s > 2 s
    await seed_turns(store, biz, [(1, 0, 0, 500)] * 18 + [(2, 0, 0, 3000)] * 2)
    r = reading(await alerts.measure(store, settings(store), NOW), biz, "response_p95")
    assert r is not None and r.samples == 20 and r.value == 3.0 and r.firing
    [change] = await alerts.evaluate(store, settings(store), NOW)
    assert (change.rule, change.state) == ("response_p95", "firing")
    [(_, _, _, related, body)] = await notices(store)
    assert related == "alert:response_p95:1:firing" and "3.00 s over 20" in body and "above 2.00 s" in body


async def test_response_p95_does_not_fire_for_one_slow_turn_in_twenty(world) -> None:
    store, biz = world.store, world.business_id
    # 19 at 0.5 s and 1 at 9 s: the 19th sorted time is 0.5 s; the turns without a time are not samples
    await seed_turns(store, biz, [(1, 0, 0, 500)] * 19 + [(2, 0, 0, 9000)] + [(3, 0, 0, None)] * 5)
    r = reading(await alerts.measure(store, settings(store), NOW), biz, "response_p95")
    assert r is not None and r.samples == 20 and r.value == 0.5 and not r.firing
    assert await alerts.evaluate(store, settings(store), NOW) == []


def test_nearest_rank_p95() -> None:
    assert alerts.p95([1.0]) == 1.0
    assert alerts.p95([float(n) for n in range(1, 101)]) == 95.0  # ceil(95.0) = 95th value
    assert alerts.p95([float(n) for n in range(1, 11)]) == 10.0  # ceil(9.5) = 10th value


# ------------------------------------------------------------------------------------------------ dialer

@pytest.fixture
async def attempts_table(store: Store) -> Any:
    """A table with the calling issue's columns the dialer rule reads (created here, dropped after)."""
    real = t.metadata.tables.get("call_attempts")
    if real is not None:  # once mapped, the real table must have what the rule reads
        assert {"business_id", "state", "ended_at"} <= set(real.c.keys())
    table = sa.Table(CALLS, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("business_id", sa.Integer, nullable=False),
                     sa.Column("state", sa.String(20), nullable=False), sa.Column("ended_at", t.UTCDateTime))
    async with store.engine.begin() as conn:
        await conn.run_sync(table.create)
    yield table
    async with store.engine.begin() as conn:
        await conn.run_sync(table.drop)


async def seed_attempts(store: Store, table: Any, business_id: int, states: list[tuple[str, float | None]]) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(sa.insert(table), [
            {"business_id": business_id, "state": s, "ended_at": None if ago is None else NOW - timedelta(minutes=ago)}
            for s, ago in states])


async def test_dialer_failures_fire_above_the_failure_rate(world, attempts_table) -> None:
    store, biz = world.store, world.business_id
    # finished on the line in the last hour: 3 failed + 4 completed + 2 no answer + 1 busy + 1 voicemail = 11;
    # 3/11 = 27.3% > 20%. Queued, cancelled, skipped never reached the line; the failure 2 hours ago is old.
    await seed_attempts(store, attempts_table, biz, [
        ("failed", 5), ("failed", 10), ("failed", 59), ("completed", 1), ("completed", 2), ("completed", 3),
        ("completed", 4), ("no_answer", 5), ("no_answer", 6), ("busy", 7), ("voicemail", 8),
        ("queued", None), ("cancelled", 3), ("skipped", 3), ("failed", 120)])
    readings = await alerts.measure(store, settings(store), NOW, calls_table=CALLS)
    r = reading(readings, biz, "dialer_failures")
    assert r is not None and r.samples == 11 and r.value == pytest.approx(3 / 11) and r.firing
    [change] = await alerts.evaluate(store, settings(store), NOW, readings)
    assert (change.rule, change.state) == ("dialer_failures", "firing")
    assert "27.3% over 11 in the last 60 minutes" in (await notices(store))[0][4]


async def test_dialer_failures_do_not_fire_at_a_low_rate_or_without_the_table(world, attempts_table) -> None:
    store, biz = world.store, world.business_id
    # 2 failed of 10 finished: exactly 20% is not above it
    await seed_attempts(store, attempts_table, biz, [("failed", 1), ("failed", 2)] + [("completed", 3)] * 8)
    r = reading(await alerts.measure(store, settings(store), NOW, calls_table=CALLS), biz, "dialer_failures")
    assert r is not None and r.samples == 10 and r.value == pytest.approx(0.2) and not r.firing
    # a database without the table: the rule has nothing to read, and says nothing
    missing = await alerts.measure(store, settings(store), NOW, calls_table="no_such_table")
    assert reading(missing, biz, "dialer_failures") is None


# ------------------------------------------------------------------------------------------------ notices

async def test_one_notice_per_firing_across_evaluations_and_a_restart_then_resolved(world, clock) -> None:
    store, biz = world.store, world.business_id
    s = settings(store)
    await seed_turns(store, biz, [(1, 1, 1, 300)] * 3 + [(2, 1, 0, 300)] * 17)  # 3/20 = 15%
    assert len(await alerts.evaluate(store, s, NOW)) == 1
    assert await alerts.evaluate(store, s, NOW) == []  # already firing: nothing new

    restarted = Store(s, cache=MemoryCache(), clock=clock)  # a new process on the same database
    try:
        assert await alerts.evaluate(restarted, s, NOW + timedelta(minutes=1)) == []
    finally:
        await restarted.close()
    assert [n[3] for n in await notices(store)] == ["alert:error_rate:1:firing"]

    # 20 minutes on, those turns are out of the window: resolved, told once
    later = NOW + timedelta(minutes=20)
    [resolved] = await alerts.evaluate(store, s, later)
    assert (resolved.state, resolved.episode) == ("ok", 1)
    assert await alerts.evaluate(store, s, later) == []
    sent = await notices(store)
    assert [n[3] for n in sent] == ["alert:error_rate:1:firing", "alert:error_rate:1:resolved"]
    assert sent[1][4] == ("Hero365 resolved: agents' tool errors: only 0 in the last 15 minutes, too few to alert "
                          "on (minimum 20).")

    # errors again: a second episode, its own notice
    await seed_turns(store, biz, [(-19, 1, 1, 300)] * 20)  # 19 minutes after NOW, i.e. 1 minute before `later`
    [again] = await alerts.evaluate(store, s, later)
    assert (again.state, again.episode) == ("firing", 2)
    assert [n[3] for n in await notices(store)][-1] == "alert:error_rate:2:firing"
    assert await alerts.states(store) == {(biz, "error_rate"): "firing"}


async def test_two_evaluators_at_once_notify_once(world, clock) -> None:
    store, biz = world.store, world.business_id
    s = settings(store)
    await seed_turns(store, biz, [(1, 1, 1, 300)] * 20)
    other = Store(s, cache=MemoryCache(), clock=clock)
    try:
        results = await asyncio.gather(alerts.evaluate(store, s, NOW), alerts.evaluate(other, s, NOW))
    finally:
        await other.close()
    assert sorted(len(r) for r in results) == [0, 1]
    assert [n[3] for n in await notices(store)] == ["alert:error_rate:1:firing"]


async def test_only_the_business_whose_agents_fail_is_notified(world) -> None:
    store, biz = world.store, world.business_id
    other, _ = await businesses.create_business(store, "Calm Plumbing", "America/Chicago", owner_name="Cal Calm",
                                                owner_email="cal@calm.test", phone="+15125550111")
    await seed_turns(store, biz, [(1, 1, 1, 300)] * 20)
    await seed_turns(store, other.id, [(1, 1, 0, 300)] * 40)  # type: ignore[arg-type]
    changes = await alerts.evaluate(store, settings(store), NOW)
    assert [(c.business_id, c.rule) for c in changes] == [(biz, "error_rate")]
    assert [(n[0], n[2]) for n in await notices(store)] == [(biz, "owner@hero.test")]


async def test_the_gateway_loop_evaluates_periodically(world) -> None:
    store, biz = world.store, world.business_id
    await seed_turns(store, biz, [(1, 1, 1, 300)] * 20)
    loop = asyncio.get_running_loop().create_task(
        alerts.run_periodically(store, settings(store), 0.05, clock=lambda: NOW))
    try:
        for _ in range(200):
            if await notices(store):
                break
            await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    assert [n[3] for n in await notices(store)] == ["alert:error_rate:1:firing"]


async def test_alerts_check_command(world, monkeypatch) -> None:
    """`hero365 alerts check` on the database from DATABASE_URL, at the real time: --dry-run measures only."""
    from hero365.cli import app
    from hero365.config import get_settings

    store, biz = world.store, world.business_id
    now = datetime.now(UTC)
    shift = now - NOW
    await seed_turns(store, biz, [(1 - shift.total_seconds() / 60, 1, 1, 300)] * 20)  # 1 minute ago, for real
    monkeypatch.setenv("DATABASE_URL", store.settings.database_url)
    get_settings.cache_clear()
    try:
        dry = await asyncio.to_thread(CliRunner().invoke, app, ["alerts", "check", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "error_rate" in dry.output and "100.0%" in dry.output and "--dry-run" in dry.output
        assert await notices(store) == []
        real = await asyncio.to_thread(CliRunner().invoke, app, ["alerts", "check"])
        assert real.exit_code == 0, real.output
        assert f"business {biz}: error_rate is now firing (episode 1; owner notified at owner@hero.test)" \
            in " ".join(real.output.split())
        assert [n[3] for n in await notices(store)] == ["alert:error_rate:1:firing"]
    finally:
        get_settings.cache_clear()


def test_alerts_check_on_an_unmigrated_database_says_what_to_do(tmp_path, monkeypatch) -> None:
    from hero365.cli import app
    from hero365.config import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["alerts", "check"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 1 and "hero365 db upgrade" in " ".join(out.output.split())
    assert "Traceback" not in out.output


async def _real_attempts(store: Store, business_id: int, states: list[tuple[str, str | None, float]]) -> None:
    """Rows in the calling issue's own call_attempts table: (state, outcome, minutes before NOW it ended)."""
    table = t.metadata.tables["call_attempts"]
    async with store.engine.begin() as conn:
        await conn.execute(sa.insert(table), [
            {"business_id": business_id, "to_number": "+15125550100", "purpose": "appointment_reminder",
             "agent": "support", "state": state, "outcome": outcome, "attempt_no": 1,
             "scheduled_for": NOW - timedelta(minutes=ago + 1), "ended_at": NOW - timedelta(minutes=ago),
             "idempotency_key": f"alert-test-{business_id}-{n}", "created_at": NOW - timedelta(hours=2)}
            for n, (state, outcome, ago) in enumerate(states)])


async def test_dialer_rule_on_the_calling_issues_own_table(world) -> None:
    if "call_attempts" not in t.metadata.tables:
        pytest.skip("the calling issue's call_attempts table is not mapped in this tree")
    store, biz = world.store, world.business_id
    # 3 failed of 10 finished = 30% > 20%
    await _real_attempts(store, biz, [("failed", None, 5)] * 3 + [("completed", "confirmed", 6)] * 7)
    [change] = await alerts.evaluate(store, settings(store), NOW)
    assert (change.rule, change.state, change.samples) == ("dialer_failures", "firing", 10)
    assert change.value == pytest.approx(0.3)


async def test_the_gateway_runs_the_alert_loop_for_its_lifetime(world) -> None:
    from hero365.gateway import create_app

    store, biz = world.store, world.business_id
    await seed_turns(store, biz, [(1, 1, 1, 300)] * 20)
    application = create_app(settings(store, jwt_secret="x" * 40, alerts_interval_seconds=1), store,
                             stt_factory=None)
    async with application.router.lifespan_context(application):
        for _ in range(100):  # the first evaluation comes one interval after start
            if await notices(store):
                break
            await asyncio.sleep(0.05)
    assert [n[3] for n in await notices(store)] == ["alert:error_rate:1:firing"]
