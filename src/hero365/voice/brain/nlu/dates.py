"""Spoken dates resolved against the business's 'now'.

Finders return char spans of the normalised text so callers can cut dates out of titles and notes.
Conventions: a bare weekday is the next one after today ("monday" said on a Monday is a week out);
"next <weekday>" is that day in next week (Mon-Sun weeks); "last <weekday>" / "this past <weekday>" is the
latest one before today; month-day in the past rolls to next year.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, timedelta

from .lexicon import MONTHS, WEEKDAYS
from .numbers import NUM_RE, parse_number

_ORD = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_CARD = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
ORDINAL_DAYS: dict[str, int] = {w: i + 1 for i, w in enumerate(_ORD)}
ORDINAL_DAYS.update({f"twenty {w}": 20 + i + 1 for i, w in enumerate(_ORD[:9])})
ORDINAL_DAYS.update({"thirtieth": 30, "thirty first": 31})
CARDINAL_DAYS: dict[str, int] = {w: i + 1 for i, w in enumerate(_CARD)}
CARDINAL_DAYS.update({f"twenty {w}": 20 + i + 1 for i, w in enumerate(_CARD[:9])})
CARDINAL_DAYS.update({"thirty": 30, "thirty one": 31})
_MONTH_ABBR = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
MONTH_NUM: dict[str, int] = {m: i + 1 for i, m in enumerate(MONTHS)} | _MONTH_ABBR


def _alt(words: list[str] | dict[str, int] | tuple[str, ...]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


ORD_RE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|{_alt(ORDINAL_DAYS)})"
DAY_RE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_alt(ORDINAL_DAYS)}|{_alt(CARDINAL_DAYS)})"
MONTH_RE = rf"(?:{_alt(MONTH_NUM)})"
WEEKDAY_RE = rf"(?:{_alt(WEEKDAYS)})"
_NOT_MORE_NUMBER = r"(?! (?:hundred|thousand|dollars|percent|hours?|minutes?))"


def day_number(word: str) -> int | None:
    """'3rd' / 'third' / 'three' / 'twenty first' -> day of month."""
    m = re.match(r"^(\d{1,2})(?:st|nd|rd|th)?$", word)
    if m:
        return int(m.group(1))
    return ORDINAL_DAYS.get(word) or CARDINAL_DAYS.get(word)


def _month_day(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def _weekday(today: date, wd: int, mode: str) -> date:
    if mode in ("last", "past", "this past"):
        return today - timedelta(days=(today.weekday() - wd) % 7 or 7)
    if mode in ("next", "next week", "following"):
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + wd)
    if mode == "after next":
        return today - timedelta(days=today.weekday()) + timedelta(days=14 + wd)
    ahead = (wd - today.weekday()) % 7
    if ahead == 0 and mode not in ("this", "this week"):
        ahead = 7
    return today + timedelta(days=ahead)


def _relative(today: date, amount: str, unit: str) -> date | None:
    n: float | None
    if amount in ("a", "an", "one"):
        n = 1
    elif amount.startswith("a couple") or amount.startswith("couple"):
        n = 2
    elif amount == "a few":
        n = 3
    else:
        n = parse_number(amount)
    if n is None:
        return None
    days = {"day": 1, "week": 7, "month": 30}[unit.rstrip("s")] * n
    return today + timedelta(days=int(days))


def _month_of(match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    day = day_number(groups["day"])
    return _month_day(today, MONTH_NUM[groups["month"]], day) if day else None


def _ordinal_only(match: re.Match[str], today: date) -> date | None:
    """"The 30th": the next day with that number, this month if it is still to come (on 10 February, the
    30th is 30 March; on 31 January, the 31st is today)."""
    day = day_number(match.group("day"))
    if not day or day > 31:
        return None
    year, month = today.year, today.month
    if day < today.day:
        year, month = year + (month == 12), month % 12 + 1
    for _ in range(3):  # a 31st is at most two months away
        with contextlib.suppress(ValueError):
            return date(year, month, day)
        year, month = year + (month == 12), month % 12 + 1
    return None


def _weekday_of(match: re.Match[str], today: date) -> date:
    g = match.groupdict()
    mode = (g.get("pre") or g.get("post") or "").replace("this coming", "this").replace("coming", "this")
    if g.get("nextweek"):
        mode = "next"
    return _weekday(today, WEEKDAYS.index(g["wd"]), mode.strip())


def _end_of_month(today: date) -> date:
    first_next = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


_AMOUNT = rf"(?P<n>a|an|one|a couple of|a couple|couple of|a few|{NUM_RE})"
_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"\b(?:the )?day after tomorrow\b"), lambda m, t: t + timedelta(days=2)),
    (re.compile(r"\btomorrow\b"), lambda m, t: t + timedelta(days=1)),
    (re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b"), lambda m, t: t),
    (re.compile(r"\byesterday\b"), lambda m, t: t - timedelta(days=1)),
    (
        re.compile(rf"\b(?:in|within) {_AMOUNT} (?P<u>days?|weeks?|months?)\b"),
        lambda m, t: _relative(t, m.group("n"), m.group("u")),
    ),
    (
        re.compile(rf"\b{_AMOUNT} (?P<u>days?|weeks?|months?) from (?:now|today)\b"),
        lambda m, t: _relative(t, m.group("n"), m.group("u")),
    ),
    (re.compile(rf"\b(?:the )?(?P<day>{DAY_RE})(?: day)? of (?P<month>{MONTH_RE})\b"), _month_of),
    (re.compile(rf"\b(?P<month>{MONTH_RE}) (?:the )?(?P<day>{DAY_RE})\b{_NOT_MORE_NUMBER}"), _month_of),
    (re.compile(rf"\b(?:on|by|for|until|before|after) the (?P<day>{ORD_RE})\b(?! of)"), _ordinal_only),
    (
        re.compile(
            r"\b(?:(?P<pre>this coming|this past|coming|this|next|following|last|past) )?"
            r"(?:(?P<nextweek>next week) (?:on )?)?"
            rf"(?P<wd>{WEEKDAY_RE})(?: (?P<post>next week|this week|after next))?\b"
        ),
        _weekday_of,
    ),
    (re.compile(r"\b(?:the )?end of (?:the |this )?week\b"), lambda m, t: _weekday(t, 4, "this")),
    (re.compile(r"\b(?:this|the) weekend\b"), lambda m, t: _weekday(t, 5, "this")),
    (re.compile(r"\bnext weekend\b"), lambda m, t: _weekday(t, 5, "next")),
    (re.compile(r"\b(?:the )?end of (?:the |this )?month\b"), lambda m, t: _end_of_month(t)),
]


def find_dates(text: str, now: datetime | date) -> list[tuple[int, int, date]]:
    """Every date expression in normalised text as (start, end, date), longest first wins."""
    today = now.date() if isinstance(now, datetime) else now
    found: list[tuple[int, int, date]] = []
    for pattern, handler in _PATTERNS:
        for m in pattern.finditer(text):
            value = handler(m, today)  # type: ignore[operator]
            if value is not None:
                found.append((m.start(), m.end(), value))
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    chosen: list[tuple[int, int, date]] = []
    for f in found:
        if all(f[1] <= c[0] or f[0] >= c[1] for c in chosen):
            chosen.append(f)
    return sorted(chosen)


#: A day from which every date a person can name exists (a 31-day month, in a leap year): whether text *names*
#: a date must not depend on today ("the 30th" has no date in February; "February 29" none in 2027).
_ANY_DAY = date(2024, 1, 1)


def names_a_date(text: str) -> bool:
    """Whether normalised text names a date at all, on any day it is said."""
    return bool(find_dates(text, _ANY_DAY))


def parse_date(text: str, now: datetime | date) -> date | None:
    """First date in text: 'friday', 'next monday', 'the first of december', 'in two weeks'."""
    from .normalize import normalize

    found = find_dates(normalize(text).text, now)
    return found[0][2] if found else None
