"""The public entry points: parse one utterance, or predict a commands.jsonl file's lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .frames import fill
from .intents import classify
from .lexicon import Lexicon
from .normalize import normalize
from .slots import Extractor

Agent = Literal["personal", "customer"]


@dataclass(frozen=True)
class Parse:
    """What an utterance asks for: a contract intent, its slots, and how sure the rules are."""

    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0


def parse(text: str, agent: Agent, now: datetime, *, names: Lexicon | None = None) -> Parse:
    """Parse one utterance said by agent ('personal' or 'customer') at the business's local now."""
    u = normalize(text)
    intent, confidence = classify(u, agent)
    slots = fill(intent, Extractor(u, now, names))
    return Parse(intent=intent, slots=slots, confidence=confidence)


def predict_lines(lines: Iterable[str], now: datetime) -> Iterator[dict[str, Any]]:
    """For each commands.jsonl line ({"agent","text",...}) yield {"intent","slots"}."""
    for line in lines:
        if not line.strip():
            continue
        row = json.loads(line)
        result = parse(row["text"], row.get("agent", "personal"), now)
        yield {"intent": result.intent, "slots": result.slots}
