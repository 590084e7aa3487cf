"""Semantic end of turn: is what the user said so far a whole command, or are they still going?

A fixed silence long enough not to cut "invoice the ... Garcia job" in half (0.5-1 s) is paid on every
turn. Instead the turn ends after a short pause (~0.15 s) when the words heard so far already parse as a
complete, in-domain command ("which invoices are overdue", "mark job 212 as complete"), and waits longer
when they don't: a command missing what it needs ("tell me about job", "reschedule the Chen job"), a
sentence ending on a word that can't end one ("invoice the"), or a lone "stop"/"wait" that usually leads
into the real request. Free text (a note being dictated) gets a middle wait: people pause while they think.
LiveKit's turn-detector model makes the same call from a language model; ours comes from the brain's own
parser and the intent contract (shared/nlu/INTENTS.md), so it costs microseconds.
"""

from __future__ import annotations

import re
from enum import Enum

from ...brain.registry import INTENTS
from ...brain.understand import Understanding

#: Words a sentence does not end on: articles, prepositions, conjunctions, "saying", a possessive "my".
DANGLING = frozenset({
    "the", "a", "an", "to", "for", "at", "on", "in", "of", "and", "with", "about", "my", "is", "are", "as",
    "from", "by", "his", "her", "their", "our", "your", "um", "uh", "but", "or", "saying", "than", "into",
    "onto", "what's", "whats", "which",
})
#: Said alone, these open a request rather than make one (a barge-in "stop." is followed by what to do).
OPENERS = frozenset({"stop", "wait", "hold on", "hang on", "um", "uh", "so", "and", "okay so", "well", "hey",
                     "actually", "one more thing", "also",
                     # a question's first word parses as "what?" (repeat) or nothing: the question follows
                     "what", "how", "when", "where", "why", "who", "can", "could", "would", "will", "is", "are",
                     "do", "does", "did", "i", "we", "can we", "can you", "could you", "i need", "i want",
                     "i'd like", "is it", "so what"})
#: What each intent needs before it is a whole command (the registry says, per intent).
NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {i.name: i.needs for i in INTENTS if i.needs}
#: "job number ..." promises a job's number: without one the command is not whole ("cancel job number call": the
#: number was missed, or is still to come).
_NUMBERED = re.compile(r"\b(job|invoice|estimate|project) number\b")
#: Slots of dictated free text: the speaker may pause mid-thought and go on.
FREE_TEXT = ("note", "title")


class Completeness(Enum):
    COMPLETE = "complete"  # a whole command: end the turn after a short pause
    DICTATING = "dictating"  # whole, but the last thing said is free text: a middle pause
    INCOMPLETE = "incomplete"  # something is missing: wait longer for the rest


def completeness(text: str, parsed: Understanding | None) -> Completeness:
    """How finished `text` (lower-case words, as a recogniser writes them) is, given its parse."""
    words = " ".join(text.lower().replace("?", " ").replace(".", " ").replace(",", " ").split())
    if not words or words in OPENERS or words.split()[-1] in DANGLING:
        return Completeness.INCOMPLETE
    if parsed is None or parsed.intent == "out_of_scope":
        return Completeness.INCOMPLETE
    for group in NEEDS.get(parsed.intent, ()):
        if not any(parsed.slots.get(slot) not in (None, "", []) for slot in group):
            return Completeness.INCOMPLETE
    if any(parsed.slots.get(m.group(1)) in (None, "") for m in _NUMBERED.finditer(words)):
        return Completeness.INCOMPLETE
    last = words.split()[-1]
    for slot in FREE_TEXT:
        value = str(parsed.slots.get(slot) or "")
        if value and value.split() and value.split()[-1] == last:
            return Completeness.DICTATING
    return Completeness.COMPLETE
