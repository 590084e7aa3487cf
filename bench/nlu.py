"""How well the local brain understands: per labelled set, intent accuracy, slot F1, full-match, asks, out-of-domain
false actions, opt-out recall, and parse latency on a business with ~2,000 contacts.

Sets: ../shared/nlu/commands.jsonl (public), the training corpora kept for regression (learn/data/), the
development set (thresholds were chosen on it), every blind set under bench/nlu_sets/ (each reported on its first
run in the README and issue notes) and the out-of-domain sets there (`ood_*`: everyday requests that are not our
business). A line the brain would ask about rather than act on counts as not matched (it is not a wrong action
either): `asked` says how many. Prints a table, then one JSON line. Not a test: it measures.

    .venv/bin/python bench/nlu.py [--engine combined|model] [--set PATH ...] [--contacts 2000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hero365.voice.brain.learn.pools import COMPANIES, FIRST, LAST, PRODUCTS, SERVICES
from hero365.voice.brain.nlu import Lexicon
from hero365.voice.brain.registry import CONTROL
from hero365.voice.brain.understand import Understanding, understand

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "nlu"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Chicago"))
#: Not business actions: a wrong one of these costs a turn, not a record.
HARMLESS = CONTROL - {"transfer"}


def scorer() -> Any:
    spec = importlib.util.spec_from_file_location("nlu_score", SHARED / "score.py")
    assert spec and spec.loader, "shared/nlu/score.py not found beside the repo"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_sets() -> list[Path]:
    sets = [SHARED / "commands.jsonl"] if (SHARED / "commands.jsonl").exists() else []
    sets += sorted((ROOT / "src/hero365/voice/brain/learn/data").glob("*.jsonl"))
    sets += sorted((ROOT / "bench/nlu_dev").glob("*.jsonl"))
    sets += sorted(p for folder in sorted(ROOT.glob("bench/nlu_sets*")) for p in folder.glob("*.jsonl"))
    return sets


def predict(engine: str, text: str, speaker: str, names: Lexicon | None) -> Understanding:
    return understand(text, speaker, NOW, names=names, engine=engine)  # type: ignore[arg-type]


def business_lexicon(contacts: int) -> Lexicon:
    rng = random.Random(5)
    people = {f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(contacts * 2)}
    names = sorted(people)[:contacts - len(COMPANIES)] + COMPANIES
    return Lexicon(customers=frozenset(names), products=frozenset(PRODUCTS), services=frozenset(SERVICES),
                   technicians=frozenset({"tina", "marcus"}), businesses=frozenset({"hero home services"}))


def run_set(path: Path, engine: str, score: Any) -> dict[str, Any]:
    gold = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    preds, asked = [], 0
    for row in gold:
        got = predict(engine, row["text"], row.get("agent", "personal"), None).as_contract()
        asked += got.ask is not None
        preds.append({"intent": got.intent if got.ask is None else "ask", "slots": got.slots, "u": got})
    figures = score.score(gold, [{k: v for k, v in p.items() if k != "u"} for p in preds])
    out: dict[str, Any] = {"set": path.stem, "lines": len(gold), "intent": round(figures["intent_accuracy"], 3),
                           "slot_f1": round(figures["slot_f1"], 3), "full": round(figures["full_match"], 3),
                           "asked": asked}
    ood = [(g, p) for g, p in zip(gold, preds, strict=True) if g["intent"] == "out_of_scope"]
    if path.stem.startswith("ood") or (ood and len(ood) == len(gold)):
        false = sum(p["u"].ask is None and p["u"].intent not in HARMLESS for _, p in ood)
        out["false_action"] = round(false / max(1, len(ood)), 4)
    opt = [(g, p) for g, p in zip(gold, preds, strict=True) if g["intent"] == "opt_out"]
    if opt:
        out["opt_out_recall"] = round(sum(p["u"].intent == "opt_out" for _, p in opt) / len(opt), 3)
        out["opt_out_caught"] = round(sum(p["u"].intent == "opt_out" or "opt_out" in (p["u"].ask or ())
                                          for _, p in opt) / len(opt), 3)
    by_speaker: dict[str, list[bool]] = {}
    for g, p in zip(gold, preds, strict=True):
        ok = score.score([g], [{"intent": p["intent"], "slots": p["slots"]}])["full_match"] == 1.0
        by_speaker.setdefault(g.get("agent", "personal"), []).append(ok)
    for speaker, oks in by_speaker.items():
        out[f"full_{speaker}"] = round(sum(oks) / len(oks), 3)
    out["misses"] = Counter((g["intent"], p["intent"]) for g, p in zip(gold, preds, strict=True)
                            if g["intent"] != p["intent"]).most_common(3)
    return out


def latency(engine: str, contacts: int) -> tuple[float, float]:
    names = business_lexicon(contacts)
    texts = [("personal", t) for t in ("what's on my schedule tomorrow", "move the chen job to thursday morning",
                                       "invoice the garcia job for 450", "how many wax rings do we have",
                                       "mark job 42 done", "what's maria lopez's phone number")]
    texts += [("customer", t) for t in ("stop calling me", "can you come friday at 3 instead", "this is she")]
    for speaker, text in texts:  # warm caches
        predict(engine, text, speaker, names)
    times = []
    for _ in range(60):
        for speaker, text in texts:
            t0 = time.perf_counter()
            predict(engine, text, speaker, names)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="combined", choices=["combined", "model"])
    ap.add_argument("--set", action="append", type=Path, help="a labelled .jsonl (default: all sets)")
    ap.add_argument("--contacts", type=int, default=2000)
    args = ap.parse_args()
    score = scorer()
    rows = [run_set(path, args.engine, score) for path in (args.set or default_sets())]
    p50, p99 = latency(args.engine, args.contacts)
    print(f"engine={args.engine}  load average {Path('/proc/loadavg').read_text().split()[0]}")
    print(f"{'set':34} {'lines':>5} {'intent':>6} {'slotF1':>6} {'full':>5} {'pers':>5} {'cust':>5} {'asked':>5} "
          f"{'falseAct':>8} {'optout':>6}")
    for r in rows:
        print(f"{r['set']:34} {r['lines']:5} {r['intent']:6.3f} {r['slot_f1']:6.3f} {r['full']:5.3f} "
              f"{r.get('full_personal', float('nan')):5.3f} {r.get('full_customer', float('nan')):5.3f} {r['asked']:5} "
              f"{r.get('false_action', float('nan')):8.4f} {r.get('opt_out_recall', float('nan')):6.3f}")
    print(f"parse latency with {args.contacts} contacts: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    summary = {"bench": "nlu", "engine": args.engine, "parse_p50_ms": round(p50, 3), "parse_p99_ms": round(p99, 3),
               "sets": {r["set"]: {k: v for k, v in r.items() if k not in ("set", "misses")} for r in rows}}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
