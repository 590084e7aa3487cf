"""Which slots each intent takes, and how each is read (the INTENTS.md table as code)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .entities import name_at
from .freetext import business, contact_note, days, note_after, product, service, status, target
from .slots import Extractor

Slots = dict[str, Any]

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


def _when(x: Extractor, slots: Slots) -> None:
    slots["date"] = x.date()
    slots["time"] = x.time()


def _schedule(x: Extractor, s: Slots) -> None:
    s["date"] = x.date() or x.now.date().isoformat()


def _create_job(x: Extractor, s: Slots) -> None:
    found = x.customer(create=True)
    s["customer"] = found.value if found else None
    _when(x, s)
    s["duration_minutes"] = x.durations[0][2] if x.durations else None
    removed = x.claimed(*([(found.start, found.end)] if found else [])) | _prefix_span(_CREATE_JOB, x)
    s["title"] = x.leftover(removed)


def _create_estimate(x: Extractor, s: Slots) -> None:
    found = x.customer(create=True)
    s["customer"] = found.value if found else None
    spans = [(found.start, found.end)] if found else []
    amount = x.amount(extra={k for a, b in spans for k in range(a, b)})
    if amount:
        s["amount"] = amount[0]
        spans.append(amount[1:])
    s["title"] = x.leftover(x.claimed(*spans) | _prefix_span(_CREATE_EST, x))


def _create_invoice(x: Extractor, s: Slots) -> None:
    _ref(x, s, "job", create=True)
    amount = x.amount()
    s["amount"] = amount[0] if amount else None


def _record_payment(x: Extractor, s: Slots) -> None:
    _ref(x, s, "invoice")
    amount = x.amount()
    s["amount"] = amount[0] if amount else None


_THE_JOB = re.compile(r"\b(?:to|on|for|under) (?:it|(?:this|that|the) job|this|that)\b")


def _job_note(x: Extractor, s: Slots) -> None:
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


def _job_status(x: Extractor, s: Slots) -> None:
    if "job" in x.ids or not _MARK_IT.search(x.u.text):  # "mark it done": the job in focus, no customer
        _ref(x, s, "job")
    s["status"] = status(x)


def _milestone(x: Extractor, s: Slots) -> None:
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


def _progress(x: Extractor, s: Slots) -> None:
    _ref(x, s, "project")
    s["percent"] = x.percent()


def _contact(x: Extractor, s: Slots) -> None:
    m = _CONTACT.search(x.u.text)
    found = name_at(x.u, x.u.token_index(m.end() + 1), soft=False) if m and m.end() < len(x.u.text) else None
    found = found or x.customer(contact=True)
    s["customer"] = found.value if found else None
    s["phone"] = x.phone[0] if x.phone else None


def _contact_note(x: Extractor, s: Slots) -> None:
    found, note = contact_note(x)
    s["customer"] = found.value if found else None
    s["note"] = note


def _follow_up(x: Extractor, s: Slots) -> None:
    found = x.customer()
    s["customer"] = found.value if found else None
    _when(x, s)


def _reminder(x: Extractor, s: Slots) -> None:
    _when(x, s)
    s["note"] = x.leftover(x.claimed() | _prefix_span(_REMINDER, x))


def _stock(x: Extractor, s: Slots, reorder: bool) -> None:
    s["product"], quantity = product(x, reorder)
    if reorder:
        s["quantity"] = quantity


def _weather(x: Extractor, s: Slots) -> None:
    _ref(x, s, "job")
    s["date"] = x.date()


def _price_promise(x: Extractor, s: Slots) -> None:
    amount = x.amount()
    s["amount"] = amount[0] if amount else None
    s["date"] = x.date()


#: "i'd like to leave some feedback" announces feedback; it isn't the feedback itself.
_FEEDBACK_ASK = re.compile(
    r"^(?:(?:i|we|just|would|want|wanted|like|to|leave|give|share|make|have|got|you|some|a|an|quick|little|bit"
    r"|of|my|our|can|could|please) )*(?:feedback|review|comments?)$"
)


def _feedback(x: Extractor, s: Slots) -> None:
    rating = x.rating()
    if rating:
        s["rating"] = rating[0]
        s["note"] = x.leftover(set(range(rating[2])))
    else:
        s["note"] = x.leftover(set())
    if s["note"] and _FEEDBACK_ASK.match(s["note"]):
        s["note"] = None


FILLERS: dict[str, Callable[[Extractor, Slots], None]] = {
    "get_schedule": _schedule,
    "list_upcoming_jobs": lambda x, s: s.update(days=days(x)),
    "get_job_details": lambda x, s: _ref(x, s, "job"),
    "create_job": _create_job,
    "update_job_status": _job_status,
    "reschedule_job": lambda x, s: (_ref(x, s, "job"), _when(x, s)),
    "add_job_note": _job_note,
    "get_project_status": lambda x, s: _ref(x, s, "project"),
    "update_project_progress": _progress,
    "create_project_milestone": _milestone,
    "create_invoice": _create_invoice,
    "get_invoice_status": lambda x, s: _ref(x, s, "invoice"),
    "send_invoice_reminder": lambda x, s: _ref(x, s, "invoice"),
    "record_payment": _record_payment,
    "create_estimate": _create_estimate,
    "send_estimate": lambda x, s: _ref(x, s, "estimate"),
    "convert_estimate_to_invoice": lambda x, s: _ref(x, s, "estimate"),
    "get_contact_info": lambda x, s: _ref(x, s, "contact"),
    "create_contact": _contact,
    "add_contact_note": _contact_note,
    "schedule_follow_up": _follow_up,
    "check_inventory": lambda x, s: _stock(x, s, reorder=False),
    "reorder_product": lambda x, s: _stock(x, s, reorder=True),
    "set_reminder": _reminder,
    "get_directions": lambda x, s: _ref(x, s, "job"),
    "get_weather": _weather,
    "switch_business": lambda x, s: s.update(business=business(x)),
    "reschedule_appointment": _when,
    "book_consultation": lambda x, s: (_when(x, s), s.update(service=service(x))),
    "ask_price": lambda x, s: s.update(service=service(x)),
    "payment_promise": _price_promise,
    "give_feedback": _feedback,
    "call_back_later": _when,
    "transfer": lambda x, s: s.update(target=target(x)),
}


def fill(intent: str, x: Extractor) -> Slots:
    """The slots of intent read from x, without empty values."""
    slots: Slots = {}
    filler = FILLERS.get(intent)
    if filler is not None:
        filler(x, slots)
    return {k: v for k, v in slots.items() if v is not None and v != ""}
