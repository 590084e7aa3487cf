"""Intent classification: dialogue replies first, then the speaker's ordered rule list.

Each rule's confidence is its rough reliability; fallbacks (out_of_scope, a customer's bare date)
report low confidence so dialogue code can ask again.
"""

from __future__ import annotations

import re

from .dates import names_a_date
from .normalize import Utterance
from .replies import classify_reply, is_help, is_repeat, transfer_target
from .rules_customer import CUSTOMER, CUSTOMER_AFTER_REPLY
from .rules_personal import PERSONAL, Rule
from .times import find_times


def _first(rules: list[Rule], text: str) -> tuple[str, float] | None:
    for intent, pattern, confidence, guard in rules:
        if pattern.search(text) and (guard is None or guard(text)):
            return intent, confidence
    return None


def classify(u: Utterance, agent: str) -> tuple[str, float]:
    """(intent, confidence) for one normalised utterance from the given speaker."""
    text = u.text
    if not text:
        return "out_of_scope", 0.3
    if agent == "customer":
        found = _first(CUSTOMER, text)
        if found:
            return found
    reply = classify_reply(u.tokens)
    if reply:
        return reply, 0.95
    if transfer_target(text):
        return "transfer", 0.9
    if is_repeat(text):
        return "repeat", 0.9
    if re.search(r"^(?:help|help me|i need help|need help|help please)$", text):
        return "help", 0.9
    found = _first(CUSTOMER_AFTER_REPLY if agent == "customer" else PERSONAL, text)
    if found:
        return found
    if is_help(text):
        return "help", 0.85
    if agent == "customer" and (find_times(text) or names_a_date(text)):
        return "reschedule_appointment", 0.5  # a customer naming a day or time is proposing a slot
    return "out_of_scope", 0.5
