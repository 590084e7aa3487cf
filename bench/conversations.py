"""Scenario benchmark: whole conversations, judged by what the database holds afterwards and by what the agent
promised, not by any single reply.

Each script (bench/conversation_scripts/*.json, a list per file) is played through the real agents as a text
session against a fresh copy of the demo business (Hero Home Services, generated for Monday 23 November 2026,
10:00 in Austin). A script is complete when every check of its `expect` holds. The format, and the facts a
script writer may rely on, are printed by `--world` (and described in bench/conversation_scripts/FORMAT.md).

    .venv/bin/python bench/conversations.py                     # every set
    .venv/bin/python bench/conversations.py --set scripts_2026-12-06 -v   # one set, each failure explained
    .venv/bin/python bench/conversations.py --world             # the business the scripts talk to

It prints task completion and turns per completed task per kind of speaker, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conversation_judge import Script, judge, load_scripts, play
from conversation_world import World, build_world, world_sheet

SCRIPTS = Path(__file__).parent / "conversation_scripts"


async def run(sets: list[str] | None, verbose: bool) -> dict:
    scripts: list[tuple[str, Script]] = []
    for path in sorted(SCRIPTS.glob("*.json")):
        if sets and path.stem not in sets:
            continue
        scripts += [(path.stem, s) for s in load_scripts(path)]
    if not scripts:
        raise SystemExit(f"no scripts found in {SCRIPTS}" + (f" for {sets}" if sets else ""))
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "world.db"
        started = time.perf_counter()
        world = await build_world(template)
        print(f"world: {world.counts['contacts']} contacts, {world.counts['jobs']} jobs "
              f"({time.perf_counter() - started:.1f} s)")
        results = []
        for set_name, script in scripts:
            copy = Path(tmp) / f"{script.id}.db"
            shutil.copy(template, copy)
            transcript, before, after, ended = await play(copy, world, script)
            failures = judge(script, world, transcript, before, after, ended)
            results.append((set_name, script, transcript, failures))
            copy.unlink()
            if verbose and failures:
                print(f"\n✗ [{set_name}] {script.id} ({script.kind})")
                for who, text in transcript:
                    print(f"    {who:>5}: {text}")
                for f in failures:
                    print(f"    -> {f}")
    return report(results)


def report(results: list) -> dict:  # type: ignore[type-arg]
    kinds = sorted({s.kind for _, s, _, _ in results})
    print(f"\n{'speaker':16} {'scripts':>8} {'completed':>10} {'rate':>7} {'turns/completed':>16}")
    per: dict[str, dict[str, float]] = {}
    for kind in [*kinds, "all"]:
        rows = [r for r in results if kind in ("all", r[1].kind)]
        done = [r for r in rows if not r[3]]
        turns = sum(len(r[1].turns) for r in done) / len(done) if done else 0.0
        rate = len(done) / len(rows) if rows else 0.0
        per[kind] = {"scripts": len(rows), "completed": len(done), "rate": round(rate, 3), "turns": round(turns, 2)}
        print(f"{kind:16} {len(rows):8d} {len(done):10d} {rate:7.3f} {turns:16.2f}")
    failed = [f"{s.id}" for _, s, _, f in results if f]
    if failed:
        print(f"\nnot completed ({len(failed)}): {', '.join(failed)}")
    load = os.getloadavg()[0]
    print(f"load average: {load:.2f}")
    return {"bench": "conversations", "scripts": per["all"]["scripts"], "completed": per["all"]["completed"],
            "task_completion": per["all"]["rate"], "turns_per_completed": per["all"]["turns"],
            "by_speaker": {k: v["rate"] for k, v in per.items() if k != "all"}, "load": round(load, 2)}


async def show_world() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world: World = await build_world(Path(tmp) / "world.db")
        print(await world_sheet(Path(tmp) / "world.db", world))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", help="only this set (file stem); repeatable")
    ap.add_argument("--world", action="store_true", help="print the business the scripts talk to, and stop")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failed conversation and why")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.world:
        asyncio.run(show_world())
    else:
        print(json.dumps(asyncio.run(run(args.set, args.verbose))))
