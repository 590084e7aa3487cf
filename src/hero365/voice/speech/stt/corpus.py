"""Sentences people say to the agents, generated from the intent registry and the business's own names.

The recogniser's language model is trained on these, so it expects this trade's commands, spoken numbers,
dates and times, and this business's customers, products and technicians. The sentences come from the same
generator and the same registry templates as the intent model's training data (brain/learn), never from an
evaluation set.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...brain.learn.generate import Names, examples
from ...brain.learn.pools import STATUS_WORDS
from ...brain.registry import INTENTS
from ..speak_text import cardinal


def spell(n: int) -> str:
    """42 -> 'forty two', 1250 -> 'one thousand two hundred fifty'."""
    return cardinal(n)


@dataclass
class Vocabulary:
    """What this business's people and customers say besides the templates' words."""

    customers: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    technicians: list[str] = field(default_factory=list)
    businesses: list[str] = field(default_factory=list)


def _words(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("-", " ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z' ]+", " ", text)).strip()


def _spelled(text: str) -> str:
    """Digits as the words a recogniser writes ("job 42" -> "job forty two")."""
    return re.sub(r"\d+", lambda m: f" {spell(int(m.group()))} ", text.replace("$", ""))


def sentences(vocab: Vocabulary, per_template: int = 12, seed: int = 7) -> list[str]:
    """The registry's sentences over this business's names; every name is sayable in a few frames."""
    customers = [c for c in (_words(c) for c in vocab.customers) if c] or ["johnson", "maria garcia"]
    products = [p for p in (_words(p) for p in vocab.products) if p] or ["water heater", "pex tubing"]
    services = [s for s in (_words(s) for s in vocab.services) if s] or ["drain cleaning"]
    businesses = [b for b in (_words(b) for b in vocab.businesses) if b] or ["hero home services"]
    names = Names(customers=customers, products=products, services=services, businesses=businesses, own_only=True)
    out = [_words(_spelled(e.text)) for e in examples(per_template=per_template, seed=seed, names=names, plain=True)]
    for name in customers:
        out += [f"tell me about the {name} job", f"call {name}", name]
    for name in products + services:
        out += [f"check stock on {name}", name]
    for name in (_words(t) for t in vocab.technicians):
        out += [f"assign it to {name}", name]
    for n in range(0, 100):  # numbers on their own, as answers
        out.append(spell(n))
    return list(dict.fromkeys(s for s in out if s))


@functools.cache
def command_words() -> frozenset[str]:
    """The words of the registry's templates themselves (no names, numbers or dates): what the brain listens for."""
    text = " ".join(re.sub(r"\{\w+\}|[()\[\]|?]", " ", t) for i in INTENTS for t in i.templates)
    return frozenset(_words(text).split()) | {w for s in STATUS_WORDS for w in s.split()}


def words_of(corpus: Iterable[str]) -> set[str]:
    return {w for s in corpus for w in s.split()}
