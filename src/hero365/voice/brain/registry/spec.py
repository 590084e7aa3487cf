"""What one intent is: the single definition every other part of the brain derives from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from ..nlu.frames import Filler

Speaker = Literal["personal", "customer"]
BOTH: tuple[Speaker, ...] = ("personal", "customer")


#: The slots a template placeholder fills; a placeholder not listed fills the slot of its own name.
PLACEHOLDER_SLOTS: dict[str, tuple[str, ...]] = {
    "jobref": ("job", "customer"), "invref": ("invoice", "customer"), "estref": ("estimate", "customer"),
    "projref": ("project", "customer"), "when": ("date", "time"), "duration": ("duration_minutes",),
    "milestone": ("title",), "reminder": ("note",), "comment": ("note",), "firstname": (), "lastname": (),
}
_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")


@dataclass(frozen=True)
class Ask:
    """A required slot and the question that asks for it.

    `slot` names alternatives: "job|customer|@job" is satisfied by a job number, a customer, or the job the
    conversation is about; "when" by a date or a time."""

    slot: str
    question: str


@dataclass(frozen=True)
class Intent:
    """One thing a speaker can ask for.

    templates: phrasings with `(a|b)` alternatives, `[optional]` words and `{slot}` values; they generate the
    model's training data and the speech recogniser's corpus. gloss: what the intent does, short enough to
    offer as one side of a clarifying question ("move a job"). help: a phrase for the help line, or None to
    leave it out. tool: the tool it calls (None: the dialogue answers it). contract: its name in
    shared/nlu/INTENTS.md where that differs (a customer's "what do I owe" is get_invoice_status there)."""

    name: str
    speakers: tuple[Speaker, ...]
    gloss: str
    templates: tuple[str, ...]
    tool: str | None = None
    asks: tuple[Ask, ...] = ()
    help: str | None = None
    contract: str | None = None
    #: Reads the intent's slots from the words (nlu/frames.py); None: it has none.
    fill: Filler | None = None
    #: Never ignored: when it is a close second the agent asks about it rather than act on the first.
    protected: bool = False
    #: Deterministic cues (regular expressions over the normalised words) that make this intent certain.
    #: Only for protected intents, whose miss costs more than a question: an opt-out said any way is honoured.
    cues: tuple[str, ...] = ()
    #: For a protected intent: the yes/no question that checks it ("Do you want us to stop calling you?").
    check: str | None = None
    #: What a spoken command of this intent is useless without (each group needs one of its slots): until then
    #: the speaker is still talking, and the end of turn waits ("move the garcia job to ..." is followed by when).
    needs: tuple[tuple[str, ...], ...] = ()
    #: Candidate intents share a gloss's first word; `reads` marks the ones that change nothing.
    reads: bool = False

    @property
    def scored_as(self) -> str:
        return self.contract or self.name

    @cached_property
    def cue(self) -> re.Pattern[str] | None:
        return re.compile("|".join(f"(?:{c})" for c in self.cues)) if self.cues else None

    @cached_property
    def slots(self) -> frozenset[str]:
        """The slots its phrasings can carry (from the templates' placeholders)."""
        found = {p for t in self.templates for p in _PLACEHOLDER.findall(t)}
        return frozenset(s for p in found for s in PLACEHOLDER_SLOTS.get(p, (p,)))
