"""Monitoring costs: what the metrics add to each request and tool call, what a scrape costs with a large
conversation store (uncached and cached), and one alert evaluation over a busy window.

    .venv/bin/python bench/metrics.py                 # 50,000 conversations, SQLite file
    .venv/bin/python bench/metrics.py --quick         # 10,000
    .venv/bin/python bench/metrics.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Prints a table and one JSON line:
{"bench": "metrics", "conversations": ..., "scrape_uncached_ms": ..., "scrape_cached_ms": ..., ...}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.services import businesses
from hero365.erp.store.db import Store
from hero365.insights import alerts, metrics
from hero365.insights.tables import conversation_turns, conversations, map_insights

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
AGENTS = ["personal", "support", "sales", "receptionist"]
OUTCOMES = ["completed", "create_job", "reschedule_appointment", "payment_promise", "transferred", "opt_out"]


def timed(fn: Callable[[], Any], n: int) -> float:
    """Microseconds per call of a synchronous function."""
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


async def timed_async(fn: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def seed(store: Store, business_ids: list[int], conversations_n: int, turns_in_window: int) -> None:
    rows = [{"business_id": business_ids[i % len(business_ids)], "session_id": uuid.uuid4().hex,
             "agent": AGENTS[i % len(AGENTS)], "channel": "phone", "started_at": NOW - timedelta(minutes=i % 50000),
             "ended_at": NOW, "outcome": OUTCOMES[i % len(OUTCOMES)], "turns": 3, "tool_calls": 2, "tool_errors": 0}
            for i in range(conversations_n)]
    async with store.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            await conn.execute(sa.insert(conversations), rows[start:start + 5000])
        first = (await conn.execute(sa.select(sa.func.min(conversations.c.id)))).scalar_one()
        turns = [{"business_id": business_ids[i % len(business_ids)], "conversation_id": first + i, "seq": 1,
                  "at": NOW - timedelta(seconds=i % 800), "failed": i % 17 == 0, "tool_calls": 1,
                  "tool_errors": int(i % 17 == 0), "response_ms": 300.0 + (i % 40) * 50}
                 for i in range(turns_in_window)]
        for start in range(0, len(turns), 5000):
            await conn.execute(sa.insert(conversation_turns), turns[start:start + 5000])


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 conversations")
    ap.add_argument("--conversations", type=int, default=50_000)
    ap.add_argument("--pg", help="a PostgreSQL admin URL: a throw-away database is created there and dropped")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.conversations
    map_insights()

    pg_name = None
    if args.pg:
        import asyncpg

        pg_name = f"h365_bench_{uuid.uuid4().hex[:8]}"
        admin = args.pg.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{pg_name}"')
        await conn.close()
        url = args.pg.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    settings = Settings(database_url=url, redis_url=None)
    store = Store(settings, cache=MemoryCache(), clock=lambda: NOW)
    try:
        await store.create_all()
        ids = []
        for i in range(20):
            biz, _ = await businesses.create_business(store, f"Bench {i}", owner_name="Owner",
                                                      owner_email=f"owner{i}@bench.test")
            ids.append(int(biz.id))  # type: ignore[arg-type]
        started = time.perf_counter()
        await seed(store, ids, n, min(n, 5000))
        seeded_s = time.perf_counter() - started

        # per-event costs of the instrumentation itself
        tool_us = timed(lambda: metrics.tool_call("lookup_job", None, 0.004), 20_000)
        http_us = timed(lambda: metrics.observe_http("POST", "/api/v1/voice-agents/personal/send-command", 200,
                                                     0.02), 20_000)

        db = metrics.DatabaseMetrics(store.engine, ttl=15)
        uncached = await timed_async(lambda: db.refresh(force=True), 10)
        cached = await timed_async(db.refresh, 200)
        expo = [timed(lambda: metrics.exposition(db), 1) / 1000 for _ in range(20)]
        evaluation = await timed_async(lambda: alerts.measure(store, settings, NOW), 5)
    finally:
        await store.close()
        if pg_name:
            import asyncpg

            conn = await asyncpg.connect(args.pg.replace("postgresql+asyncpg://", "postgresql://"))
            await conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            await conn.close()

    result = {"bench": "metrics", "database": "postgresql" if args.pg else "sqlite", "conversations": n,
              "turns_in_window": min(n, 5000), "tool_call_us": round(tool_us, 2), "http_observe_us": round(http_us, 2),
              "scrape_uncached_ms": round(statistics.median(uncached), 2),
              "scrape_cached_ms": round(statistics.median(cached), 4),
              "exposition_ms": round(statistics.median(expo), 2),
              "alert_measure_ms": round(statistics.median(evaluation), 2), "seed_s": round(seeded_s, 1)}
    table = Table(title=f"Monitoring costs ({result['database']}, {n:,} conversations, "
                        f"{result['turns_in_window']:,} turns in the alert window)")
    table.add_column("what")
    table.add_column("median", justify="right")
    table.add_row("metrics.tool_call (counter + histogram)", f"{tool_us:.2f} µs")
    table.add_row("metrics.observe_http (one histogram)", f"{http_us:.2f} µs")
    table.add_row("database figures, read (uncached scrape)", f"{result['scrape_uncached_ms']} ms")
    table.add_row("database figures, cached (scrapes within 15 s)", f"{result['scrape_cached_ms']} ms")
    table.add_row("exposition text (all hero365_* and LiveKit's)", f"{result['exposition_ms']} ms")
    table.add_row("alert rules measured (3 queries, every business)", f"{result['alert_measure_ms']} ms")
    Console().print(table)
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
