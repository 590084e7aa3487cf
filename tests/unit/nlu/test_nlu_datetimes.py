"""Dates and times resolved against the eval moment, Monday 2026-11-23 08:00."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hero365.voice.brain.nlu import parse_date, parse_duration_minutes, parse_time

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday", date(2026, 11, 27)),
        ("next monday", date(2026, 11, 30)),
        ("monday", date(2026, 11, 30)),
        ("this monday", date(2026, 11, 23)),
        ("next tuesday", date(2026, 12, 1)),
        ("next week monday", date(2026, 11, 30)),
        ("tomorrow", date(2026, 11, 24)),
        ("today", date(2026, 11, 23)),
        ("the day after tomorrow", date(2026, 11, 25)),
        ("the first of december", date(2026, 12, 1)),
        ("december 3rd", date(2026, 12, 3)),
        ("December the third", date(2026, 12, 3)),
        ("dec 4", date(2026, 12, 4)),
        ("on the 5th", date(2026, 12, 5)),
        ("in two weeks", date(2026, 12, 7)),
        ("a week from today", date(2026, 11, 30)),
        ("january second", date(2027, 1, 2)),
        ("end of the week", date(2026, 11, 27)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text, NOW) == expected


@pytest.mark.parametrize("text", ["may i help", "next week", "sometime soon", ""])
def test_no_date(text):
    assert parse_date(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 3", time(15, 0)),
        ("at 10", time(10, 0)),
        ("at 7", time(7, 0)),
        ("at twelve", time(12, 0)),
        ("half past ten", time(10, 30)),
        ("nine thirty", time(9, 30)),
        ("noon", time(12, 0)),
        ("eight a m", time(8, 0)),
        ("8 a.m.", time(8, 0)),
        ("quarter to five", time(16, 45)),
        ("quarter past two", time(14, 15)),
        ("3:30", time(15, 30)),
        ("tomorrow afternoon at three", time(15, 0)),
        ("thursday morning at nine", time(9, 0)),
        ("at three thirty pm", time(15, 30)),
        ("seven at night", time(19, 0)),
        ("call me back after 5", time(17, 0)),
        ("ten oclock", time(10, 0)),
        ("12 am", time(0, 0)),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected


def test_job_numbers_are_not_times():
    assert parse_time("move job two to thursday") is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("two hours", 120),
        ("90 minutes", 90),
        ("an hour and a half", 90),
        ("half an hour", 30),
        ("1.5 hours", 90),
        ("two and a half hours", 150),
        ("an hour", 60),
        ("a couple hours", 120),
        ("45 min", 45),
        ("one hour and fifteen minutes", 75),
    ],
)
def test_durations(text, minutes):
    assert parse_duration_minutes(text) == minutes


@pytest.mark.parametrize("text", ["for the 31st", "on the 30th", "february 29", "the twenty ninth of february"])
def test_whether_a_date_is_named_does_not_depend_on_today(text: str) -> None:
    """The classifier asks "is a date named?" (a customer proposing a day; "what about the 30th"): in February,
    or in a year without a 29 February, the answer must not change."""
    from hero365.voice.brain.nlu.dates import names_a_date
    from hero365.voice.brain.nlu.normalize import normalize

    assert names_a_date(normalize(text).text)


def test_a_day_of_the_month_is_a_schedule_question_in_february_too() -> None:
    from hero365.voice.brain.understand import reading as parse

    feb = datetime(2027, 2, 10, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
    asked = parse("anything on the 30th", "personal", feb)
    assert (asked.intent, asked.slots) == ("get_schedule", {"date": "2027-03-30"})  # the next 30th, not today
    assert parse("could you come on the 31st", "customer", feb).intent == "reschedule_appointment"
    assert parse_date("on the 31st", datetime(2027, 4, 20, tzinfo=ZoneInfo("America/Chicago"))) == date(2027, 5, 31)
    assert parse_date("on the 29th", datetime(2027, 1, 30, tzinfo=ZoneInfo("America/Chicago"))) == date(2027, 3, 29)
