"""Analytics over a large conversation store: how long each figure takes in SQL as the store grows.

    .venv/bin/python bench/analytics.py                 # 20,000 conversations (100,000 turns) on SQLite
    .venv/bin/python bench/analytics.py --quick         # 2,000
    .venv/bin/python bench/analytics.py --pg postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

A fresh database (a temporary SQLite file, or a throw-away PostgreSQL database made on the given server) gets
one business and a month of conversations spread over its agents, five turns each with timings, intents and
actions, and their events with the text encrypted as the recorder writes it; then ANALYZE (as autovacuum
would after such a load; --no-analyze skips it). Then each analytics call runs
five times over the month (the dashboard's and `hero365 report`'s queries) and the median is reported, with
the encryption cost per event (encrypt + decrypt). Prints a table and one JSON line:
{"bench": "analytics", "conversations": ..., "turns": ..., "figures_ms": ..., "series_ms": ..., ...}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

AGENTS = [("personal", "text", None), ("support", "phone", "appointment_reminder"),
          ("support", "phone", "payment_reminder"), ("sales", "phone", "estimate_follow_up"),
          ("receptionist", "phone", "inbound")]
INTENTS = ["get_schedule", "create_job", "confirm", "reschedule_appointment", "payment_promise", "out_of_scope",
           "get_invoice_status", "book_consultation", "help", "update_job_status"]
ACTIONS = {"create_job": "create_job", "reschedule_appointment": "reschedule_appointment",
           "payment_promise": "payment_promise", "book_consultation": "book_consultation"}


async def seed(store: Any, business_id: int, n: int, rng: random.Random) -> int:
    import sqlalchemy as sa

    from hero365.insights.crypto import attach
    from hero365.insights.tables import conversation_events, conversation_turns, conversations

    attach(store)
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    turns_total = 0
    for chunk in range(0, n, 1000):
        convs, turns, events = [], [], []
        async with store.engine.begin() as conn:
            first_id = (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(conversations.c.id), 0)))).scalar()
            for i in range(chunk, min(n, chunk + 1000)):
                cid = first_id + 1 + (i - chunk)
                agent, channel, purpose = AGENTS[i % len(AGENTS)]
                at = start + timedelta(minutes=rng.randrange(0, 29 * 24 * 60))
                convs.append({"id": cid, "business_id": business_id, "session_id": uuid.uuid4().hex, "agent": agent,
                              "channel": channel, "purpose": purpose, "started_at": at,
                              "ended_at": at + timedelta(seconds=90), "turns": 5, "tool_calls": 5,
                              "tool_errors": int(rng.random() < 0.1), "duration_s": rng.uniform(20, 300),
                              "resolved": rng.random() < 0.8, "outcome": rng.choice(["completed", *ACTIONS.values()])})
                for t in range(1, 6):
                    intent = rng.choice(INTENTS)
                    turns.append({"business_id": business_id, "conversation_id": cid, "seq": t,
                                  "at": at, "user_seq": 2 * t - 1, "intent": intent,
                                  "action": ACTIONS.get(intent) if rng.random() < 0.5 else None,
                                  "failed": intent == "out_of_scope", "tool_calls": 1, "tool_errors": 0,
                                  "response_ms": rng.uniform(20, 900), "tool_ms": rng.uniform(1, 80),
                                  "brain_ms": rng.uniform(5, 400),
                                  "v2v_ms": rng.uniform(400, 2500) if channel == "phone" else None})
                    for seq, kind in ((2 * t - 1, "user"), (2 * t, "assistant")):
                        events.append({"business_id": business_id, "conversation_id": cid, "seq": seq, "at": at,
                                       "kind": kind, "text": f"turn {t} words, call me at 512-555-01{t:02d}"})
            await conn.execute(sa.insert(conversations), convs)
            await conn.execute(sa.insert(conversation_turns), turns)
            await conn.execute(sa.insert(conversation_events), events)  # encrypted on the way, as recorded
            turns_total += len(turns)
    return turns_total


async def timed(fn: Callable[[], Awaitable[Any]], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    from hero365.config import Settings
    from hero365.erp.cache import MemoryCache
    from hero365.erp.services import businesses
    from hero365.erp.store.db import Store
    from hero365.insights import analytics as an
    from hero365.insights.crypto import Keyring
    from hero365.insights.funnels import conversation_funnels
    from hero365.insights.periods import window
    from hero365.insights.tables import map_insights

    map_insights()
    tmp = Path(tempfile.mkdtemp(prefix="h365-analytics-"))
    dbname = None
    if args.pg:
        import asyncpg

        dbname = f"h365_bench_{uuid.uuid4().hex[:8]}"
        admin = args.pg.replace("+asyncpg", "")
        conn = await asyncpg.connect(admin)
        await conn.execute(f'CREATE DATABASE "{dbname}"')
        await conn.close()
        url = args.pg.rsplit("/", 1)[0] + f"/{dbname}"
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    store = Store(Settings(database_url=url, redis_url=None, conversation_keys_file=tmp / "keys"),
                  cache=MemoryCache())
    try:
        await store.create_all()
        biz, _ = await businesses.create_business(store, "Bench Plumbing", "America/Chicago", owner_name="B",
                                                  owner_email="b@bench.test")
        t0 = time.perf_counter()
        turns = await seed(store, biz.id, args.conversations, random.Random(7))  # type: ignore[arg-type]
        seeded_s = time.perf_counter() - t0
        if not args.no_analyze:  # what autovacuum (PostgreSQL) does after a bulk load; SQLite's planner stats too
            import sqlalchemy as sa

            async with store.engine.begin() as conn:
                await conn.execute(sa.text("ANALYZE"))
        win = window("month", date(2026, 11, 15), ZoneInfo("America/Chicago"))
        bid: int = biz.id  # type: ignore[assignment]
        results = {
            "figures (all agents)": await timed(lambda: an.figures(store, bid, win)),
            "figures (one agent)": await timed(lambda: an.figures(store, bid, win, "support")),
            "series (month by day)": await timed(lambda: an.series(store, bid, win, "day")),
            "failed utterances": await timed(lambda: an.failed_utterances(store, bid, win)),
            "funnels": await timed(lambda: conversation_funnels(store, bid, win)),
        }
        check = await an.figures(store, bid, win)
        assert check["all"].conversations == args.conversations, check["all"].conversations
        ring = Keyring.from_settings(store.settings)
        t0 = time.perf_counter()
        for i in range(2000):
            ring.decrypt(ring.encrypt(f"turn {i} words, call me at 512-555-0100"))
        crypt_us = (time.perf_counter() - t0) / 2000 * 1e6
    finally:
        await store.close()
        if dbname:
            import asyncpg

            conn = await asyncpg.connect(args.pg.replace("+asyncpg", ""))
            await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            await conn.close()
    return {"database": "postgresql" if args.pg else "sqlite", "conversations": args.conversations,
            "turns": turns, "seed_s": round(seeded_s, 1), "queries_ms": {k: round(v, 1) for k, v in results.items()},
            "encrypt_decrypt_us": round(crypt_us, 1)}


def report(out: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table("query (a month, median of 5)", "ms",
              title=f"analytics on {out['database']}: {out['conversations']:,} conversations, {out['turns']:,} turns")
    for name, ms in out["queries_ms"].items():
        t.add_row(name, f"{ms:,.1f}")
    t.add_row("encrypt + decrypt one event", f"{out['encrypt_decrypt_us'] / 1000:.3f}")
    Console().print(t)
    q = out["queries_ms"]
    print(json.dumps({"bench": "analytics", "database": out["database"], "conversations": out["conversations"],
                      "turns": out["turns"], "figures_ms": q["figures (all agents)"],
                      "series_ms": q["series (month by day)"], "failed_utterances_ms": q["failed utterances"],
                      "funnels_ms": q["funnels"], "encrypt_decrypt_us": out["encrypt_decrypt_us"]}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 conversations")
    parser.add_argument("--pg", help="a PostgreSQL server URL (a throw-away database is made there)")
    parser.add_argument("--no-analyze", action="store_true", help="query with no planner statistics")
    a = parser.parse_args()
    if a.quick:
        a.conversations = 2_000
    report(asyncio.run(main(a)))
