"""Words -> what the speaker wants: the rules and the trained model together, with an honest confidence.

The deterministic rules (nlu/) know their phrasings exactly; the model (learn/) has seen tens of thousands of
sentences generated from the registry and generalises to ones nobody wrote down. Where they agree the answer is
sure. Where they differ, a rule that is sure of itself and that the model does not rule out wins; otherwise the
model's best. Below `ASK_BELOW` the brain asks between the two best readings instead of acting, and a possible
opt-out, wrong number or request for a person is never passed over (`PROTECT_ABOVE`). The thresholds were
chosen on bench/nlu_dev (never on a blind set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .learn.model import shipped
from .learn.tagger import shipped_tagger
from .nlu import Lexicon
from .nlu.frames import fill
from .nlu.intents import classify
from .nlu.normalize import normalize
from .nlu.slots import Extractor
from .registry import BY_NAME, CONTROL

Engine = Literal["combined", "model", "rules"]

#: A sure rule: its own confidence at least this, and the model gives its intent at least RULE_FLOOR.
RULE_SURE = 0.8
RULE_FLOOR = 0.05
#: Below this confidence an in-scope reading is asked about, not acted on.
ASK_BELOW = 0.4
#: A protected intent (opt-out, wrong number, a person) this likely is asked about even when it is not the best.
PROTECT_ABOVE = 0.2


@dataclass(frozen=True)
class Understanding:
    """The reading of one utterance. `ask` holds the intents to ask between when the brain is not sure."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    candidates: tuple[tuple[str, float], ...] = ()
    ask: tuple[str, ...] | None = None
    source: str = "rules"

    @property
    def contract(self) -> str:
        """The intent's name in shared/nlu/INTENTS.md."""
        spec = BY_NAME.get(self.intent)
        return spec.scored_as if spec else self.intent


def _decide(rule: str, rule_conf: float, scores: list[tuple[str, float]]) -> tuple[str, float, str]:
    probs = dict(scores)
    top, p_top = scores[0]
    if rule == top:
        return rule, max(rule_conf, p_top), "both"
    p_rule = probs.get(rule, 0.0)
    if rule_conf >= RULE_SURE and rule != "out_of_scope" and p_rule >= RULE_FLOOR:
        return rule, max(p_rule, min(rule_conf, 1.0 - p_top)), "rules"
    return top, p_top, "model"


def understand(text: str, speaker: str, now: datetime, *, names: Lexicon | None = None,
               engine: Engine = "combined") -> Understanding:
    """Read one utterance said by `speaker` ('personal' or 'customer') at the business's local `now`."""
    u = normalize(text)
    rule, rule_conf = classify(u, speaker)
    models = shipped() if engine != "rules" else None
    if models is None or not u.text:
        intent, confidence, source, scores = rule, rule_conf, "rules", [(rule, rule_conf)]
    else:
        scores = [(s.intent, s.p) for s in models[speaker].scores(text)]
        if engine == "model":
            intent, confidence, source = scores[0][0], scores[0][1], "model"
        else:
            intent, confidence, source = _decide(rule, rule_conf, scores)
    ask = _ask(intent, confidence, scores, speaker) if engine == "combined" else None
    slots = fill(intent, Extractor(u, now, names))
    if engine != "rules":
        slots = _tagged(text, intent, slots, names)
    return Understanding(intent, slots, confidence, tuple(scores[:3]), ask, source)


_REFS = ("job", "invoice", "estimate", "project")
_KINDS = {"customer": "customers", "product": "products", "service": "services", "business": "businesses"}
_LEAD = re.compile(r"^(?:the|mr|mrs|ms|miss|dr)\.? ", re.I)


def _value(slot: str, said: str) -> str:
    value = said.lower().strip(" ,.:")
    if slot == "customer":
        value = _LEAD.sub("", value)
        value = re.sub(r"(?:'s|s'|’s)$", "", value)
    return value


def _tagged(text: str, intent: str, slots: dict[str, Any], names: Lexicon | None) -> dict[str, Any]:
    """The rules' slots, with names and free text the tagger found where the rules found none or only a part."""
    tagger = shipped_tagger()
    spec = BY_NAME.get(intent)
    if tagger is None or spec is None or intent in CONTROL:
        return slots
    out = dict(slots)
    for slot, said in tagger.spans(text, intent).items():
        if slot not in spec.slots or (slot == "customer" and any(r in out for r in _REFS)):
            continue
        value, ruled = _value(slot, said), out.get(slot)
        if not value:
            continue
        kind = _KINDS.get(slot)
        known = bool(names and kind and ruled and names.find(kind, str(ruled)))
        cut_short = slot in _KINDS and len(value) > len(str(ruled)) and str(ruled).lower() in value and not known
        if ruled is None or (cut_short and slot in ("customer", "business")):
            out[slot] = value
    return out


def _ask(intent: str, confidence: float, scores: list[tuple[str, float]], speaker: str) -> tuple[str, ...] | None:
    protected = [i for i, p in scores if p >= PROTECT_ABOVE and i != intent and BY_NAME[i].protected]
    if protected and not BY_NAME[intent].protected:
        return (protected[0],)
    if confidence >= ASK_BELOW or intent in CONTROL:
        return None
    others = [i for i, _ in scores if i != intent and i not in CONTROL]
    return (intent, others[0]) if others else None
