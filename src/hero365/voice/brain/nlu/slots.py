"""Slot values for a recognised intent, in the contract's formats (INTENTS.md).

Spans already claimed (dates, times, durations, record numbers, the customer) are cut out before
free text (titles, notes, products, services) is read from what is left, so "create a job for maria
garcia tomorrow at 9 am to replace the water heater" leaves exactly "replace the water heater".
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Any

from .dates import find_dates
from .entities import Name, find_customer
from .lexicon import STOP, Lexicon, words
from .normalize import Utterance
from .numbers import UNITS, read_number
from .times import find_durations, find_times

_ID_KINDS = {
    "job": "job",
    "invoice": "invoice",
    "estimate": "estimate",
    "quote": "estimate",
    "bid": "estimate",
    "project": "project",
    "ticket": "job",
}
_EDGE_LEAD = words(
    "to for that saying says called named titled about of on at by with and is be as which reading "
    "note notes colon saying: it says reads from in also then so please"
)
_EDGE_TRAIL = words("on at by for to and with from in of please now then is that due around this the a an about thanks")
_NOT_QUANTITY_AFTER = words(
    "inch inches foot feet quarter quarters by x gallon gallons amp amps volt volts millimeter mm ton tons percent"
)


def strip_edges(
    tokens: tuple[str, ...], i: int, j: int, lead: frozenset[str] = _EDGE_LEAD, trail: frozenset[str] = _EDGE_TRAIL
) -> tuple[int, int]:
    while i < j and tokens[i] in lead:
        i += 1
    while j > i and tokens[j - 1] in trail:
        j -= 1
    return i, j


_CORRECTION = re.compile(r"\b(?:no wait|no no|no|wait|i mean|actually|sorry|make that|scratch that|rather)\b")


class Extractor:
    """Lazily computed spans of one utterance; slot readers share them."""

    def __init__(self, u: Utterance, now: datetime, lexicon: Lexicon | None) -> None:
        self.u, self.now, self.lexicon = u, now, lexicon
        self.t = u.tokens

    # ---- spans -------------------------------------------------------------------------------
    def _token_spans(self, found: list[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
        return [(*self.u.span(s, e), v) for s, e, v in found]

    @cached_property
    def dates(self) -> list[tuple[int, int, Any]]:
        return self._token_spans(find_dates(self.u.text, self.now))

    @cached_property
    def times(self) -> list[tuple[int, int, Any]]:
        return self._token_spans(find_times(self.u.text))

    @cached_property
    def durations(self) -> list[tuple[int, int, Any]]:
        return self._token_spans(find_durations(self.u.text))

    @cached_property
    def ids(self) -> dict[str, tuple[int, int, int]]:
        """'job forty two' -> {'job': (42, start, end)}; first mention of each kind."""
        out: dict[str, tuple[int, int, int]] = {}
        t = self.t
        for i, tok in enumerate(t):
            kind = _ID_KINDS.get(tok) or ("job" if tok == "order" and i and t[i - 1] == "work" else None)
            if not kind or kind in out:
                continue
            j = i + 1
            while j < len(t) and t[j] in ("number", "no", "num"):
                j += 1
            found = read_number(t, j)
            if found and isinstance(found[0], int) and not (found[1] < len(t) and t[found[1]] == "percent"):
                out[kind] = (found[0], i, found[1])
        return out

    @cached_property
    def phone(self) -> tuple[str, int, int] | None:
        t = self.t
        i = 0
        while i < len(t):
            j, digits = i, ""
            while j < len(t) and (t[j].isdigit() or (t[j] in UNITS and (t[j] != "oh" or digits))):
                digits += t[j] if t[j].isdigit() else str(UNITS[t[j]])
                j += 1
            if len(digits) >= 7:
                return digits, i, j
            i = max(j, i + 1)
        return None

    def claimed(self, *extra: tuple[int, int]) -> set[int]:
        spans = [(s, e) for s, e, _ in self.dates + self.times + self.durations]
        spans += [(s, e) for _, s, e in self.ids.values()]
        if self.phone:
            spans.append(self.phone[1:])
        spans += list(extra)
        return {k for s, e in spans for k in range(s, e)}

    def leftover(self, removed: set[int], lead: frozenset[str] = _EDGE_LEAD) -> str | None:
        """The longest run of unclaimed tokens (split at commas), edge connectors stripped."""
        best: tuple[int, int] | None = None
        i = 0
        while i < len(self.t):
            if i in removed:
                i += 1
                continue
            j = i
            while j < len(self.t) and j not in removed:
                j += 1
                if j - 1 in self.u.breaks:
                    break
            a, b = strip_edges(self.t, i, j, lead)
            if b > a and (best is None or b - a > best[1] - best[0]):
                best = (a, b)
            i = j
        if best is None:
            return None
        words = self.t[best[0] : best[1]]
        return None if all(w in STOP for w in words) else " ".join(words)

    # ---- slot readers --------------------------------------------------------------------------
    def customer(self, **kw: bool) -> Name | None:
        return find_customer(self.u, self.lexicon, **kw)

    def _corrected(self, found: list[tuple[int, int, Any]]) -> bool:
        """A second value said after a correction ("tuesday, no wait, wednesday"): the last one is meant."""
        return len(found) > 1 and bool(_CORRECTION.search(" ".join(self.t[found[0][1]:found[-1][0]])))

    def date(self, last: bool = False) -> str | None:
        if not self.dates:
            return None
        return self.dates[-1 if last or self._corrected(self.dates) else 0][2].isoformat()

    def time(self) -> str | None:
        if not self.times:
            return None
        return self.times[-1 if self._corrected(self.times) else 0][2].strftime("%H:%M")

    def amount(self, extra: set[int] | None = None) -> tuple[int | float, int, int] | None:
        """(dollars, start, end): '450 dollars', 'for two fifty', else the largest free number."""
        taken = self.claimed() | (extra or set())
        t = self.t
        candidates: list[tuple[float, int | float, int, int]] = []
        i = 0
        while i < len(t):
            if i in taken or t[i] == "oh":
                i += 1
                continue
            limit = min((k for k in taken if k > i), default=len(t))
            found = read_number(t[:limit], i)
            if not found or (t[i] in ("a", "an") and found[1] == i + 1):
                i += 1
                continue
            value, end = found
            nxt = t[end] if end < len(t) else ""
            prev = t[i - 1] if i else ""
            if nxt in ("percent", "stars", "star", "hours", "minutes", "days", "weeks", "out"):
                i = end
                continue
            score = (
                3
                if nxt in ("dollars", "dollar", "bucks", "grand")
                else 2
                if prev in ("for", "of", "paid", "pay", "is", "bill", "charge", "about", "at", "be")
                else 1
            )
            if nxt in ("dollars", "dollar", "bucks"):
                end += 1
                cents = read_number(t, end + 1) if end < len(t) and t[end] == "and" else None
                if cents and cents[0] < 100 and cents[1] < len(t) and t[cents[1]] in ("cents", "cent"):
                    value, end = value + cents[0] / 100, cents[1] + 1  # "eighty nine dollars and fifty cents"
            candidates.append((score * 10_000_000 + float(value), value, i, end))
            i = end
        if not candidates:
            return None
        best = max(candidates)
        return best[1], best[2], best[3]

    def percent(self) -> int | None:
        text = self.u.text
        m = re.search(r"\b(\d+(?:\.\d+)?|[a-z]+(?: [a-z]+){0,5}) percent\b", text)
        if m:  # the longest run of words before "percent" that is one whole number: "a hundred and twenty"
            words = m.group(1).split()
            for k in range(len(words)):
                found = read_number(tuple(words[k:]), 0)
                if found and found[1] == len(words) - k:
                    return int(found[0])
        if re.search(r"\b(?:half ?way|half done|half finished|half complete|fifty fifty)\b", text):
            return 50
        if re.search(r"\bthree (?:quarters|fourths)\b", text):
            return 75
        if re.search(r"\b(?:a|one) (?:quarter|fourth)\b", text):
            return 25
        if re.search(r"\b(?:done|finished|complete|completed|wrapped up)\b", text) and not re.search(
            r"\d|percent", text
        ):
            return 100
        return None

    def rating(self) -> tuple[int, int, int] | None:
        """(rating, start, end) from 'five stars', 'a four out of five', 'i'd give you a 5', 'it was a three'."""
        t = self.t
        for i in range(len(t)):
            found = read_number(t, i) if t[i] not in ("a", "an", "oh") else None
            if not found or not isinstance(found[0], int) or not 0 <= found[0] <= 10:
                continue
            value, end = found
            nxt = " ".join(t[end : end + 2])
            prev = " ".join(t[max(0, i - 3) : i])
            if re.match(r"^(?:stars?|out of)\b", nxt) or (
                re.search(r"(?:give|rate|rated|rating|score|was|is|solid|be|it|a|an)$", prev)
                and not re.match(r"^(?:hours?|minutes?|days?|weeks?|dollars|o ?clock|pm|am)\b", nxt)
            ):
                if nxt.startswith("out of"):
                    of = read_number(t, end + 2)
                    end = of[1] if of else end + 2
                elif nxt.startswith("star"):
                    end += 1
                return value, i, end
        return None

    def quantity(self) -> tuple[int, int, int] | None:
        t = self.t
        for i in range(len(t)):
            if t[i] == "oh":
                continue
            found = read_number(t, i)
            if (
                found
                and (found[1] >= len(t) or t[found[1]] not in _NOT_QUANTITY_AFTER)
                and isinstance(found[0], int)
                and not (t[i] == "a" and found[0] == 1)
            ):
                return found[0], i, found[1]
        return None
