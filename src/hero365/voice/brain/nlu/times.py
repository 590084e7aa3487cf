"""Spoken clock times, durations and day counts.

A bare hour follows the contract: 1-6 is afternoon, 7-11 morning, 12 noon, unless am/pm or a
day part ("tomorrow morning at nine", "seven at night") says otherwise.
"""

from __future__ import annotations

import re
from datetime import time

from .numbers import NUM_RE, TEENS, TENS, UNITS, parse_number

_HOURS = {w: v for w, v in {**UNITS, **TEENS}.items() if 1 <= v <= 12}
H_RE = rf"(?:1[0-2]|0?[1-9]|{'|'.join(sorted(_HOURS, key=len, reverse=True))})"
_UNIT_WORDS = "one|two|three|four|five|six|seven|eight|nine"
MIN_RE = (
    rf"(?:(?:oh|o|zero) (?:{_UNIT_WORDS})|(?:twenty|thirty|forty|fifty)(?: (?:{_UNIT_WORDS}))?"
    r"|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|[0-5]\d)"
)
_NOT_UNIT = (
    r"(?! (?:hundred|thousand|dollars?|bucks|percent|hours?|minutes?|days?|weeks?|months?|years?"
    r"|stars?|out of|people|more|of|units?|pieces|boxes|dozen|inch|inches|foot|feet|gallons?|times"
    r"|jobs?|invoices?|estimates?|quotes?|projects?|and a half))"
)
_DAYPART_AM = re.compile(r"\bmorning\b")
_DAYPART_PM = re.compile(r"\b(?:afternoon|evening|tonight|at night|in the night)\b")
_KEYWORD_BEFORE = re.compile(r"(?:job|project|invoice|estimate|quote|number|order) $")

_EXPLICIT = re.compile(rf"\b(?P<h>{H_RE})(?::(?P<mm>\d\d)| (?P<mw>{MIN_RE}))?(?: oclock)? (?P<ap>am|pm)\b")
_RELATIVE = re.compile(
    rf"\b(?P<m>half|quarter|a quarter|{MIN_RE}|\d{{1,2}}|five|ten)(?: minutes)? "
    rf"(?P<dir>past|after|to|til|till|before|of) (?P<h>{H_RE})\b(?: (?P<ap>am|pm)\b)?"
)
_COLON = re.compile(r"\b(?P<h>\d{1,2}):(?P<mm>\d\d)\b")
_NOON = re.compile(r"\b(?P<w>noon|midday|midnight|lunchtime|lunch time)\b")
_AT = re.compile(
    rf"\b(?:at|around|about|by|after|before|from|until|til|till|say|no later than|sometime|to)"
    rf"(?: around| about)? (?P<h>{H_RE})(?: (?P<mw>{MIN_RE}))?(?: oclock)?\b{_NOT_UNIT}"
)
_OCLOCK = re.compile(rf"\b(?P<h>{H_RE})(?: (?P<mw>{MIN_RE}))? oclock\b")
_AFTER_DAY = re.compile(
    rf"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today"
    rf"|morning|afternoon|evening|tonight|night) (?P<h>{H_RE})(?: (?P<mw>{MIN_RE}))?\b"
    rf"{_NOT_UNIT}"
)
_DAYPART_AFTER = re.compile(
    rf"\b(?P<h>{H_RE})(?: (?P<mw>{MIN_RE}))?(?: oclock)? (?:in the (?:morning|afternoon|evening)"
    r"|at night|tonight|this (?:morning|afternoon|evening))\b"
)
_WHOLE = re.compile(rf"^(?P<h>{H_RE})(?: (?P<mw>{MIN_RE}))?$")


def _hour(word: str) -> int:
    return int(word) if word.isdigit() else _HOURS[word]


def _minute(word: str | None) -> int:
    if not word:
        return 0
    if word.isdigit():
        return int(word)
    parts = word.split()
    if parts[0] in ("oh", "o", "zero"):
        return UNITS[parts[1]]
    return sum(TENS.get(p, TEENS.get(p, UNITS.get(p, 0))) for p in parts)


def _resolve(h: int, m: int, ap: str | None, daypart: str | None) -> time | None:
    if h > 23 or m > 59:
        return None
    if ap == "am":
        h = 0 if h == 12 else h
    elif ap == "pm":
        h = h if h == 12 else h + 12
    elif h <= 12 and ((daypart == "pm" and h < 12) or (daypart != "am" and 1 <= h <= 6)):
        h += 12
    return time(h % 24, m)


def _daypart(text: str) -> str | None:
    if _DAYPART_PM.search(text):
        return "pm"
    if _DAYPART_AM.search(text):
        return "am"
    return None


def find_times(text: str) -> list[tuple[int, int, time]]:
    """Every clock time in normalised text as (start, end, time), earliest-listed pattern wins."""
    daypart = _daypart(text)
    found: list[tuple[int, int, time]] = []

    def add(start: int, end: int, value: time | None) -> None:
        if value is not None and all(end <= s or start >= e for s, e, _ in found):
            found.append((start, end, value))

    for m in _EXPLICIT.finditer(text):
        add(m.start(), m.end(), _resolve(_hour(m["h"]), int(m["mm"]) if m["mm"] else _minute(m["mw"]), m["ap"], None))
    for m in _RELATIVE.finditer(text):
        if _KEYWORD_BEFORE.search(text[: m.start()]) or (m["dir"] == "of" and "quarter" not in m["m"]):
            continue
        mins = 30 if m["m"] == "half" else 15 if "quarter" in m["m"] else _minute(m["m"])
        h = _hour(m["h"])
        if m["dir"] in ("to", "til", "till", "before", "of"):
            h, mins = (h - 1) or 12, 60 - mins
        add(m.start(), m.end(), _resolve(h, mins, m["ap"], daypart))
    for m in _COLON.finditer(text):
        add(m.start(), m.end(), _resolve(int(m["h"]), int(m["mm"]), None, daypart))
    for m in _NOON.finditer(text):
        add(m.start(), m.end(), time(0, 0) if m["w"] == "midnight" else time(12, 0))
    for pattern in (_DAYPART_AFTER, _AT, _OCLOCK, _AFTER_DAY):
        for m in pattern.finditer(text):
            add(m.start("h"), m.end(), _resolve(_hour(m["h"]), _minute(m["mw"]), None, daypart))
    return sorted(found)


def parse_time(text: str) -> time | None:
    """First time in text: 'at 3' -> 15:00, 'half past ten', 'nine thirty', 'noon', 'eight a m'."""
    from .normalize import normalize

    norm = normalize(text).text
    found = find_times(norm)
    if found:
        return found[0][2]
    m = _WHOLE.match(norm)
    return _resolve(_hour(m["h"]), _minute(m["mw"]), None, None) if m else None


# ---- durations -------------------------------------------------------------------------------
_N = rf"(?P<n>{NUM_RE}|an|a)"
_DURATIONS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"\b(?:an |a |one )?hour and a half\b"), lambda m: 90),
    (re.compile(r"\b(?:half an|half a|a half) hour\b"), lambda m: 30),
    (re.compile(r"\b(?:a couple(?: of)?|couple of) hours\b"), lambda m: 120),
    (re.compile(r"\ba few hours\b"), lambda m: 180),
    (re.compile(rf"\b{_N} and a half hours?\b"), lambda m: _n(m["n"]) * 60 + 30),
    (
        re.compile(rf"\b{_N} (?:hours?)(?: and (?P<m>{NUM_RE}) minutes?)?\b"),
        lambda m: _n(m["n"]) * 60 + (_n(m["m"]) if m["m"] else 0),
    ),
    (re.compile(rf"\b{_N} minutes?\b"), lambda m: _n(m["n"])),
    (re.compile(r"\ball day\b"), lambda m: 480),
]


def _n(word: str) -> float:
    if word in ("a", "an"):
        return 1
    value = parse_number(word)
    return float(value) if value is not None else 0.0


def find_durations(text: str) -> list[tuple[int, int, int]]:
    """Durations in normalised text as (start, end, minutes)."""
    found: list[tuple[int, int, int]] = []
    for pattern, handler in _DURATIONS:
        for m in pattern.finditer(text):
            minutes = round(handler(m))  # type: ignore[operator]
            if minutes > 0 and all(m.end() <= s or m.start() >= e for s, e, _ in found):
                found.append((m.start(), m.end(), minutes))
    return sorted(found)


def parse_duration_minutes(text: str) -> int | None:
    """'two hours' -> 120, 'an hour and a half' -> 90, '45 minutes' -> 45."""
    from .normalize import normalize

    found = find_durations(normalize(text).text)
    return found[0][2] if found else None


# ---- day counts ("the next ten days") ------------------------------------------------------------
_DAYS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(rf"\b(?:next|coming|following|upcoming|over|for|in) (?:the )?{_N} days?\b"), lambda m: _n(m["n"])),
    (re.compile(rf"\b(?:next|coming|following|upcoming|over|for|in) (?:the )?{_N} weeks?\b"), lambda m: 7 * _n(m["n"])),
    (re.compile(r"\b(?:next|coming) (?:couple(?: of)?) days\b"), lambda m: 2),
    (re.compile(r"\b(?:next|coming) few days\b"), lambda m: 3),
    (re.compile(r"\b(?:next|coming) (?:couple(?: of)?) weeks\b"), lambda m: 14),
    (re.compile(r"\b(?:this|next|the) week\b|\brest of the week\b|\bweek ahead\b"), lambda m: 7),
    (re.compile(r"\b(?:this|next|the) month\b"), lambda m: 30),
    (re.compile(rf"\b{_N} days?\b"), lambda m: _n(m["n"])),
]


def find_days(text: str) -> int | None:
    """A day count for 'upcoming' questions: 'next ten days' -> 10, 'this week' -> 7."""
    for pattern, handler in _DAYS:
        m = pattern.search(text)
        if m:
            value = int(handler(m))  # type: ignore[operator]
            if value > 0:
                return value
    return None
