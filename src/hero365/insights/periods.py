"""Reporting windows and buckets in the business's time zone (a day is the business's local day, across
daylight-saving changes), turned into UTC bounds the database can compare against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
MAX_DAYS = 3 * 366
MAX_BUCKETS = 400


class PeriodError(ValueError):
    """A window or bucket size that can't be reported on; the message says why."""


def _utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def period_start(day: date, period: Period) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def next_start(day: date, period: Period) -> date:
    if period == "week":
        return day + timedelta(days=7)
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """Local days [first, last] in a zone."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return _utc(self.first, self.tz)

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the day after the last."""
        return _utc(self.last + timedelta(days=1), self.tz)

    def buckets(self, size: Period) -> list[tuple[date, datetime, datetime]]:
        """(local first day, UTC start, UTC end) of each `size` bucket overlapping the window, clipped to it."""
        out: list[tuple[date, datetime, datetime]] = []
        day = period_start(self.first, size)
        while day <= self.last:
            following = next_start(day, size)
            lo, hi = max(day, self.first), min(following - timedelta(days=1), self.last)
            out.append((day, _utc(lo, self.tz), _utc(hi + timedelta(days=1), self.tz)))
            if len(out) > MAX_BUCKETS:
                raise PeriodError(f"Too many {size} buckets in that range (at most {MAX_BUCKETS}); "
                                  "pick a larger bucket or a shorter range.")
            day = following
        return out


def window(period: Period, today: date, tz: ZoneInfo, start: date | None = None, end: date | None = None) -> Window:
    """The window to report: the given dates, or the current day / week (Monday first) / month containing today.

    Only a start: from it to the end of its period. Only an end: the period ending there."""
    if period not in PERIODS:
        raise PeriodError(f"Unknown period {period!r}: use day, week or month.")
    if start is None and end is None:
        start = period_start(today, period)
        end = next_start(start, period) - timedelta(days=1)
    elif start is None:
        assert end is not None
        start = period_start(end, period)
    elif end is None:
        end = next_start(period_start(start, period), period) - timedelta(days=1)
    if end < start:
        raise PeriodError("The end date is before the start date.")
    if (end - start).days > MAX_DAYS:
        raise PeriodError(f"That range is longer than {MAX_DAYS} days; report on a shorter one.")
    return Window(start, end, tz)
