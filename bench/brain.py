"""Per-turn latency of the local brain on a business with ~2,000 contacts.

Two figures per turn: the brain's own decision (parse, resolve, choose a tool: `decide`), and the whole
text turn through a real AgentSession (brain -> tool -> ERP on SQLite -> brain speaks the result: `turn`).
Prints a table, then one JSON line: {"bench": "brain", "p50_ms", "p99_ms", "turn_p50_ms", "turn_p99_ms", ...}:
p50/p99 are the brain's per-turn latency; turn_* the whole text turn including the tool's database work
(which bench/erp_ops.py measures per operation). Not a test: it measures.

    .venv/bin/python bench/brain.py [--contacts 2000] [--rounds 20] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.demo import generate_demo
from hero365.erp.services.businesses import actor_for
from hero365.erp.store.db import Store
from hero365.erp.store.migrate import upgrade
from hero365.insights.tables import map_insights
from hero365.voice.agents import agent_for
from hero365.voice.session import text_session
from hero365.voice.state import SessionState

#: What a technician or owner says most: reads, lookups by name and number, and proposals (no confirm, so
#: the business stays the same across rounds).
TURNS = [
    "what's on my schedule today",
    "what do i have tomorrow",
    "tell me about job 42",
    "what's the address for the garcia job",
    "has the smith invoice been paid",
    "which invoices are overdue",
    "check stock on pex",
    "how is the henderson remodel going",
    "invoice the johnson job",
    "create a job for linda chen friday at 10 for an ac inspection",
    "no",
    "what's coming up in the next three days",
    "any pending estimates",
    "what's bob smith's phone number",
    "help",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main(contacts: int, rounds: int) -> dict:
    map_insights()
    with tempfile.TemporaryDirectory() as tmp:
        now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
        store = Store(Settings(database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"), cache=MemoryCache(),
                      clock=lambda: now)
        await upgrade(store.engine)
        started = time.perf_counter()
        info = await generate_demo(store, scale=max(1, round(contacts / 60)), seed=365, now=now)
        print(f"demo business: {info.counts['contacts']} contacts, {info.counts['jobs']} jobs "
              f"({time.perf_counter() - started:.1f} s to generate)")
        actor = await actor_for(store, info.owner_user_id, info.business_id)
        state = SessionState(store=store, actor=actor)
        session = text_session(state)
        turn_ms: list[float] = []
        decide_ms: list[float] = []
        per_text: dict[str, list[float]] = {t: [] for t in TURNS}
        async with session:
            agent = agent_for(state)
            await session.start(agent)
            await agent.ready.wait()
            brain = session.llm
            for _ in range(2):  # warm up caches and the parser's first compiles
                for text in TURNS:
                    await session.run(user_input=text)
            for _ in range(rounds):
                for text in TURNS:
                    t0 = time.perf_counter()
                    await session.run(user_input=text)
                    elapsed = (time.perf_counter() - t0) * 1000
                    turn_ms.append(elapsed)
                    per_text[text].append(elapsed)
                    decide_ms.append(brain.last_decide_ms)  # type: ignore[attr-defined]
        await store.close()
    print(f"\n{'utterance':58} {'p50 ms':>8} {'p99 ms':>8}")
    for text, values in per_text.items():
        print(f"{text[:58]:58} {statistics.median(values):8.2f} {pct(values, 99):8.2f}")
    print(f"\n{'measure':30} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'n':>6}")
    for name, values in (("brain decision (decide)", decide_ms), ("whole text turn", turn_ms)):
        print(f"{name:30} {statistics.median(values):8.2f} {pct(values, 99):8.2f} {max(values):8.2f} "
              f"{len(values):6d}")
    return {"bench": "brain", "p50_ms": round(statistics.median(decide_ms), 3),
            "p99_ms": round(pct(decide_ms, 99), 3), "turn_p50_ms": round(statistics.median(turn_ms), 2),
            "turn_p99_ms": round(pct(turn_ms, 99), 2), "contacts": info.counts["contacts"], "turns": len(turn_ms)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="5 rounds")
    args = ap.parse_args()
    result = asyncio.run(main(args.contacts, 5 if args.quick else args.rounds))
    print(json.dumps(result))
