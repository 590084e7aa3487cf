"""Words -> what the speaker wants: the trained model, the registry's cues, and the value parsers.

The model (learn/) has seen tens of thousands of sentences generated from the registry and scores every intent
the speaker can have, with probabilities calibrated on the development set. A protected intent (opt-out, wrong
number, a person) whose cue matches is taken whatever the model says: such a miss costs more than a question.
The slots are read by the intent's own reader (nlu/frames.py); names and free text the reader cannot place are
taken from the slot tagger. Below `ASK_BELOW` the brain asks between the two best readings instead of acting,
and a protected intent more likely than `PROTECT_ABOVE` is asked about rather than passed over. The thresholds
were chosen on bench/nlu_dev (never on a blind set).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from .learn.model import shipped
from .learn.tagger import shipped_tagger
from .nlu import Lexicon
from .nlu.frames import fill
from .nlu.lexicon import HEADS, singular
from .nlu.normalize import normalize
from .nlu.slots import Extractor
from .registry import BY_NAME, CONTROL, for_speaker

Engine = Literal["combined", "model"]

#: Below this confidence an in-scope reading is asked about, not acted on.
ASK_BELOW = 0.4
#: An unsure "out of scope" with an in-scope reading at least this likely asks about that reading instead.
OUT_OF_SCOPE_RUNNER_UP = 0.15
#: Below this, an "out of scope" that names a customer, a job or a day asks about its in-scope readings.
UNSURE_OUT_OF_SCOPE = 0.6
#: A protected intent (opt-out, wrong number, a person) this likely is asked about even when it is not the best.
PROTECT_ABOVE = 0.2
#: The least marginal probability at which a tagged span is taken (chosen on the development set).
TAGGER_SURE = 0.5
#: At this, the tagger's span is taken over the reader's (a name the business knows stays the reader's).
TAGGER_FIRST = 0.9
#: ... and a customer the reader found no trace of (a wrong name sends the tools looking for someone else).
TAGGER_NEW_NAME = 0.7
#: The confidence a matched cue stands for.
CUE_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Understanding:
    """The reading of one utterance. `ask` holds the intents to ask between when the brain is not sure."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    ask: tuple[str, ...] | None = None
    source: str = "model"

    @property
    def contract(self) -> str:
        """The intent's name in shared/nlu/INTENTS.md."""
        spec = BY_NAME.get(self.intent)
        return spec.scored_as if spec else self.intent

    def as_contract(self) -> Understanding:
        """This reading in shared/nlu/INTENTS.md's terms: its intent name and only the slots the contract has
        (not the dialogue's own, such as "next_only")."""
        spec = BY_NAME.get(self.intent)
        slots = {k: v for k, v in self.slots.items() if spec is None or k in spec.slots}
        return replace(self, intent=self.contract, slots=slots)


def warm() -> None:
    """Load the model and the tagger now (a session's first turn should not pay for it)."""
    shipped()
    shipped_tagger()


def understand(text: str, speaker: str, now: datetime, *, names: Lexicon | None = None,
               engine: Engine = "combined", intent: str | None = None) -> Understanding:
    """Read one utterance said by `speaker` ('personal' or 'customer') at the business's local `now`.

    `intent` reads the words as that intent (the answer to "did you mean X or Y?" names it)."""
    speaker = "customer" if speaker == "customer" else "personal"
    u = normalize(text)
    if not u.text:
        return Understanding("out_of_scope", confidence=0.0)
    models = shipped()
    if models is None:
        raise RuntimeError("The intent model is missing: run `hero365 nlu train`.")
    scores = [(s.intent, s.p) for s in models[speaker].scores(text)]
    if intent is not None:
        slots = _tagged(text, intent, fill(BY_NAME[intent].fill, Extractor(u, now, names)), names)
        return Understanding(intent, slots, 1.0, tuple(scores[:3]), None, "chosen")
    intent, confidence, source = scores[0][0], scores[0][1], "model"
    if engine == "combined":
        cued = next((i.name for i in for_speaker(speaker) if i.cue is not None and i.cue.search(u.text)), None)
        if cued is not None and cued != intent:
            intent, confidence, source = cued, max(dict(scores).get(cued, 0.0), CUE_CONFIDENCE), "cue"
    ask = _ask(intent, confidence, scores) if engine == "combined" else None
    if engine == "combined" and ask is None and intent == "out_of_scope" and confidence < UNSURE_OUT_OF_SCOPE:
        ask = _named(u, now, names, scores)
    slots = fill(BY_NAME[intent].fill, Extractor(u, now, names))
    if engine == "combined":
        slots = _tagged(text, intent, slots, names)
    return Understanding(intent, slots, confidence, tuple(scores[:3]), ask, source)


def _ask(intent: str, confidence: float, scores: list[tuple[str, float]]) -> tuple[str, ...] | None:
    protected = [i for i, p in scores if p >= PROTECT_ABOVE and i != intent and BY_NAME[i].protected]
    if protected and not BY_NAME[intent].protected:
        return (protected[0],)
    if confidence >= ASK_BELOW:
        return None
    others = [(i, p) for i, p in scores if i != intent and i not in CONTROL]
    if intent == "out_of_scope":  # "I can't help with that" only when nothing in scope is close
        close = [i for i, p in others[:2] if p >= OUT_OF_SCOPE_RUNNER_UP]
        return tuple(close) or None
    if intent in CONTROL:
        return None
    return (intent, others[0][0]) if others else None


def _named(u: Any, now: datetime, names: Lexicon | None, scores: list[tuple[str, float]]) -> tuple[str, ...] | None:
    """An unsure "out of scope" that names a customer, a job or a day ("the johnson one on friday") is about the
    business: ask between its two best in-scope readings rather than say "I can't help with that"."""
    others = [i for i, _ in scores if i not in CONTROL][:2]
    if not others:
        return None
    said = fill(BY_NAME[others[0]].fill, Extractor(u, now, names))
    return tuple(others) if any(k in said for k in (*_REFS, "customer", "date", "product")) else None


_REFS = ("job", "invoice", "estimate", "project")
_KINDS = {"customer": "customers", "product": "products", "service": "services", "business": "businesses"}
_LEAD = re.compile(r"^(?:the|mr|mrs|ms|miss|mister|missus|dr|doctor)\.? ", re.I)


def _value(slot: str, said: str, text: str) -> str:
    value = said.lower().strip(" ,.:")
    if slot in ("product", "service"):
        return singular(value)  # "water heaters" is the water heater the business stocks
    if slot == "customer":  # "the Hendersons" are the Henderson family
        after = re.search(rf"{re.escape(said)}'?\s+(\w+)", text, re.I)
        modifies = bool(after and after.group(1).lower() in HEADS)  # "the Papadopoulos house": a name as it is
        family = not modifies and (value.startswith("the ") or bool(re.search(rf"\bthe {re.escape(said)}", text, re.I)))
        value = re.sub(r"(?:'s|s'|’s)$", "", _LEAD.sub("", value))
        if family and re.search(r"[^s]s$", value) and len(value) > 4:
            value = value[:-1]
    return value


def _tagged(text: str, intent: str, slots: dict[str, Any], names: Lexicon | None) -> dict[str, Any]:
    """The reader's slots, with names and free text the tagger found where the reader found none or a part."""
    tagger = shipped_tagger()
    spec = BY_NAME.get(intent)
    if tagger is None or spec is None or intent in CONTROL:
        return slots
    out = dict(slots)
    for slot, (said, sure) in tagger.spans(text, intent).items():
        if slot not in spec.slots or (slot == "customer" and any(r in out for r in _REFS) and sure < TAGGER_FIRST):
            continue  # "chen paid invoice 1023": both, when the tagger is sure of the name
        value, ruled = _value(slot, said, text), out.get(slot)
        if not value or sure < (TAGGER_NEW_NAME if slot == "customer" and ruled is None else TAGGER_SURE):
            continue
        if any(other != slot and isinstance(v, str) and re.search(rf"\b{re.escape(value)}\b", v.lower())
               for other, v in out.items()):
            continue  # the words already fill another slot ("... to that job: the shutoff valve is seized")
        kind = _KINDS.get(slot)
        known = bool(names and kind and ruled and names.find(kind, str(ruled)))
        cut_short = kind is not None and len(value) > len(str(ruled)) and str(ruled).lower() in value and not known
        if ruled is None or (cut_short and slot in ("customer", "business")) or (sure >= TAGGER_FIRST and not known):
            out[slot] = value
    return out


def reading(text: str, speaker: str, now: datetime, *, names: Lexicon | None = None) -> Understanding:
    """`understand` in shared/nlu/INTENTS.md's terms (what the scorer and the speech stack's checks compare)."""
    return understand(text, speaker, now, names=names).as_contract()


def predict_lines(lines: Iterable[str], now: datetime) -> Iterator[dict[str, Any]]:
    """For each commands.jsonl line ({"agent","text",...}) yield the contract's {"intent","slots"}."""
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        got = understand(row["text"], row.get("agent", "personal"), now).as_contract()
        yield {"intent": got.intent, "slots": got.slots}
