"""Words for the ear: dates, times, money and lists read the way a person says them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from ..erp.domain.money import speak_money

__all__ = ["plural", "sentence", "speak_date", "speak_list", "speak_money", "speak_time", "speak_when"]


def speak_date(day: date, today: date) -> str:
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    if 1 < delta < 7:
        return f"{day:%A}"
    if day.year == today.year or 0 < delta < 180:
        return f"{day:%A, %B} {_ordinal(day.day)}"
    return f"{day:%B} {_ordinal(day.day)}, {day.year}"


def speak_time(moment: datetime) -> str:
    if moment.hour == 12 and moment.minute == 0:
        return "noon"
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    return f"{hour} {suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d} {suffix}"


def speak_when(moment: datetime, today: date) -> str:
    return f"{speak_date(moment.date(), today)} at {speak_time(moment)}"


def speak_list(items: Sequence[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return items[0] if items else ""
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def sentence(text: str) -> str:
    """Start with a capital ("today at 1 PM, ..." -> "Today at 1 PM, ..."), leaving the rest as it is."""
    return text[:1].upper() + text[1:]


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
