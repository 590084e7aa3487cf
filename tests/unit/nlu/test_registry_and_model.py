"""The intent registry holds together with the tools and the contract, and the shipped model is the one it trains."""

from __future__ import annotations

import inspect
import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hero365.voice.agents.catalogue import tool
from hero365.voice.brain.learn.generate import examples
from hero365.voice.brain.learn.model import MODEL_PATH, Models
from hero365.voice.brain.learn.tagger import TAGGER_PATH
from hero365.voice.brain.learn.train import TrainConfig, fingerprint, train
from hero365.voice.brain.nlu.frames import fill
from hero365.voice.brain.nlu.normalize import normalize
from hero365.voice.brain.nlu.slots import Extractor
from hero365.voice.brain.registry import BY_NAME, INTENTS, help_line

INTENTS_MD = Path(__file__).parents[3] / ".." / "shared" / "nlu" / "INTENTS.md"


def _args(name: str) -> set[str]:
    return set(inspect.signature(tool(name)).parameters) - {"context"}


def test_every_intent_names_a_real_tool_and_asks_only_for_its_arguments() -> None:
    for intent in INTENTS:
        if intent.tool is None:
            continue
        args = _args(intent.tool)  # KeyError: the registry names a tool that does not exist
        for ask in intent.asks:
            for slot in ask.slot.split("|"):
                if slot not in ("when",) and not slot.startswith("@"):
                    assert slot in args, (intent.name, slot, args)


def test_every_slot_an_intent_reads_its_tool_takes() -> None:
    """Slots read from the words reach the tool (the drift that once dropped record_payment's arguments):
    each intent's reader, run over its own generated sentences, gives only arguments of its tool."""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Chicago"))
    read: dict[str, set[str]] = {}
    for e in examples(per_template=3, seed=5):
        spec = BY_NAME[e.intent]
        if spec.tool not in (None, "confirm_action", "cancel_action"):
            read.setdefault(e.intent, set()).update(fill(spec.fill, Extractor(normalize(e.text), now, None)))
    for name, slots in read.items():
        missing = slots - _args(BY_NAME[name].tool or "")
        assert not missing, (name, missing)


def test_the_registry_covers_the_contract() -> None:
    if not INTENTS_MD.exists():
        return
    contract = set(re.findall(r"^\| `([a-z_]+)` \|", INTENTS_MD.read_text(), re.M))
    contract -= {"customer", "job", "invoice", "estimate", "project", "date", "time", "duration_minutes", "days",
                 "status", "amount", "percent", "quantity", "rating", "product", "service", "title", "business",
                 "note", "target"}  # the slot table's rows
    assert contract <= {i.scored_as for i in INTENTS}


def test_help_comes_from_the_registry() -> None:
    assert "move a job" in help_line("personal") and "stop calls" in help_line("customer")


def test_the_shipped_model_is_trained_from_this_registry() -> None:
    """A changed template, pool or labelled line needs `hero365 nlu train` (and the new model committed)."""
    models = Models.load()
    assert models.fingerprint == fingerprint()
    assert MODEL_PATH.stat().st_size + TAGGER_PATH.stat().st_size < 30_000_000


def test_the_shipped_model_loads_in_under_a_second_and_knows_every_intent() -> None:
    started = time.perf_counter()
    models = Models.load()
    assert time.perf_counter() - started < 1.0
    for speaker in ("personal", "customer"):
        assert set(models[speaker].labels) == {i.name for i in INTENTS if speaker in i.speakers}


def test_training_is_deterministic_and_learns_the_templates(tmp_path: Path) -> None:
    cfg = TrainConfig(per_template=3)
    first = train(cfg, out=tmp_path / "a.npz", tagger_out=tmp_path / "a.crfsuite")
    second = train(cfg, out=tmp_path / "b.npz", tagger_out=None)
    sample = [e for e in examples(per_template=2, seed=99)][:300]
    for e in sample:
        assert first[e.speaker].scores(e.text)[0] == second[e.speaker].scores(e.text)[0]
    right = sum(first[e.speaker].scores(e.text)[0].intent == e.intent for e in sample)
    assert right / len(sample) > 0.85  # a small model (3 sentences a template) on sentences it never saw
    assert BY_NAME["opt_out"].protected and BY_NAME["opt_out"].cue is not None
