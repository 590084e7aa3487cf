"""A call attempt's life as a guarded state machine, and the retry policy that decides what follows it. Pure.

The states are the telephony interface's (`CallState`) plus two that never touch the line: `cancelled` (the
campaign stopped, or the number opted out while queued) and `skipped` (compliance refused it for good)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..erp.domain.errors import InvalidInput


class AttemptState(enum.StrEnum):
    QUEUED = "queued"
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"

    @property
    def final(self) -> bool:
        return self not in (AttemptState.QUEUED, AttemptState.DIALING, AttemptState.RINGING,
                            AttemptState.ANSWERED)

    @property
    def on_the_line(self) -> bool:
        """A worker holds the call (what a lease protects)."""
        return self in (AttemptState.DIALING, AttemptState.RINGING, AttemptState.ANSWERED)


S = AttemptState
_ENDINGS = {S.NO_ANSWER, S.BUSY, S.FAILED}
TRANSITIONS: dict[AttemptState, frozenset[AttemptState]] = {
    S.QUEUED: frozenset({S.DIALING, S.CANCELLED, S.SKIPPED}),
    S.DIALING: frozenset({S.RINGING, S.ANSWERED, *_ENDINGS}),
    S.RINGING: frozenset({S.ANSWERED, *_ENDINGS}),
    S.ANSWERED: frozenset({S.VOICEMAIL, S.COMPLETED, S.FAILED}),
}


class IllegalTransition(RuntimeError):
    """A jump the state machine forbids (a bug or a race lost, never user input)."""


def check_transition(current: AttemptState | str, new: AttemptState | str) -> AttemptState:
    cur, nxt = AttemptState(current), AttemptState(new)
    if nxt not in TRANSITIONS.get(cur, frozenset()):
        raise IllegalTransition(f"a call attempt cannot go from {cur.value} to {nxt.value}")
    return nxt


class Outcome(enum.StrEnum):
    """What an answered call achieved, as written to the CRM."""

    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    PROMISED_PAYMENT = "promised_payment"
    FEEDBACK = "feedback"
    NOT_INTERESTED = "not_interested"
    WRONG_NUMBER = "wrong_number"
    OPT_OUT = "opt_out"
    CALL_BACK = "call_back"
    BOOKED = "booked"
    NO_RESULT = "no_result"
    VOICEMAIL_LEFT = "voicemail_left"
    WORKER_LOST = "worker_lost"


class VoicemailPolicy(enum.StrEnum):
    LEAVE_MESSAGE = "leave_message"
    HANG_UP = "hang_up"


#: Seconds to wait before trying again after each ending; an ending absent here is not retried.
DEFAULT_BACKOFF: dict[str, int] = {"busy": 600, "no_answer": 3600, "failed": 1800, "voicemail": 86400}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_BACKOFF))

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 10:
            raise InvalidInput("A campaign makes 1 to 10 attempts per contact.")
        unknown = set(self.backoff) - {"busy", "no_answer", "failed", "voicemail"}
        if unknown:
            raise InvalidInput(f"Retry backoff is per busy, no_answer, failed or voicemail, not {sorted(unknown)}.")
        if any(not 0 <= v <= 30 * 86400 for v in self.backoff.values()):
            raise InvalidInput("A retry waits between 0 seconds and 30 days.")

    def next_try(self, ended: AttemptState, attempt_no: int, at: datetime) -> datetime | None:
        """When to try again after an attempt ended so, or None (answered calls and used-up attempts)."""
        wait = self.backoff.get(ended.value)
        if wait is None or attempt_no >= self.max_attempts:
            return None
        return at + timedelta(seconds=wait)

    def dumps(self) -> str:
        return json.dumps(self.backoff, sort_keys=True)


#: The outcome each customer tool's action means for the CRM (the tools record the change itself).
ACTION_OUTCOMES: dict[str, Outcome] = {
    "confirm_appointment": Outcome.CONFIRMED, "reschedule_appointment": Outcome.RESCHEDULED,
    "cancel_appointment": Outcome.CANCELLED, "payment_promise": Outcome.PROMISED_PAYMENT,
    "give_feedback": Outcome.FEEDBACK, "not_interested": Outcome.NOT_INTERESTED,
    "wrong_number": Outcome.WRONG_NUMBER, "opt_out": Outcome.OPT_OUT, "call_back_later": Outcome.CALL_BACK,
    "book_consultation": Outcome.BOOKED,
}
