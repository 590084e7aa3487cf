"""The slot tagger: a CRF (python-crfsuite) that marks the words of names and free text in a sentence.

The rules read values well once they know where a value is (numbers, dates, statuses), but an unknown
multi-word name ("St. Mark's Church", "Mary-Kate O'Neil", "Desert Palms HOA") or a service said in passing
has no cue word to find it by. The tagger learns where such values sit from the generated sentences; the
intent is one of its features, so "note" and "title" are told apart by what is being asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..nlu.lexicon import DOMAIN, FUNCTION, MONTHS, WEEKDAYS
from .generate import Example

TAGGER_PATH = Path(__file__).parent / "slot_tagger.crfsuite"
#: The slots the tagger finds; the rest come from the rule parsers.
TAGGED = ("customer", "product", "service", "title", "note", "business")
_TOKEN = re.compile(r"[A-Za-z0-9$#%]+(?:['’./:&-][A-Za-z0-9]+)*\.?|[&,:;?!]")
_TIME_WORDS = frozenset(WEEKDAYS) | frozenset(MONTHS) | {"today", "tomorrow", "tonight", "morning", "afternoon",
                                                          "evening", "noon", "week", "am", "pm"}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shape(w: str) -> str:
    if w.isdigit():
        return "digits"
    if "'" in w or "’" in w:
        return "apos"
    if "-" in w:
        return "hyphen"
    if "." in w.rstrip("."):
        return "dotted"
    if w.endswith("."):
        return "abbrev"
    if w[:1].isupper():
        return "title"
    return "lower"


def _word_class(w: str) -> str:
    low = w.lower().strip(".")
    if low in FUNCTION:
        return "fn"
    if low in DOMAIN:
        return "trade"
    if low in _TIME_WORDS:
        return "time"
    if low.isdigit():
        return "num"
    return "other"


def features(toks: list[Token], intent: str) -> list[list[str]]:
    words = [t.text for t in toks]
    lows = [w.lower() for w in words]
    out = []
    for i, low in enumerate(lows):
        f = [f"w={low}", f"suf3={low[-3:]}", f"pre2={low[:2]}", f"shape={_shape(words[i])}",
             f"class={_word_class(words[i])}", f"intent={intent}", f"intent_class={intent}:{_word_class(words[i])}"]
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < len(lows):
                f.append(f"w{d:+d}={lows[j]}")
                f.append(f"class{d:+d}={_word_class(words[j])}")
            else:
                f.append(f"w{d:+d}={'BOS' if j < 0 else 'EOS'}")
        if i > 0:
            f.append(f"bigram-={lows[i - 1]}|{low}")
        if i + 1 < len(lows):
            f.append(f"bigram+={low}|{lows[i + 1]}")
        out.append(f)
    return out


def bio(example: Example) -> tuple[list[Token], list[str]]:
    toks = tokens(example.text)
    tags = ["O"] * len(toks)
    for start, end, slot in example.spans:
        if slot not in TAGGED:
            continue
        inside = [k for k, t in enumerate(toks) if t.start < end and t.end > start]
        for n, k in enumerate(inside):
            tags[k] = ("B-" if n == 0 else "I-") + slot
    return toks, tags


def train_tagger(data: Iterable[Example], path: Path = TAGGER_PATH, *, iterations: int = 60) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for e in data:
        toks, tags = bio(e)
        if toks:
            trainer.append(features(toks, e.intent), tags)
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": iterations,
                        "feature.possible_transitions": True})
    trainer.train(str(path))


class SlotTagger:
    """Finds name and free-text spans in a sentence, for a given intent."""

    def __init__(self, path: Path = TAGGER_PATH) -> None:
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(path))

    def spans(self, text: str, intent: str) -> dict[str, tuple[str, float]]:
        """{slot: (the words as said, how sure the tagger is of them)} for each tagged slot (its first span)."""
        toks = tokens(text)
        if not toks:
            return {}
        tags = self._tagger.tag(features(toks, intent))
        out: dict[str, tuple[str, float]] = {}
        k = 0
        while k < len(toks):
            tag = tags[k]
            if tag == "O":
                k += 1
                continue
            slot = tag[2:]
            end = k + 1
            while end < len(toks) and tags[end] == f"I-{slot}":
                end += 1
            if slot not in out:
                sure = min(self._tagger.marginal(tags[i], i) for i in range(k, end))
                out[slot] = (text[toks[k].start:toks[end - 1].end].rstrip(".,"), sure)
            k = end
        return out


@cache
def shipped_tagger() -> SlotTagger | None:
    return SlotTagger() if TAGGER_PATH.exists() else None
