"""GET /metrics after real requests and a real text turn through the gateway (local brain, real store on SQLite
then PostgreSQL): the exposition parses, HTTP requests are labelled by route template and status, the turn
and its tool call are counted, live sessions are a gauge, and the database's figures (conversations by
outcome, calls by outcome, dialer attempts by state) come from the database, read at most once per cache
period, with the calling issue's table picked up when it appears."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from hero365.insights import metrics

# the gateway's fixtures (its app on the test store, customers), shared rather than copied
_spec = importlib.util.spec_from_file_location("gateway_fixtures",
                                               Path(__file__).parents[1] / "gateway" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_gateway = importlib.util.module_from_spec(_spec)
sys.modules["gateway_fixtures"] = _gateway
_spec.loader.exec_module(_gateway)
globals().update({name: getattr(_gateway, name) for name in ("make_app", "customers")})

SEND = "/api/v1/voice-agents/personal/send-command"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, keyed by (sample name, labels)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> Samples:
    r = await client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return parse(r.text)


@pytest.fixture
async def fresh_app(make_app: Any) -> Any:
    """The gateway with the database figures re-read at every scrape (no cache) and alerts off."""
    application = make_app(metrics_db_cache_seconds=0, alerts_interval_seconds=0)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def fresh_client(fresh_app: Any) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fresh_app), base_url="http://testserver") as c:
        yield c


async def test_requests_and_a_text_turn_show_in_the_exposition(fresh_app, fresh_client, world, customers) -> None:
    client = fresh_client
    h = {"Authorization": f"Bearer {fresh_app.state.gateway.tokens.mint(world.owner.user_id, world.business_id)}"}
    before = await scrape(client)

    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/api/v1/voice-agents/sessions")).status_code == 401  # no token
    assert (await client.get("/no/such/page")).status_code == 404
    r = await client.post(SEND, json={"text": "what is on my schedule today"}, headers=h)
    assert r.status_code == 200, r.text
    turn = r.json()
    tools = [c["name"] for c in turn["tool_calls"]]
    assert tools, turn
    assert (await client.get(f"/api/v1/voice-agents/sessions/{turn['session_id']}", headers=h)).status_code == 200

    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    http = "hero365_http_request_duration_seconds_count"
    assert grew(http, method="GET", route="/healthz", status="200") == 1
    assert grew(http, method="GET", route="/api/v1/voice-agents/sessions", status="401") == 1
    assert grew(http, method="GET", route="unmatched", status="404") == 1
    assert grew(http, method="POST", route=SEND, status="200") == 1
    # the route's template, never the session id (one series per route, not per session)
    assert grew(http, method="GET", route="/api/v1/voice-agents/sessions/{session_id}", status="200") == 1
    assert not any(turn["session_id"] in dict(labels).get("route", "") for _, labels in after)

    assert grew("hero365_turns_total", agent="personal", channel="text") == 1
    assert grew("hero365_turn_response_seconds_count", agent="personal", channel="text") == 1
    assert grew("hero365_brain_seconds_count", agent="personal") == 1
    for tool in set(tools):
        assert grew("hero365_tool_calls_total", tool=tool) == tools.count(tool)
        assert grew("hero365_tool_seconds_count", tool=tool) == tools.count(tool)
    assert grew("hero365_turn_voice_to_voice_seconds_count", agent="personal", channel="text") == 0  # typed
    assert value(after, "hero365_sessions_active", kind="text") == value(before, "hero365_sessions_active",
                                                                         kind="text") + 1
    assert value(after, "hero365_db_metrics_up") == 1

    # ending the session: the gauge drops, and the conversation counts by its outcome (from the database)
    ended = await client.post(f"/api/v1/voice-agents/sessions/{turn['session_id']}/end", headers=h)
    assert ended.status_code == 200, ended.text
    last = await scrape(client)
    assert value(last, "hero365_sessions_active", kind="text") == value(before, "hero365_sessions_active",
                                                                        kind="text")
    assert value(last, "hero365_conversations_total", agent="personal", outcome=ended.json()["outcome"]) == 1


async def test_a_tool_error_is_counted_by_tool_and_code(fresh_app, fresh_client, world, customers) -> None:
    h = {"Authorization": f"Bearer {fresh_app.state.gateway.tokens.mint(world.owner.user_id, world.business_id)}"}
    before = await scrape(fresh_client)
    r = await fresh_client.post(SEND, json={"text": "tell me about job 999"}, headers=h)
    assert r.status_code == 200, r.text
    errors = [(c["name"], c["error"]) for c in r.json()["tool_calls"] if c["error"]]
    assert errors, r.json()  # there is no job 999
    after = await scrape(fresh_client)
    for tool, code in errors:
        grew = value(after, "hero365_tool_errors_total", tool=tool, error=code) - value(
            before, "hero365_tool_errors_total", tool=tool, error=code)
        assert grew == errors.count((tool, code))


async def test_metrics_token_is_required_when_set(make_app) -> None:
    application = make_app(metrics_token="scrape-me", alerts_interval_seconds=0)
    async with application.router.lifespan_context(application), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://testserver") as c:
        refused = await c.get("/metrics")
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert (await c.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert value(await scrape(c, Authorization="Bearer scrape-me"), "hero365_db_metrics_up") == 1


# ------------------------------------------------------------------------------------------- database figures

async def _conversation(store: Any, business_id: int, session_id: str, agent: str, outcome: str | None) -> None:
    from hero365.insights.model import Conversation

    async with store.uow(business_id) as uow:
        uow.session.add(Conversation(business_id=business_id, session_id=session_id, agent=agent, channel="phone",
                                     started_at=store.clock(), outcome=outcome,
                                     ended_at=store.clock() if outcome else None))


def _families(collector: metrics.DatabaseMetrics) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value for f in collector.collect() for s in f.samples}


async def test_database_figures_are_cached_between_scrapes(world) -> None:
    store, biz = world.store, world.business_id
    await _conversation(store, biz, "a", "support", "rescheduled")
    db = metrics.DatabaseMetrics(store.engine, ttl=3600)
    await db.refresh()
    assert value(_families(db), "hero365_conversations_total", agent="support", outcome="rescheduled") == 1

    await _conversation(store, biz, "b", "support", "rescheduled")
    await _conversation(store, biz, "c", "support", None)  # still open: no outcome to count yet
    await db.refresh()  # within the cache period: the same snapshot, no new read
    assert value(_families(db), "hero365_conversations_total", agent="support", outcome="rescheduled") == 1
    await db.refresh(force=True)
    samples = _families(db)
    assert value(samples, "hero365_conversations_total", agent="support", outcome="rescheduled") == 2
    assert not any(dict(labels).get("outcome") == "None" for _, labels in samples)


async def test_calls_by_outcome_and_attempts_by_state_appear_with_their_table(world) -> None:
    """Before the calling issue's table exists the families are absent (not zeros that would lie); once it is
    there they are read from it."""
    store = world.store
    name = "call_attempts_metrics_test"
    db = metrics.DatabaseMetrics(store.engine, ttl=0, calls_table=name)
    names = {f.name for f in (await db.refresh(force=True), db.collect())[1]}
    assert "hero365_calls" not in names and "hero365_dialer_attempts" not in names
    assert "hero365_conversations" in names

    table = sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("state", sa.String(20), nullable=False), sa.Column("outcome", sa.String(40)))
    async with store.engine.begin() as conn:
        await conn.run_sync(table.create)
    try:
        rows = [("completed", "confirmed"), ("completed", "rescheduled"), ("completed", "confirmed"),
                ("failed", None), ("no_answer", None), ("queued", None), ("queued", None), ("queued", None)]
        async with store.engine.begin() as conn:
            await conn.execute(sa.insert(table), [{"state": s, "outcome": o} for s, o in rows])
        await db.refresh(force=True)
        samples = _families(db)
        assert value(samples, "hero365_calls_total", outcome="confirmed") == 2
        assert value(samples, "hero365_calls_total", outcome="rescheduled") == 1
        assert value(samples, "hero365_dialer_attempts", state="queued") == 3
        assert value(samples, "hero365_dialer_attempts", state="completed") == 3
        assert value(samples, "hero365_dialer_attempts", state="failed") == 1
        assert value(samples, "hero365_dialer_attempts", state="no_answer") == 1
    finally:
        async with store.engine.begin() as conn:
            await conn.run_sync(table.drop)


async def test_an_unreachable_database_reports_down_not_a_failed_scrape(tmp_path) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")  # nothing listens on port 9
    try:
        db = metrics.DatabaseMetrics(engine, ttl=0)
        await db.refresh()
        assert value(_families(db), "hero365_db_metrics_up") == 0
        assert b"hero365_db_metrics_up 0.0" in metrics.exposition(db)
    finally:
        await engine.dispose()


def test_several_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """uvicorn --workers N / LiveKit job processes: each process writes files, one exposition sums them."""
    import os
    import subprocess

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    write = ("from hero365.insights import metrics\n"
             "metrics.tool_call('lookup_job', 'not_found', 0.02)\nmetrics.session_opened('voice')\n")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", write], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", "import sys; from hero365.insights import metrics; "
                          "sys.stdout.write(metrics.exposition().decode())"],
                         env=env, check=True, timeout=60, capture_output=True, text=True).stdout
    samples = parse(out)
    assert value(samples, "hero365_tool_calls_total", tool="lookup_job") == 2
    assert value(samples, "hero365_tool_errors_total", tool="lookup_job", error="not_found") == 2
    assert value(samples, "hero365_tool_seconds_count", tool="lookup_job") == 2


async def test_voice_timings_handed_to_the_recorder_are_observed(fresh_app, fresh_client, world, customers) -> None:
    """What TurnTimeline hands the recorder for a spoken turn (time.time() stamps and LiveKit's stage metrics,
    in seconds) becomes voice-to-voice and brain observations: 0.5 s end of utterance + (101.2 - 100.0) s from
    the committed turn to the first audio = 1.7 s, in the 2 s bucket and not the 1.5 s one."""
    h = {"Authorization": f"Bearer {fresh_app.state.gateway.tokens.mint(world.owner.user_id, world.business_id)}"}
    said = "what is on my schedule today"
    turn = (await fresh_client.post(SEND, json={"text": said}, headers=h)).json()
    live = fresh_app.state.gateway.sessions.peek(turn["session_id"])
    before = await scrape(fresh_client)
    live.recorder.timings({"transcript": said, "thinking_at": 100.0, "speaking_at": 101.2, "eou_delay": 0.5,
                           "llm_ttft": 0.3, "tts_ttfb": 0.2})
    after = await scrape(fresh_client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    v2v = "hero365_turn_voice_to_voice_seconds"
    assert grew(f"{v2v}_count", agent="personal", channel="text") == 1
    assert grew(f"{v2v}_sum", agent="personal", channel="text") == pytest.approx(1.7)
    assert grew(f"{v2v}_bucket", agent="personal", channel="text", le="1.5") == 0
    assert grew(f"{v2v}_bucket", agent="personal", channel="text", le="2.0") == 1
    assert grew("hero365_brain_seconds_sum", agent="personal") == pytest.approx(0.3)
    assert grew("hero365_turns_total", agent="personal", channel="text") == 0  # the turn was counted once


async def test_calls_and_attempts_from_the_calling_issues_own_table(world) -> None:
    from hero365.erp.store.tables import metadata

    if "call_attempts" not in metadata.tables:
        pytest.skip("the calling issue's call_attempts table is not mapped in this tree")
    table = metadata.tables["call_attempts"]
    now = world.store.clock()
    rows = [("completed", "confirmed"), ("completed", "booked"), ("voicemail", "voicemail_left"), ("queued", None)]
    async with world.store.engine.begin() as conn:
        await conn.execute(sa.insert(table), [
            {"business_id": world.business_id, "to_number": "+15125550100", "purpose": "appointment_reminder",
             "agent": "support", "state": state, "outcome": outcome, "attempt_no": 1, "scheduled_for": now,
             "idempotency_key": f"metrics-test-{n}", "created_at": now} for n, (state, outcome) in enumerate(rows)])
    db = metrics.DatabaseMetrics(world.store.engine, ttl=0)
    await db.refresh()
    samples = _families(db)
    assert value(samples, "hero365_calls_total", outcome="confirmed") == 1
    assert value(samples, "hero365_calls_total", outcome="voicemail_left") == 1
    assert value(samples, "hero365_dialer_attempts", state="completed") == 2
    assert value(samples, "hero365_dialer_attempts", state="queued") == 1
