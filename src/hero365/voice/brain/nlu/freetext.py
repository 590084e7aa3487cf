"""Free-text slots read from what the other slots left: products, services, notes, businesses.

Stock and order questions are read by deleting the question's own words ("how many ... do we have
in stock") and keeping the longest remaining run; services and notes by the words after a cue.
"""

from __future__ import annotations

import re

from .entities import Name, find_business, name_at
from .lexicon import PRONOUNS, STOP, singular, words
from .replies import transfer_target
from .slots import Extractor, strip_edges
from .status import parse_status
from .times import find_days

_INVENTORY_NOISE = re.compile(
    r"\b(?:how many|how much|do we (?:still )?have|do i have|have we got|we have got|we got|are (?:there|we)|is there"
    r"|any|more|left|in stock|on hand|in the (?:van|truck|shop|warehouse|garage)|stock(?: levels?| counts?)?"
    r"|inventory|check(?: on)?|count|what is|what are|our|the|(?:running )?(?:low|out)(?: on| of)?|running"
    r"|still|currently|right now|remaining|available|enough|do|have|of|on|for|look up|tell me|got|is|are"
    r"|there|we|some|please|if|whether)\b"
)
_ORDER_NOISE = re.compile(
    r"\b(?:re ?order|order|place an order for|put in (?:an|a) order for|buy|purchase|restock|stock up on|get"
    r"|need|we|i|to|more|of|some|another|a few|additional|extra|from the supplier|please|can you|could you"
    r"|go ahead and|let us|units?|boxes of|cases of|packs of|for|us)\b"
)
_SERVICE_TRIGGERS = [
    re.compile(p)
    for p in (
        r"\b(?:charge|charges|cost|costs|price|prices|pricing|rate|rates|fee|fees|quote|estimate|run)"
        r" (?:for|of|on|to)\b",
        r"\b(?:look at|take a look at|check on|check out|inspect|fix|repair|install|replace|service|about|with)\b",
        r"\bhow much (?:is|are|does|do|would|will|for|to)(?: it cost to| you charge for| it be for| a)?\b",
        r"\bwhat (?:would|does|do|will|is)(?= (?:a|an|the|my|new)\b| \w+ .*\bcost\b)",  # "what would X cost"
        r"\bfor\b",
    )
]
_SERVICE_STOP = words(
    "cost costs be run go maybe instead please if because so and but on at by next this tomorrow "
    "today tonight when sometime soon asap now thanks thank or around before after for is are would "
    "will week"
)
_DET = frozenset(["a", "an", "the", "my", "our", "your", "some", "new", "this", "that"])


def product(x: Extractor, reorder: bool) -> tuple[str | None, int | None]:
    """(product, quantity) for stock questions and purchase orders."""
    if x.lexicon is not None and x.lexicon.products:
        known = x.lexicon.find("products", x.u.text)
        if known:
            q = x.quantity() if reorder else None
            return known, (q[0] if q else None)
    q = x.quantity() if reorder else None
    t = list(x.t)
    if q:
        t[q[1] : q[2]] = ["|"] * (q[2] - q[1])
    if reorder and "dozen" in t and q is None:
        q = (12, 0, 0)
    text = " ".join(t).replace(" dozen ", " | ")
    cleaned = _INVENTORY_NOISE.sub("|", _ORDER_NOISE.sub("|", text) if reorder else text)
    parts = [p.strip() for p in cleaned.split("|")]
    parts = [p for p in parts if p and not all(w in STOP for w in p.split())]
    if not parts:
        return None, (q[0] if q else None)
    best = max(parts, key=lambda p: len(p.split()))
    best = " ".join(w for w in best.split() if w not in ("a", "an", "the"))
    return (singular(best) if best else None), (q[0] if q else None)


def service(x: Extractor) -> str | None:
    """What a customer wants done or priced: 'how much do you charge for drain cleaning'."""
    if x.lexicon is not None and x.lexicon.services:
        known = x.lexicon.find("services", x.u.text)
        if known:
            return known
    claimed = x.claimed()
    matches = [m for pattern in _SERVICE_TRIGGERS for m in pattern.finditer(x.u.text)]
    for m in matches:
        i = x.u.token_index(m.end() + 1) if m.end() < len(x.u.text) else len(x.t)
        while i < len(x.t) and (x.t[i] in _DET or x.t[i] in PRONOUNS):  # "what would they [a] new ... cost"
            i += 1
        j = i
        while j < len(x.t) and j not in claimed and x.t[j] not in _SERVICE_STOP and x.t[j] not in PRONOUNS:
            j += 1
            if j - 1 in x.u.breaks:
                break
        words = [w for w in x.t[i:j] if w not in ("guys",)]
        if words and not all(w in STOP for w in words):
            return singular(" ".join(words))
    return None


_NOTE_LEAD = frozenset(
    ["saying", "says", "that", "reading", "reads", "which", "to", "note", "notes", "with", "of", "colon"]
)


def note_after(x: Extractor, end: int) -> str | None:
    """Free text after a reference: 'add a note to job 42 saying ...'."""
    if x.u.colon is not None and x.u.colon >= end:
        end = x.u.colon
    a, b = strip_edges(x.t, end, len(x.t), lead=_NOTE_LEAD, trail=frozenset({"please", "thanks"}))
    return " ".join(x.t[a:b]) if b > a else None


def contact_note(x: Extractor) -> tuple[Name | None, str | None]:
    """'log that tom baker called about a noisy furnace' -> (tom baker, called about a noisy furnace)."""
    m = re.search(
        r"^(?:.*? )?(?:log|note|record|jot down|write down|add|put|make|leave|save)(?: a| an)?(?: quick)?"
        r"(?: note| call| interaction| comment)?(?: that| to| for| on| about| under| in)? ",
        x.u.text,
    )
    if m:
        found = name_at(x.u, x.u.token_index(m.end()))
        if found:
            return found, note_after(x, found.end)
    found = x.customer()
    return found, (note_after(x, found.end) if found else None)


def business(x: Extractor) -> str | None:
    return find_business(x.u, x.lexicon)


def target(x: Extractor) -> str | None:
    return transfer_target(x.u.text) or "human"


def status(x: Extractor) -> str | None:
    return parse_status(x.u.text)


def days(x: Extractor) -> int | None:
    return find_days(x.u.text)
