"""Per-turn latency of the local brain on a business with ~2,000 contacts (or of the hybrid brain).

Two figures per turn: the brain's own decision (parse, resolve, choose a tool: `decide`), and the whole
text turn through a real AgentSession (brain -> tool -> ERP on SQLite -> brain speaks the result: `turn`).
Prints a table, then one JSON line: {"bench": "brain", "p50_ms", "p99_ms", "turn_p50_ms", "turn_p99_ms", ...}:
p50/p99 are the brain's per-turn latency; turn_* the whole text turn including the tool's database work
(which bench/erp_ops.py measures per operation). Not a test: it measures.

`--brain hybrid --llm-url http://127.0.0.1:8000/v1` measures the hybrid brain instead (the local brain, with the
turns it is unsure of sent to that OpenAI-compatible endpoint; LLM_API_KEY/LLM_MODEL from the environment or
--llm-model): the table and the JSON line add how many timed turns went to the LLM and their share
("llm_turns", "llm_share"; 0 for the local brain, and for a hybrid brain without an LLM, which is local).
The default turns are plain commands the local brain is sure of; `--loose` adds looser phrasings (LOOSE).

    .venv/bin/python bench/brain.py [--contacts 2000] [--rounds 20] [--quick] [--brain hybrid --llm-url URL] [--loose]
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
from hero365.voice.brain.hybrid import HybridBrain
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
#: Looser phrasings (--loose adds them to the turns): some of them the local brain is unsure of, so a hybrid
#: brain sends those to its LLM. Not part of the default figures.
LOOSE = [
    "johnson friday",
    "the johnson one on friday",
    "johnson's heater thursday morning",
    "bump the garcia thing back a day",
    "something about the smith invoice",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main(contacts: int, rounds: int, brain_kind: str = "local", llm_url: str | None = None,
               llm_model: str | None = None, loose: bool = False) -> dict:
    turns = TURNS + LOOSE if loose else TURNS
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
        overrides: dict[str, str] = {"brain": brain_kind}
        if llm_url:
            overrides["llm_base_url"] = llm_url
        if llm_model:
            overrides["llm_model"] = llm_model
        session = text_session(state, Settings(**overrides))  # type: ignore[arg-type]
        turn_ms: list[float] = []
        decide_ms: list[float] = []
        per_text: dict[str, list[float]] = {t: [] for t in turns}
        async with session:
            agent = agent_for(state)
            await session.start(agent)
            await agent.ready.wait()
            brain = session.llm
            for _ in range(2):  # warm up caches and the parser's first compiles
                for text in turns:
                    await session.run(user_input=text)
            hybrid = brain if isinstance(brain, HybridBrain) else None
            to_llm_before = hybrid.turns_to_llm if hybrid else 0
            for _ in range(rounds):
                for text in turns:
                    t0 = time.perf_counter()
                    await session.run(user_input=text)
                    elapsed = (time.perf_counter() - t0) * 1000
                    turn_ms.append(elapsed)
                    per_text[text].append(elapsed)
                    decide_ms.append(brain.last_decide_ms)  # type: ignore[attr-defined]
            llm_turns = hybrid.turns_to_llm - to_llm_before if hybrid else 0
            hosted = hybrid.hosted.model if hybrid and hybrid.hosted else None
        await store.close()
    print(f"\n{'utterance':58} {'p50 ms':>8} {'p99 ms':>8}")
    for text, values in per_text.items():
        print(f"{text[:58]:58} {statistics.median(values):8.2f} {pct(values, 99):8.2f}")
    print(f"\n{'measure':30} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'n':>6}")
    for name, values in (("brain decision (decide)", decide_ms), ("whole text turn", turn_ms)):
        print(f"{name:30} {statistics.median(values):8.2f} {pct(values, 99):8.2f} {max(values):8.2f} "
              f"{len(values):6d}")
    print(f"\nbrain: {brain_kind}" + (f" (LLM {hosted} at {llm_url or 'LLM_BASE_URL'})" if hosted else
                                      " (no LLM configured: local)" if brain_kind == "hybrid" else ""))
    print(f"{'turns to the LLM':30} {llm_turns:8d} of {len(turn_ms)} ({llm_turns / len(turn_ms):.1%})")
    return {"bench": "brain", "p50_ms": round(statistics.median(decide_ms), 3),
            "p99_ms": round(pct(decide_ms, 99), 3), "turn_p50_ms": round(statistics.median(turn_ms), 2),
            "turn_p99_ms": round(pct(turn_ms, 99), 2), "contacts": info.counts["contacts"], "turns": len(turn_ms),
            "brain": brain_kind, "llm_turns": llm_turns, "llm_share": round(llm_turns / len(turn_ms), 4)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contacts", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="5 rounds")
    ap.add_argument("--brain", choices=["local", "hybrid"], default="local")
    ap.add_argument("--llm-url", help="OpenAI-compatible endpoint for --brain hybrid (else LLM_BASE_URL)")
    ap.add_argument("--llm-model", help="the endpoint's model (else LLM_MODEL)")
    ap.add_argument("--loose", action="store_true", help="add looser phrasings, some of which the brain is unsure of")
    args = ap.parse_args()
    result = asyncio.run(main(args.contacts, 5 if args.quick else args.rounds, args.brain, args.llm_url,
                              args.llm_model, args.loose))
    print(json.dumps(result))
