"""Phrasings found by the end-to-end conversation tests (tests/agents/test_intents_*.py) that were misread."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hero365.voice.brain.nlu import parse_date
from hero365.voice.brain.understand import reading as parse

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.mark.parametrize(("text", "iso"), [
    ("last friday", "2026-11-20"), ("this past friday", "2026-11-20"), ("last monday", "2026-11-16"),
    ("friday", "2026-11-27"), ("next friday", "2026-12-04"),
])
def test_last_weekday_is_in_the_past(text: str, iso: str) -> None:
    found = parse_date(text, NOW)
    assert found is not None and found.isoformat() == iso


@pytest.mark.parametrize(("agent", "text", "intent", "slots"), [
    ("personal", "book a job for maria garcia last friday at ten", "create_job",
     {"customer": "maria garcia", "date": "2026-11-20", "time": "10:00"}),
    ("personal", "set project one to a hundred and twenty percent", "update_project_progress",
     {"project": 1, "percent": 120}),
    ("personal", "add a note to it the shutoff valve is seized", "add_job_note",
     {"note": "the shutoff valve is seized"}),
    ("personal", "add a note to that job the shutoff valve is seized", "add_job_note",
     {"note": "the shutoff valve is seized"}),
    ("personal", "mark it done", "update_job_status", {"status": "completed"}),
    ("personal", "put it on hold", "update_job_status", {"status": "on_hold"}),
    ("personal", "put the garcia job on hold", "update_job_status", {"customer": "garcia", "status": "on_hold"}),
    ("personal", "what's next", "get_schedule", {"date": "2026-11-23"}),
    ("customer", "what can you do", "help", {}),
    ("customer", "i want to leave some feedback", "give_feedback", {}),
    ("customer", "i'd like to give some feedback", "give_feedback", {}),
    ("customer", "i'd give you five stars the technician was great", "give_feedback",
     {"rating": 5, "note": "the technician was great"}),
])
def test_phrasing(agent: str, text: str, intent: str, slots: dict) -> None:
    p = parse(text, agent, NOW)  # type: ignore[arg-type]
    assert (p.intent, p.slots) == (intent, slots)


def test_a_job_note_by_a_known_customer_starts_after_the_job_noun() -> None:
    from hero365.voice.brain.nlu import Lexicon

    names = Lexicon(customers=frozenset({"bob johnson", "maria garcia"}))
    p = parse("add a note to the johnson job needs a new anode rod", "personal", NOW, names=names)
    assert (p.intent, p.slots) == ("add_job_note", {"customer": "johnson", "note": "needs a new anode rod"})
