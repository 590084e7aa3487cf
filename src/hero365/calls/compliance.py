"""May we call this number now, for this purpose? Pure and fast: no I/O, the facts are loaded by `checks`.

The rules (TCPA-grade, stricter where the law is loose, because a wrong call is a fine per call):
- never a number on the business's do-not-call list, the imported national list, or a contact who opted out
  (the national list formally binds telemarketing only; we honour it for every automated call);
- marketing purposes need recorded prior express written consent; informational ones an existing relationship
  (a job, invoice or estimate of that contact);
- 8:00-21:00 in the callee's local time, narrowed by the campaign's own hours, and never on a configured
  holiday there; a number whose zone is unknown is called only when that holds in EVERY zone it could be in;
- the business's own window, in its own zone and on its own weekdays.
Refusals by time come with the next moment the call would be allowed, so the dialer can reschedule.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

#: Where a US number can ring when its area code doesn't say (non-geographic, unknown, overlay across zones).
US_ZONES: tuple[str, ...] = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                             "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu")
#: How far ahead `next_allowed_at` looks before giving up (a window that never opens).
HORIZON_DAYS = 21


class Reason(enum.StrEnum):
    ALLOWED = "allowed"
    INVALID_NUMBER = "invalid_number"
    BUSINESS_DNC = "business_dnc"
    NATIONAL_DNC = "national_dnc"
    OPTED_OUT = "opted_out"
    NO_WRITTEN_CONSENT = "no_written_consent"
    NO_RELATIONSHIP = "no_relationship"
    HOLIDAY = "holiday"
    OUTSIDE_CALLING_HOURS = "outside_calling_hours"
    OUTSIDE_BUSINESS_HOURS = "outside_business_hours"
    NEVER_ALLOWED = "never_allowed"

    @property
    def permanent(self) -> bool:
        """Refusals that waiting does not cure (the dialer skips these instead of rescheduling)."""
        return self not in (Reason.ALLOWED, Reason.HOLIDAY, Reason.OUTSIDE_CALLING_HOURS,
                            Reason.OUTSIDE_BUSINESS_HOURS)


@dataclass(frozen=True)
class Window:
    """Local hours [start, end) on some weekdays (0=Monday). end may be 24 (midnight)."""

    start: int
    end: int
    days: frozenset[int] = frozenset(range(7))

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= 24):
            raise ValueError(f"calling hours must satisfy 0 <= start < end <= 24, not {self.start}-{self.end}")

    def holds(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.hour < self.end

    def opens(self, day: date, tz: ZoneInfo) -> datetime | None:
        return datetime.combine(day, time(self.start), tz) if day.weekday() in self.days else None


LEGAL = Window(8, 21)


@dataclass(frozen=True)
class CallFacts:
    """Everything the rules look at, for one number and one purpose."""

    number: str
    marketing: bool
    zones: tuple[str, ...]
    business_zone: str
    business_window: Window = Window(8, 20)
    legal_window: Window = LEGAL
    campaign_window: Window | None = None
    holidays: frozenset[date] = field(default_factory=frozenset)
    on_business_dnc: bool = False
    on_national_dnc: bool = False
    opted_out: bool = False
    written_consent: bool = False
    relationship: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    detail: str
    next_allowed_at: datetime | None = None

    @staticmethod
    def ok() -> Decision:
        return Decision(True, Reason.ALLOWED, "allowed")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def decide(facts: CallFacts, at: datetime) -> Decision:
    """The verdict for calling `facts.number` at `at` (aware): list and consent first, then time."""
    if not facts.number.startswith("+") or not facts.number[1:].isdigit():
        return Decision(False, Reason.INVALID_NUMBER, f"{facts.number!r} is not an E.164 number")
    if facts.on_business_dnc:
        return Decision(False, Reason.BUSINESS_DNC, "on the business's do-not-call list")
    if facts.opted_out:
        return Decision(False, Reason.OPTED_OUT, "the contact asked not to be called")
    if facts.on_national_dnc:
        return Decision(False, Reason.NATIONAL_DNC, "on the national do-not-call list")
    if facts.marketing and not facts.written_consent:
        return Decision(False, Reason.NO_WRITTEN_CONSENT, "a sales call needs prior express written consent")
    if not facts.marketing and not facts.relationship:
        return Decision(False, Reason.NO_RELATIONSHIP, "no job, invoice or estimate with this contact")
    refusal = time_refusal(facts, at)
    if refusal is None:
        return Decision.ok()
    reason, detail = refusal
    nxt = next_allowed(facts, at)
    if nxt is None:
        return Decision(False, Reason.NEVER_ALLOWED, f"{detail}, and no allowed time in {HORIZON_DAYS} days")
    return Decision(False, reason, detail, nxt)


def time_refusal(facts: CallFacts, at: datetime) -> tuple[Reason, str] | None:
    """Why `at` is not a time to call (holiday, hours, business window), or None when it is."""
    for name in facts.zones or US_ZONES:
        local = at.astimezone(_zone(name))
        if local.date() in facts.holidays:
            return Reason.HOLIDAY, f"{local.date().isoformat()} is a holiday in {name}"
        if not facts.legal_window.holds(local):
            return Reason.OUTSIDE_CALLING_HOURS, f"{local:%H:%M} in {name} is outside legal calling hours"
        if facts.campaign_window and not facts.campaign_window.holds(local):
            return Reason.OUTSIDE_CALLING_HOURS, f"{local:%H:%M} in {name} is outside the campaign's hours"
    own = at.astimezone(_zone(facts.business_zone))
    if not facts.business_window.holds(own):
        return Reason.OUTSIDE_BUSINESS_HOURS, f"{own:%a %H:%M} is outside the business's calling window"
    return None


def next_allowed(facts: CallFacts, at: datetime) -> datetime | None:
    """The earliest moment >= `at` when the time rules all hold.

    The allowed set is an intersection of local-hour windows, so its earliest point after `at` is `at` itself or
    the opening of one of those windows (local midnight, for the day after a holiday): checking those is exact."""
    zones = [_zone(z) for z in (facts.zones or US_ZONES)]
    own = _zone(facts.business_zone)
    windows: list[tuple[Window, ZoneInfo]] = [(facts.legal_window, z) for z in zones]
    if facts.campaign_window:
        windows += [(facts.campaign_window, z) for z in zones]
    windows.append((facts.business_window, own))
    candidates: set[datetime] = {at}
    first = at.astimezone(UTC).date() - timedelta(days=1)
    for offset in range(HORIZON_DAYS + 2):
        day = first + timedelta(days=offset)
        for window, tz in windows:
            opening = window.opens(day, tz)
            if opening is not None:
                candidates.add(opening)
        for tz in zones:
            candidates.add(datetime.combine(day, time(0), tz))
    for moment in sorted(c.astimezone(UTC) for c in candidates if c >= at):
        if time_refusal(facts, moment) is None:
            return moment
    return None


def holiday_days(spec: str, years: Iterable[int]) -> frozenset[date]:
    """'US' (federal holidays, observed days included) and/or ISO dates, comma-separated; '' or 'none' for none."""
    days: set[date] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part or part.lower() == "none":
            continue
        if part.upper() == "US":
            import holidays

            days |= set(holidays.US(years=list(years)).keys())
        else:
            try:
                days.add(date.fromisoformat(part))
            except ValueError:
                raise ValueError(f"{part!r} is not a holiday spec: use US or YYYY-MM-DD") from None
    return frozenset(days)
