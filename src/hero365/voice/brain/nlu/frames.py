"""How each intent's slots are read from an utterance (the registry names the reader of each intent)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .entities import name_at
from .freetext import business, days, note_after, product, service, status, target
from .freetext import contact_note as _read_contact_note
from .slots import Extractor

Slots = dict[str, Any]
Filler = Callable[["Extractor", Slots], None]

_CREATE_JOB = re.compile(
    r"^(?:.*? )?(?:create|add|make|schedule|book|set up|setup|open|put in|enter|log|start|new"
    r"|another)(?: (?:me|up|in|a|an|another|new|job|jobs|work order|appointment|visit))*\b"
)
_CREATE_EST = re.compile(r"^(?:.*? )?(?:estimates?|quotes?|bids?|proposals?)\b")
_MILESTONE = re.compile(r"^(?:.*? )?milestones?\b")
#: "... called final inspection": the title follows its cue, whatever came before it ("the henderson project").
_TITLED = re.compile(r"^(?:.*? )?milestones?\b.*? (?:called|named|titled)\b")
_REMINDER = re.compile(
    r"^(?:.*? )?(?:remind me|set (?:a|an|me a|up a) reminder|(?:add|create|make|put in) (?:a )?"
    r"reminder|reminder|do not let me forget|make sure i remember|remember)(?: (?:to|that|about"
    r"|for|of))?\b"
)
_CONTACT = re.compile(r"^(?:.*? )?(?:contacts?|customers?|clients?|leads?)(?: (?:named|called|is))?\b")


def _prefix_span(pattern: re.Pattern[str], x: Extractor) -> set[int]:
    m = pattern.search(x.u.text)
    return set(range(x.u.token_index(m.end()) + 1)) if m and m.end() else set()


def _ref(x: Extractor, slots: Slots, kind: str, **kw: bool) -> None:
    if kind in x.ids:
        slots[kind] = x.ids[kind][0]
    else:
        found = x.customer(**kw)
        slots["customer"] = found.value if found else None


def _when(x: Extractor, slots: Slots, last: bool = False) -> None:
    """The date and time said; `last`: the one a move is to ("can't do today, bump it to tomorrow")."""
    slots["date"] = x.date(last=last)
    slots["time"] = x.time()


def _schedule(x: Extractor, s: Slots) -> None:
    s["date"] = x.date() or x.now.date().isoformat()


def create_job(x: Extractor, s: Slots) -> None:
    found = x.customer(create=True)
    s["customer"] = found.value if found else None
    _when(x, s)
    s["duration_minutes"] = x.durations[0][2] if x.durations else None
    removed = x.claimed(*([(found.start, found.end)] if found else [])) | _prefix_span(_CREATE_JOB, x)
    s["title"] = x.leftover(removed)


def create_estimate(x: Extractor, s: Slots) -> None:
    found = x.customer(create=True)
    s["customer"] = found.value if found else None
    spans = [(found.start, found.end)] if found else []
    amount = x.amount(extra={k for a, b in spans for k in range(a, b)})
    if amount:
        s["amount"] = amount[0]
        spans.append(amount[1:])
    s["title"] = x.leftover(x.claimed(*spans) | _prefix_span(_CREATE_EST, x))


def create_invoice(x: Extractor, s: Slots) -> None:
    _ref(x, s, "job", create=True)
    amount = x.amount()
    s["amount"] = amount[0] if amount else None


def record_payment(x: Extractor, s: Slots) -> None:
    _ref(x, s, "invoice")
    amount = x.amount()
    s["amount"] = amount[0] if amount else None


_THE_JOB = re.compile(r"\b(?:to|on|for|under) (?:it|(?:this|that|the) job|this|that)\b")


def job_note(x: Extractor, s: Slots) -> None:
    pronoun = _THE_JOB.search(x.u.text)
    if "job" in x.ids:
        s["job"], end = x.ids["job"][0], x.ids["job"][2]
    elif pronoun:  # "add a note to it: ..." is about the job in focus; no job or customer slot
        end = x.u.token_index(pronoun.end() - 1) + 1
    else:
        found = x.customer()
        s["customer"], end = (found.value, found.end) if found else (None, 0)
        while end and end < len(x.t) and x.t[end] in ("job", "jobs", "ticket", "place", "house"):
            end += 1  # "the johnson job needs a new anode rod": the note starts after the job noun
    s["note"] = note_after(x, end) if end else None
    if not s["note"]:
        s["note"] = x.leftover(x.claimed() | _prefix_span(re.compile(r"^(?:.*? )?notes?\b"), x))


_MARK_IT = re.compile(r"^(?:.*? )?(?:mark|set|put|move|make|change|update|switch) (?:it|that|this)\b(?! job)")


def job_status(x: Extractor, s: Slots) -> None:
    if "job" in x.ids or not _MARK_IT.search(x.u.text):  # "mark it done": the job in focus, no customer
        _ref(x, s, "job")
    s["status"] = status(x)


def milestone(x: Extractor, s: Slots) -> None:
    spans = []
    if "project" in x.ids:
        s["project"] = x.ids["project"][0]
    else:
        found = x.customer()
        if found:
            s["customer"] = found.value
            spans.append((found.start, found.end))
    s["date"] = x.date()
    s["title"] = x.leftover(x.claimed(*spans) | _prefix_span(_MILESTONE, x) | _prefix_span(_TITLED, x))


def progress(x: Extractor, s: Slots) -> None:
    _ref(x, s, "project")
    s["percent"] = x.percent()


def create_contact(x: Extractor, s: Slots) -> None:
    m = _CONTACT.search(x.u.text)
    found = name_at(x.u, x.u.token_index(m.end() + 1), soft=False) if m and m.end() < len(x.u.text) else None
    found = found or x.customer(contact=True)
    s["customer"] = found.value if found else None
    s["phone"] = x.phone[0] if x.phone else None


def contact_note(x: Extractor, s: Slots) -> None:
    found, note = _read_contact_note(x)
    s["customer"] = found.value if found else None
    s["note"] = note


def follow_up(x: Extractor, s: Slots) -> None:
    found = x.customer()
    s["customer"] = found.value if found else None
    _when(x, s)


def reminder(x: Extractor, s: Slots) -> None:
    _when(x, s)
    s["note"] = x.leftover(x.claimed() | _prefix_span(_REMINDER, x))


def _stock(x: Extractor, s: Slots, reorder: bool) -> None:
    s["product"], quantity = product(x, reorder)
    if reorder:
        s["quantity"] = quantity


def weather(x: Extractor, s: Slots) -> None:
    _ref(x, s, "job")
    s["date"] = x.date()


def payment_promise(x: Extractor, s: Slots) -> None:
    amount = x.amount()
    s["amount"] = amount[0] if amount else None
    s["date"] = x.date()


#: "i'd like to leave some feedback" announces feedback; it isn't the feedback itself.
_FEEDBACK_ASK = re.compile(
    r"^(?:(?:i|we|just|would|want|wanted|like|to|leave|give|share|make|have|got|you|some|a|an|quick|little|bit"
    r"|of|my|our|can|could|please) )*(?:feedback|review|comments?)$"
)


def feedback(x: Extractor, s: Slots) -> None:
    rating = x.rating()
    if rating:
        s["rating"] = rating[0]
        s["note"] = x.leftover(set(range(rating[2])))
    else:
        s["note"] = x.leftover(set())
    if s["note"] and _FEEDBACK_ASK.match(s["note"]):
        s["note"] = None


#: The next (or first) job only: "what's next", "my next appointment", "where's my first stop tomorrow".
_NEXT_ONLY = re.compile(r"\bwhat is next\b|\b(?:next|first) (?:job|appointment|stop|call)\b")
#: A contact question about one detail: "what's Karen's number", "how do I reach ...", "where does Bob live".
_CONTACT_DETAIL = {"phone": re.compile(r"\b(?:phone|number|cell|reach|call (?:him|her|them)|get (?:a )?hold of)\b"),
                   "address": re.compile(r"\b(?:address|where (?:does|do|is)\b.*\b(?:live|located|based)|live)\b")}


def schedule(x: Extractor, s: Slots) -> None:
    _schedule(x, s)
    if _NEXT_ONLY.search(x.u.text):  # one job, not the day's list
        s["next_only"] = True


def contact_info(x: Extractor, s: Slots) -> None:
    _ref(x, s, "contact")
    asked = [d for d, pattern in _CONTACT_DETAIL.items() if pattern.search(x.u.text)]
    if len(asked) == 1:  # "what's her number": that, not the whole card
        s["detail"] = asked[0]


def reference(kind: str) -> Filler:
    """A job, invoice, estimate or project by number, else the customer it is for."""
    return lambda x, s: _ref(x, s, kind)


def upcoming(x: Extractor, s: Slots) -> None:
    s["days"] = days(x)


def reschedule(x: Extractor, s: Slots) -> None:
    _ref(x, s, "job")
    _when(x, s, last=True)


def when(x: Extractor, s: Slots) -> None:
    _when(x, s, last=True)


def consultation(x: Extractor, s: Slots) -> None:
    _when(x, s)
    s["service"] = service(x)


def price(x: Extractor, s: Slots) -> None:
    s["service"] = service(x)


def stock(x: Extractor, s: Slots) -> None:
    _stock(x, s, reorder=False)


def reorder(x: Extractor, s: Slots) -> None:
    _stock(x, s, reorder=True)


def switch(x: Extractor, s: Slots) -> None:
    s["business"] = business(x)


def transfer_to(x: Extractor, s: Slots) -> None:
    s["target"] = target(x)


def fill(filler: Filler | None, x: Extractor) -> Slots:
    """The slots a filler reads from x, without empty values."""
    slots: Slots = {}
    if filler is not None:
        filler(x, slots)
    return {k: v for k, v in slots.items() if v is not None and v != ""}
