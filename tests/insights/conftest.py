"""A seeded week of conversations for the analytics tests (hand-picked numbers; the expectations in the tests
are worked out by hand from this table, not by running the code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hero365.erp.services import businesses
from hero365.insights.crypto import attach
from hero365.insights.model import Conversation, ConversationEvent, ConversationTurn

CHI = ZoneInfo("America/Chicago")

# (key, agent, channel, purpose, local start (Nov 2026 day, hour, minute), duration s, resolved, outcome,
#  tool calls, tool errors, turns: [(intent, action, failed, response_ms, v2v_ms, what the user said)])
SEED: list[tuple[Any, ...]] = [
    ("C1", "personal", "text", None, (23, 9, 0), 60, True, "create_job", 2, 0, [
        ("create_job", None, False, 100, None, "new job for Mary Smith tomorrow at 9"),
        ("confirm", "create_job", False, 200, None, "yes"),
        ("get_schedule", None, False, 300, None, "what's next today")]),
    ("C2", "support", "phone", "appointment_reminder", (23, 10, 0), 120, True, "reschedule_appointment", 2, 0, [
        ("reschedule_appointment", None, False, 400, 900, "can we move it to thursday at ten"),
        ("confirm", "reschedule_appointment", False, 500, 1100, "yes")]),
    ("C3", "support", "phone", "payment_reminder", (24, 11, 0), 90, False, "transferred", 1, 1, [
        ("out_of_scope", None, True, 600, 1500, "my card is 4111 1111 1111 1111, call me on 512-555-0100"),
        ("get_invoice_status", None, True, 700, 2500, "email the bill to bob@johnson.test")]),
    ("C4", "receptionist", "phone", "inbound", (25, 16, 0), 30, True, "book_consultation", 1, 0, [
        ("book_consultation", "book_consultation", False, 800, 1300, "I'd like someone to look at my boiler")]),
    ("C5", "sales", "phone", "estimate_follow_up", (25, 17, 30), 45, True, "opt_out", 1, 0, [
        ("opt_out", None, False, 250, None, "please stop calling me")]),
    ("C6", "support", "phone", "payment_reminder", (26, 12, 0), 50, True, "payment_promise", 1, 0, [
        ("payment_promise", "payment_promise", False, 350, 1000, "I'll pay on friday")]),
    # Sunday 23:30 in Chicago is already Monday in UTC: last week for the business, not this one
    ("C7", "personal", "text", None, (22, 23, 30), 10, True, "completed", 0, 0, [
        ("get_schedule", None, False, 5000, None, "what's on tomorrow")]),
    # still open (no end, no outcome yet): counted, with no duration
    ("C9", "personal", "web", None, (27, 8, 0), None, None, None, 0, 0, []),
]


@dataclass
class Seeded:
    business_id: int
    other_business_id: int
    sessions: dict[str, str]


async def _add(store: Any, business_id: int, key: str, spec: tuple[Any, ...]) -> str:
    _, agent, channel, purpose, (day, hour, minute), duration, resolved, outcome, calls, errors, turns = spec
    started = datetime(2026, 11, day, hour, minute, tzinfo=CHI).astimezone(UTC)
    session_id = f"{key.lower()}-{business_id}"
    async with store.uow(business_id) as uow:
        conv = Conversation(business_id=business_id, session_id=session_id, agent=agent, channel=channel,
                            started_at=started, purpose=purpose, turns=len(turns), tool_calls=calls,
                            tool_errors=errors, outcome=outcome, resolved=resolved, duration_s=duration,
                            ended_at=started + timedelta(seconds=duration) if duration is not None else None,
                            recording_ref=f"file:///recordings/{session_id}.wav" if channel == "phone" else None)
        uow.session.add(conv)
        await uow.flush()
        seq = 0
        for n, (intent, action, failed, response, v2v, said) in enumerate(turns, 1):
            seq += 1
            at = started + timedelta(seconds=5 * n)
            uow.session.add(ConversationEvent(business_id=business_id, conversation_id=conv.id, seq=seq, at=at,
                                              kind="user", text=said))
            uow.session.add(ConversationTurn(business_id=business_id, conversation_id=conv.id, seq=n, at=at,
                                             user_seq=seq, intent=intent, action=action, failed=failed,
                                             response_ms=response, v2v_ms=v2v))
            seq += 1
            uow.session.add(ConversationEvent(business_id=business_id, conversation_id=conv.id, seq=seq, at=at,
                                              kind="assistant", text=f"reply {n}", intent=intent))
    return session_id


@pytest.fixture
async def seeded(world: Any) -> Seeded:
    attach(world.store)
    sessions = {spec[0]: await _add(world.store, world.business_id, spec[0], spec) for spec in SEED}
    other, _ = await businesses.create_business(world.store, "Other Plumbing", "America/Chicago",
                                                owner_name="Otto Other", owner_email="otto@other.test")
    await _add(world.store, other.id, "C8", ("C8", "support", "phone", "payment_reminder", (24, 9, 0), 999, True,  # type: ignore[arg-type]
                                             "payment_promise", 5, 5, [("payment_promise", "payment_promise",
                                                                        True, 9999, 9999, "other business")]))
    return Seeded(business_id=world.business_id, other_business_id=other.id, sessions=sessions)  # type: ignore[arg-type]
