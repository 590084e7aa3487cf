"""Training sentences from the registry's templates: deterministic from a seed, labelled with intent and slots.

Each template is expanded many times over the value pools (and a business's own names), then dressed the way
people talk: fillers and politeness, an indirect lead-in, a trailing tag, and recogniser output (lower case,
no punctuation, numbers as words, a dropped article). Slot spans are kept through every step.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ...speech.speak_text import cardinal, ordinal
from ..nlu.lexicon import MONTHS, WEEKDAYS
from ..registry import CONTROL, INTENTS, Intent
from . import pools

Span = tuple[int, int, str]  # start, end (characters), slot


@dataclass(frozen=True)
class Example:
    """One labelled sentence."""

    text: str
    intent: str
    speaker: str
    spans: tuple[Span, ...] = ()


@dataclass
class Names:
    """Names to fill sentences with: the pools, plus a business's own lexicon when training for it."""

    customers: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=lambda: list(pools.PRODUCTS))
    services: list[str] = field(default_factory=lambda: list(pools.SERVICES))
    businesses: list[str] = field(default_factory=lambda: list(pools.BUSINESSES))
    #: Only these names, none from the pools (a recogniser's corpus: a name it may hear, not any name).
    own_only: bool = False


_TOKEN = re.compile(r"\(|\)|\[|\]|\||\{[a-z]+\}|[^()\[\]|{]+|\{")


def _parse(template: str) -> list:
    """A template as a tree: str, ("slot", name), ("alt", [seq, ...]), ("opt", seq)."""
    tokens = _TOKEN.findall(template)
    pos = 0

    def choices(close: str) -> list:
        """The alternatives up to `close` (the opening bracket already read), and the closing one."""
        nonlocal pos
        alts = [seq({"|", close})]
        while pos < len(tokens) and tokens[pos] == "|":
            pos += 1
            alts.append(seq({"|", close}))
        pos += 1
        return alts

    def seq(stop: set[str]) -> list:
        nonlocal pos
        out: list = []
        while pos < len(tokens) and tokens[pos] not in stop:
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                alts = choices(")")
                optional = pos < len(tokens) and tokens[pos].startswith("?")  # "(still )?" as in a regex
                if optional:
                    tokens[pos] = tokens[pos][1:]
                out.append(("opt" if optional else "alt", alts))
            elif tok == "[":
                out.append(("opt", choices("]")))
            elif tok.startswith("{") and tok.endswith("}"):
                out.append(("slot", tok[1:-1]))
            else:
                out.append(tok)
        return out

    return seq(set())


class Filler:
    """Values for each `{slot}`: (words, slot label or None)."""

    def __init__(self, rng: random.Random, names: Names) -> None:
        self.rng = rng
        self.names = names
        self.customers = names.customers or []

    def number(self, n: int) -> str:
        """42 as people say it: "42", "forty two", "one oh four", "twelve fifty"."""
        r = self.rng.random()
        if r < 0.45:
            return str(n)
        if 100 <= n < 10000 and r < 0.7:
            hi, lo = divmod(n, 100)
            return f"{cardinal(hi)} {'oh ' + cardinal(lo) if 0 < lo < 10 else cardinal(lo) if lo else 'hundred'}"
        return cardinal(n)

    def person(self) -> str:
        rng = self.rng
        r = rng.random()
        if self.customers and (r < 0.25 or self.names.own_only):
            name = rng.choice(self.customers)
            parts = name.split()
            return parts[-1] if len(parts) > 1 and rng.random() < 0.4 else name
        last = rng.choice(pools.ODD_LAST) if rng.random() < 0.12 else rng.choice(pools.LAST)
        first = rng.choice(pools.FIRST)
        r = rng.random()
        if r < 0.12:
            company = rng.choice(pools.COMPANIES)
            return f"the {company}" if rng.random() < 0.3 and not company.startswith("the ") else company
        if r < 0.45:
            return f"{first} {last}"
        if r < 0.55:
            return first
        if r < 0.62:
            return f"{rng.choice(['mr', 'mrs', 'ms', 'miss', 'dr'])} {last}"
        if r < 0.72:
            return f"the {last}s"
        return last

    def ref(self, noun: str, nouns: list[str]) -> tuple[str, str]:
        n = self.rng.choice([self.rng.randint(1, 99), self.rng.randint(100, 999), self.rng.randint(1000, 4999)])
        lead = self.rng.choice(nouns)
        number = self.rng.choice(["", "", "number ", "#"]) + self.number(n)
        return f"{lead} {number}".replace("# ", "#"), noun

    def customer_ref(self, nouns: list[str]) -> list[tuple[str, str | None]]:
        name = self.person()
        noun = self.rng.choice(nouns)
        shape = self.rng.random()
        if name.startswith("the ") or shape < 0.5:
            base = name[4:] if name.startswith("the ") else name
            return [("the ", None), (base, "customer"), (f" {noun}", None)]
        if shape < 0.75:
            return [(name, "customer"), (f"'s {noun}", None)]
        return [(f"the {noun} (for|at) ".split("(")[0] + self.rng.choice(["for ", "at ", "with "]), None),
                (name, "customer")]

    def date(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return rng.choice(["today", "tomorrow", "tonight", "this afternoon", "tomorrow morning",
                               "tomorrow afternoon", "the day after tomorrow", "later today", "first thing tomorrow",
                               "this evening"])
        if r < 0.65:
            return rng.choice(["", "next ", "this ", "on ", "on ", "this coming "]) + rng.choice(WEEKDAYS) + rng.choice(
                ["", "", " morning", " afternoon", " at noon"])
        day = rng.randint(1, 31)
        nth = f"{day}{'th' if 10 <= day % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"  # 31st
        return rng.choice([f"{rng.choice(MONTHS)} {ordinal(day)}", f"the {ordinal(day)}", f"{rng.choice(MONTHS)} {day}",
                           f"the {nth}", f"{rng.choice(MONTHS)} {nth}", f"on the {nth}",
                           f"in {cardinal(rng.randint(2, 10))} days", "next week", "end of the week", "monday week",
                           f"{rng.randint(1, 12)}/{day}"])

    def time(self) -> str:
        rng = self.rng
        hour, minute = rng.randint(1, 12), rng.choice([0, 0, 0, 15, 30, 30, 45])
        h = rng.choice([str(hour), cardinal(hour)])
        if minute == 0:
            return rng.choice([h, f"{h} o'clock", f"{h} am", f"{h} pm", f"{h} in the morning", f"{h} in the afternoon",
                               "noon", "lunchtime", f"{hour}:00", "first thing", "end of day"])
        if minute == 30:
            return rng.choice([f"{h} thirty", f"half past {h}", f"{hour}:30", f"{h} thirty pm"])
        return rng.choice([f"{h} {cardinal(minute)}", f"quarter past {h}" if minute == 15 else f"quarter to {h}",
                           f"{hour}:{minute}"])

    def amount(self) -> str:
        rng = self.rng
        n = rng.choice([rng.randint(1, 40) * 25, rng.randint(1, 60) * 50, rng.randint(60, 9000)])
        r = rng.random()
        if r < 0.3:
            return f"${n:,}" if rng.random() < 0.5 else f"${n}"
        words = self.number(n)
        return rng.choice([f"{words} dollars", f"{words} bucks", words, f"{words} dollars and fifty cents"])

    def value(self, slot: str) -> list[tuple[str, str | None]]:
        rng = self.rng
        if slot == "customer":
            name = self.person()
            if name.startswith("the "):  # "the" is not part of the name: the tagger learns where names start
                return [("the ", None), (name[4:], "customer")]
            return [(name, "customer")]
        if slot in ("firstname", "lastname"):
            own = [c.split()[0 if slot == "firstname" else -1] for c in self.customers]
            pool = own if (self.names.own_only and own) else pools.FIRST if slot == "firstname" else pools.LAST
            return [(rng.choice(pool), None)]
        if slot == "job":
            return [self.ref("job", ["job", "job", "job", "ticket", "work order"])]
        if slot == "invoice":
            return [self.ref("invoice", ["invoice", "invoice", "bill"])]
        if slot == "estimate":
            return [self.ref("estimate", ["estimate", "quote", "bid"])]
        if slot == "project":
            return [self.ref("project", ["project"])]
        if slot in ("jobref", "invref", "estref", "projref"):
            kind = {"jobref": "job", "invref": "invoice", "estref": "estimate", "projref": "project"}[slot]
            if rng.random() < 0.45:
                return self.value(kind)
            nouns = {"job": ["job", "job", "place", "house", "call", "appointment", "install", "repair",
                             "water heater job", "furnace job", "ac job", "panel job", "drain job", "leak job"],
                     "invoice": ["invoice", "bill", "balance"], "estimate": ["estimate", "quote", "bid", "proposal"],
                     "project": ["project", "remodel", "renovation", "addition", "build out", "kitchen remodel",
                                 "bathroom project", "basement project", "basement finish", "kitchen project",
                                 "bathroom remodel", "repipe", "addition project"]}[kind]
            return self.customer_ref(nouns)
        if slot == "date":
            return [(self.date(), "date")]
        if slot == "time":
            return [(self.time(), "time")]
        if slot == "when":
            r = rng.random()
            if r < 0.5:
                return [(self.date(), "date")]
            if r < 0.7:
                return [("at ", None), (self.time(), "time")]
            return [(self.date(), "date"), (" at ", None), (self.time(), "time")]
        if slot == "days":
            n = rng.randint(2, 21)
            return [(f"{rng.choice([str(n), cardinal(n)])} {rng.choice(['days', 'days', 'weeks'])}", "days")]
        if slot == "duration":
            return [(rng.choice(["one hour", "two hours", "ninety minutes", "an hour and a half", "half a day",
                                 "45 minutes", "3 hours", "all day"]), "duration_minutes")]
        if slot == "status":
            return [(rng.choice(pools.STATUS_WORDS), "status")]
        if slot == "amount":
            return [(self.amount(), "amount")]
        if slot == "percent":
            n = rng.choice(range(5, 101, 5))
            return [(rng.choice([f"{n} percent", f"{cardinal(n)} percent", f"{n}%"]), "percent")]
        if slot == "quantity":
            n = rng.choice([2, 3, 4, 5, 6, 10, 12, 20, 24, 25, 50, 100])
            return [(rng.choice([str(n), cardinal(n), "a dozen", "a couple", "a few"]), "quantity")]
        if slot == "rating":
            n = rng.randint(1, 5)
            return [(rng.choice([str(n), cardinal(n)]), "rating")]
        if slot == "product":
            return [(rng.choice(self.names.products), "product")]
        if slot == "service":
            return [(rng.choice(self.names.services), "service")]
        if slot == "title":
            return [(rng.choice(pools.TITLES), "title")]
        if slot == "milestone":
            return [(rng.choice(pools.MILESTONES), "title")]
        if slot == "note":
            return [(rng.choice(pools.NOTES), "note")]
        if slot == "reminder":
            return [(rng.choice(pools.REMINDERS), "note")]
        if slot == "comment":
            return [(rng.choice(pools.COMMENTS), "note")]
        if slot == "business":
            return [(rng.choice(self.names.businesses), "business")]
        if slot == "phone":
            digits = f"{rng.randint(200, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            return [(rng.choice([f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", " ".join(digits)]), "phone")]
        if slot == "target":
            return [(rng.choice(["a real person", "a human", "someone", "a manager", "the office", "sales",
                                 "support", "customer service", "a live person", "the owner", "somebody real",
                                 "a representative", "billing", "my assistant"]), "target")]
        raise KeyError(f"unknown template slot {{{slot}}}")


def _expand(tree: list, f: Filler) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for node in tree:
        if isinstance(node, str):
            out.append((node, None))
        elif node[0] == "slot":
            out.extend(f.value(node[1]))
        elif node[0] == "alt" or (node[0] == "opt" and f.rng.random() < 0.5):
            out.extend(_expand(f.rng.choice(node[1]), f))
    return out


_LEADS = ["uh ", "um ", "so ", "okay so ", "hey ", "yeah ", "alright ", "quick one, ", "real quick ", "hi, ",
          "listen, ", "oh and ", "also ", "um so ", "hey there, ", "well ", "ok ", "and ", "y'all ", "look, "]
#: Request lead-ins, only before a sentence that starts with a command verb.
_ASKS = ["can you ", "could you ", "can you go ahead and ", "go ahead and ", "i need you to ", "please ",
         "i want to ", "i'd like to ", "would you ", "let's ", "hey can you ", "i need to ", "we need to ", "can we ",
         "could you please "]
_VERBS = frozenset("""move push bump shift reschedule mark set put change update create make add open book schedule
invoice bill send email text remind record log enter check order reorder get give tell read pull find look navigate
switch convert turn cancel close start finish note follow call write draw draft prepare""".split())  # noqa: SIM905
_TAILS = [" please", " for me", " thanks", " real quick", " when you get a chance", " asap", " ok", " if you can",
          " thank you", " right now", " okay?", " yeah"]


def _dress(parts: list[tuple[str, str | None]], rng: random.Random, control: bool) -> list[tuple[str, str | None]]:
    first = next((w for w, _ in parts if w.strip()), "").split()
    if rng.random() < 0.4:
        command = not control and first and first[0] in _VERBS
        lead = rng.choice(_ASKS if command and rng.random() < 0.6 else _LEADS)
        parts = [(lead, None), *parts]
    if not control and rng.random() < 0.2:
        parts = [*parts, (rng.choice(_TAILS), None)]
    if not control and rng.random() < 0.1:  # an aside that changes nothing
        aside = rng.choice(pools.CHATTER)
        parts = [(f"{aside}, ", None), *parts] if rng.random() < 0.4 else [*parts, (f", {aside}", None)]
    return parts


def _asr(parts: list[tuple[str, str | None]], rng: random.Random) -> list[tuple[str, str | None]]:
    """A recogniser's take: no punctuation, sometimes a dropped article (slot spans survive)."""
    out = [(re.sub(r"[,?!]|\.(?=\s|$)", "", w), slot) for w, slot in parts]
    if rng.random() < 0.15:
        for i, (w, slot) in enumerate(out):
            if slot is None and re.search(r"\b(?:the|a) ", w):
                out[i] = (re.sub(r"\b(?:the|a) ", "", w, count=1), None)
                break
    return out


def render(parts: list[tuple[str, str | None]]) -> tuple[str, tuple[Span, ...]]:
    text, spans = "", []
    for words, slot in parts:
        start = len(text)
        text += words
        if slot:
            spans.append((start, len(text), slot))
    # collapse doubled spaces while keeping offsets: rebuild
    clean, mapping = [], []
    for i, ch in enumerate(text):
        if ch == " " and (not clean or clean[-1] == " "):
            continue
        mapping.append(i)
        clean.append(ch)
    out = "".join(clean).rstrip()
    index = {orig: new for new, orig in enumerate(mapping)}

    def at(pos: int) -> int:
        while pos not in index and pos < len(text):
            pos += 1
        return index.get(pos, len(out))

    return out, tuple((at(s), min(at(e - 1) + 1, len(out)), slot) for s, e, slot in spans)


def _every(tree: list, limit: int = 48) -> list[str]:
    """Every sentence of a template that has no `{slot}` and at most `limit` of them (replies such as "sure" must
    each be seen, not left to chance); [] otherwise."""
    def expand(nodes: list) -> list[str] | None:
        out = [""]
        for node in nodes:
            if isinstance(node, str):
                choices = [node]
            elif node[0] == "slot":
                return None
            else:
                options = [expand(alt) for alt in node[1]]
                if any(o is None for o in options):
                    return None
                choices = [c for o in options for c in o or []] + ([""] if node[0] == "opt" else [])
            out = [a + b for a in out for b in choices]
            if len(out) > limit:
                return None
        return out

    found = expand(tree)
    return [" ".join(t.split()) for t in found] if found else []


def examples(intents: Iterable[Intent] = INTENTS, *, per_template: int = 40, seed: int = 13,
             names: Names | None = None, plain: bool = False) -> Iterator[Example]:
    """Labelled sentences for every intent and speaker; the same seed gives the same sentences. `plain`: the
    templates' own words only, without fillers, asides or a recogniser's slips (a recogniser's language model
    stays sharp on what is said, and Whisper's words fill the rest)."""
    rng = random.Random(seed)
    filler = Filler(rng, names or Names())
    seen: set[tuple[str, str, str]] = set()
    for intent in intents:
        for template in intent.templates:
            tree = _parse(template)
            tries = per_template * 2 if ("(" in template or "{" in template or "[" in template) else 2
            made = 0
            for words in _every(tree):  # a short template without values: each of its sentences, bare
                key = (intent.name, words)
                if words and key not in seen:
                    seen.add(key)
                    for speaker in intent.speakers:
                        yield Example(words, intent.name, speaker)
            for _ in range(tries):
                if made >= (per_template if "{" in template or "(" in template else 2):
                    break
                parts = _expand(tree, filler)
                if not plain:
                    parts = _dress(parts, rng, intent.name in CONTROL)
                    if rng.random() < 0.5:
                        parts = _asr(parts, rng)
                text, spans = render(parts)
                key = (intent.name, text)
                if not text or key in seen:
                    continue
                seen.add(key)
                made += 1
                for speaker in intent.speakers:
                    yield Example(text, intent.name, speaker, spans)


def for_speakers(exs: Iterable[Example]) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {"personal": [], "customer": []}
    for e in exs:
        out[e.speaker].append(e)
    return out

