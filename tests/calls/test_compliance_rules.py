"""The calling rules themselves (pure): hours in the callee's zone across time zones and DST, holidays, the
business's window, unknown zones, lists and consent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hero365.calls.compliance import US_ZONES, CallFacts, Reason, Window, decide, holiday_days, time_refusal

ALWAYS = Window(0, 24)
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                       timezones=st.just(UTC))
zones = st.sampled_from(US_ZONES)


def facts(zone: str | None, **kw: object) -> CallFacts:
    base = dict(number="+15125550100", marketing=False, zones=(zone,) if zone else (), business_zone="UTC",
                business_window=ALWAYS, relationship=True)
    return CallFacts(**{**base, **kw})  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(at=moments, zone=zones)
def test_a_call_is_allowed_exactly_between_8_and_21_in_the_callees_zone(at: datetime, zone: str) -> None:
    local = at.astimezone(ZoneInfo(zone))
    decision = decide(facts(zone), at)
    assert decision.allowed == (8 <= local.hour < 21), (local, decision)
    if not decision.allowed:
        assert decision.reason == Reason.OUTSIDE_CALLING_HOURS


@settings(max_examples=200, deadline=None)
@given(at=moments, zone=zones, start=st.integers(6, 12), length=st.integers(1, 10))
def test_the_next_allowed_time_is_allowed_and_nothing_earlier_is(at: datetime, zone: str, start: int,
                                                                  length: int) -> None:
    f = facts(zone, business_zone="America/Chicago", business_window=Window(start, min(24, start + length),
                                                                           frozenset({0, 1, 2, 3, 4})))
    decision = decide(f, at)
    if decision.allowed:
        return
    nxt = decision.next_allowed_at
    if decision.reason == Reason.NEVER_ALLOWED:  # e.g. a 6-7 am Chicago window is 7-8 am in New York
        assert nxt is None
        assert all(time_refusal(f, at + timedelta(minutes=15 * i)) for i in range(4 * 24 * 14))
        return
    assert nxt is not None and nxt > at
    assert time_refusal(f, nxt) is None
    step = (nxt - at) / 40  # nothing allowed in between (sampled finely, and one minute before)
    for i in range(40):
        assert time_refusal(f, at + step * i) is not None
    assert time_refusal(f, nxt - timedelta(minutes=1)) is not None


def test_dst_days_use_the_local_clock() -> None:
    chicago = ZoneInfo("America/Chicago")
    for day in (date(2026, 3, 8), date(2026, 11, 1)):  # spring forward, fall back
        eight = datetime(day.year, day.month, day.day, 8, 0, tzinfo=chicago)
        assert decide(facts("America/Chicago"), eight).allowed
        refused = decide(facts("America/Chicago"), eight - timedelta(minutes=1))
        assert not refused.allowed and refused.next_allowed_at == eight.astimezone(UTC)


def test_an_unknown_zone_is_called_only_when_every_us_zone_is_in_hours() -> None:
    winter_noon_ny = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)  # 12:00 New York, 07:00 Honolulu
    refused = decide(facts(None), winter_noon_ny)
    assert not refused.allowed and "Honolulu" in refused.detail
    assert refused.next_allowed_at == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 08:00 Honolulu = 13:00 NY
    assert decide(facts(None), datetime(2026, 12, 2, 19, 0, tzinfo=UTC)).allowed
    assert not decide(facts(None), datetime(2026, 12, 3, 2, 30, tzinfo=UTC)).allowed  # 21:30 NY


def test_federal_holidays_refuse_and_point_to_the_next_day() -> None:
    days = holiday_days("US", [2026])
    assert date(2026, 11, 26) in days and date(2026, 7, 3) in days  # Thanksgiving; July 4th observed
    thanksgiving_noon = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("America/Chicago"))
    decision = decide(facts("America/Chicago", holidays=days), thanksgiving_noon)
    assert decision.reason == Reason.HOLIDAY
    assert decision.next_allowed_at == datetime(2026, 11, 27, 8, 0, tzinfo=ZoneInfo("America/Chicago"))
    assert holiday_days("2026-12-24, 2026-12-31", []) == {date(2026, 12, 24), date(2026, 12, 31)}
    assert holiday_days("none", [2026]) == frozenset()


def test_the_business_window_and_the_campaign_hours_narrow_the_legal_ones() -> None:
    chicago = ZoneInfo("America/Chicago")
    saturday_ten = datetime(2026, 11, 28, 10, 0, tzinfo=chicago)
    weekdays = Window(9, 17, frozenset(range(5)))
    d = decide(facts("America/Chicago", business_zone="America/Chicago", business_window=weekdays), saturday_ten)
    assert d.reason == Reason.OUTSIDE_BUSINESS_HOURS
    assert d.next_allowed_at == datetime(2026, 11, 30, 9, 0, tzinfo=chicago)
    d = decide(facts("America/Chicago", campaign_window=Window(12, 14)), saturday_ten)
    assert d.reason == Reason.OUTSIDE_CALLING_HOURS and d.next_allowed_at == saturday_ten.replace(hour=12)


def test_lists_and_consent_refuse_for_good() -> None:
    at = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    cases = {
        Reason.BUSINESS_DNC: facts("America/Chicago", on_business_dnc=True),
        Reason.NATIONAL_DNC: facts("America/Chicago", on_national_dnc=True),
        Reason.OPTED_OUT: facts("America/Chicago", opted_out=True),
        Reason.NO_WRITTEN_CONSENT: facts("America/Chicago", marketing=True),
        Reason.NO_RELATIONSHIP: facts("America/Chicago", relationship=False),
        Reason.INVALID_NUMBER: facts("America/Chicago", number="sip:someone@example"),
    }
    for reason, f in cases.items():
        d = decide(f, at)
        assert not d.allowed and d.reason == reason and d.reason.permanent and d.next_allowed_at is None
    assert decide(facts("America/Chicago", marketing=True, written_consent=True), at).allowed
