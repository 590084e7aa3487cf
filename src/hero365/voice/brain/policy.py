"""The local brain's dialogue policy: from a user turn (and what came before) to a tool call or a reply.

It asks for missing required slots one at a time, fills them from short answers ("friday at three"),
takes corrections ("no, Friday") by re-proposing, maps yes/no onto confirm/cancel of the pending action,
asks which one when a name is ambiguous (never guesses), and answers help, repeat and out-of-scope itself.
It never invents a tool argument: every value comes from the user's words or the tools' own replies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process

from .nlu import Lexicon, classify_reply, parse, parse_date, parse_number, parse_status, parse_time, transfer_target
from .nlu.replies import is_help, is_repeat

#: Contract intents whose tool has another name on the customer side or in dialogue control.
INTENT_TOOL = {"confirm": "confirm_action", "deny": "cancel_action", "cancel": "cancel_action",
               "payment_promise": "payment_promise"}

#: Required slots per tool, asked in order; "a|b" means either, "when" a date or a time, "@x" the focus.
REQUIRED: dict[str, list[tuple[str, str]]] = {
    "create_job": [("customer", "Who is the job for?"), ("when", "When should I book it?")],
    "reschedule_job": [("job|customer|@job", "Which job should I move?"), ("when", "When should it move to?")],
    "update_job_status": [("job|customer|@job", "Which job?"), ("status", "What status should it have?")],
    "add_job_note": [("job|customer|@job", "Which job is the note for?"), ("note", "What should the note say?")],
    "get_job_details": [("job|customer|@job", "Which job?")],
    "get_project_status": [("project|customer|@project", "Which project?")],
    "update_project_progress": [("project|customer|@project", "Which project?"),
                                ("percent", "How far along is it, in percent?")],
    "create_project_milestone": [("project|customer|@project", "Which project?"),
                                 ("title", "What's the milestone?")],
    "create_invoice": [("job|customer|@job", "Which job or customer is the invoice for?")],
    "get_invoice_status": [("invoice|customer|@invoice", "Which invoice, or which customer?")],
    "send_invoice_reminder": [("invoice|customer|@invoice", "Which invoice or customer should I remind?")],
    "record_payment": [("invoice|customer|@invoice", "Which customer or invoice is the payment for?")],
    "create_estimate": [("customer", "Who is the estimate for?")],
    "send_estimate": [("estimate|customer|@estimate", "Which estimate should I send?")],
    "convert_estimate_to_invoice": [("estimate|customer|@estimate", "Which estimate?")],
    "get_contact_info": [("customer", "Which contact?")],
    "create_contact": [("customer", "What's their name?")],
    "add_contact_note": [("customer", "Which contact is the note about?"), ("note", "What should the note say?")],
    "schedule_follow_up": [("customer", "Who should you follow up with?"), ("when", "When should I remind you?")],
    "check_inventory": [("product", "Which product?")],
    "reorder_product": [("product", "Which product should I order?")],
    "set_reminder": [("note", "What should I remind you about?"), ("when", "When should I remind you?")],
    "get_directions": [("job|customer|@job", "Directions to which job?")],
    "switch_business": [("business", "Which business?")],
    "transfer": [("target", "Would you like sales, support, or a person?")],
    "reschedule_appointment": [("when", "What day and time would work better for you?")],
    "payment_promise": [("date", "What date can you make the payment?")],
    "give_feedback": [("rating|note", "How would you rate our work, from one to five?")],
}

#: Which slots each tool takes (tool argument names match the contract's slot names).
TOOL_ARGS: dict[str, tuple[str, ...]] = {
    "get_schedule": ("date", "next_only"), "list_upcoming_jobs": ("days",), "get_job_details": ("job", "customer"),
    "create_job": ("customer", "title", "date", "time", "duration_minutes"),
    "update_job_status": ("status", "job", "customer"), "reschedule_job": ("job", "customer", "date", "time"),
    "add_job_note": ("note", "job", "customer"), "get_project_status": ("project", "customer"),
    "update_project_progress": ("percent", "project", "customer"),
    "create_project_milestone": ("title", "project", "customer", "date"),
    "create_invoice": ("job", "customer", "amount"), "get_invoice_status": ("invoice", "customer"),
    "send_invoice_reminder": ("invoice", "customer"), "record_payment": ("invoice", "customer", "amount"),
    "list_overdue_invoices": (), "create_estimate": ("customer", "title", "amount"),
    "send_estimate": ("estimate", "customer"), "convert_estimate_to_invoice": ("estimate", "customer"),
    "list_pending_estimates": (), "get_contact_info": ("customer", "detail"), "create_contact": ("customer", "phone"),
    "add_contact_note": ("customer", "note"), "schedule_follow_up": ("customer", "date", "time"),
    "check_inventory": ("product",), "reorder_product": ("product", "quantity"),
    "set_reminder": ("note", "date", "time"), "get_directions": ("job", "customer"),
    "get_weather": ("job", "customer", "date"), "switch_business": ("business",), "transfer": ("target", "customer"),
    "confirm_appointment": (), "reschedule_appointment": ("date", "time"), "cancel_appointment": (),
    "book_consultation": ("service", "date", "time"), "ask_price": ("service",),
    "payment_promise": ("date", "amount"), "give_feedback": ("rating", "note"),
    "call_back_later": ("date", "time"), "not_interested": (), "opt_out": (), "wrong_number": (),
    "confirm_action": (), "cancel_action": (), "get_my_appointment": (), "get_my_balance": (),
}

_MY_BALANCE = re.compile(r"\b(?:how much|what) (?:do i|i) owe\b|\bmy (?:balance|bill|invoice)\b|\bwhat do i owe\b"
                         r"|\bhow much is (?:my|the) (?:bill|invoice|balance)\b|\bdid (?:you get|my payment)\b")
#: The next (or first) job only: "what's next", "my next appointment", "where's my first stop tomorrow".
_NEXT_ONLY = re.compile(r"\b(?:what'?s|what is) next\b|\b(?:next|first) (?:job|appointment|stop|call)\b")
#: A contact question about one detail: "what's Karen's number", "how do I reach ...", "where does Bob live".
_CONTACT_DETAIL = {"phone": re.compile(r"\b(?:phone|number|cell|reach|call (?:him|her|them)|get (?:a )?hold of)\b"),
                   "address": re.compile(r"\b(?:address|where (?:does|do|is)\b.*\b(?:live|located|based)|live)\b")}
_MY_APPOINTMENT = re.compile(r"\bwhen (?:is|are) (?:my|the|you|your)\b.*\b(?:appointment|visit|technician|coming)"
                             r"|\bmy appointment\b(?!.*\b(?:cancel|move|change|reschedule)\b)|\bwhen are you coming\b"
                             r"|\bwhat time is (?:my|the) (?:appointment|visit)\b")
_PRONOUN_STATUS = re.compile(r"\b(?:mark|set|put|move|make|change|update)\b.*\b(?:it|that|this|that job|this job)\b"
                             r"|^(?:it is|it's|that is|that's)\b|\b(?:done|finished|complete) with (?:it|that)\b")
_FILLERS = re.compile(r"^(?:(?:uh|um|er|oh|well|so|okay|ok|yeah|yes|no|nope|sorry|actually|i mean|it's|it is|"
                      r"that's|that is|make it|let's say|for|to|the|with|at|on|call it|named|called)\b[\s,]*)+")
_DENY_PREFIX = re.compile(r"^(?:no|nope|nah|not|wrong|actually|sorry|i mean|make that|change (?:it|that) to)\b")

HELP = {
    "personal": ("You can ask what's on your schedule, about a job, or to create, move, complete or cancel a job. "
                 "I can also invoice a job, record a payment, send reminders and estimates, check stock, "
                 "and set reminders. Changes are read back to you before I make them."),
    "customer": ("I can confirm, move or cancel your appointment, book a visit, tell you prices or your balance, "
                 "note when you'll pay, take your feedback, or connect you with a person."),
}
OUT_OF_SCOPE = {
    "personal": "Sorry, I can't help with that. I can help with your jobs, invoices, estimates, customers and stock.",
    "customer": "Sorry, I can't help with that on this call. I can help with your appointment, your bill, "
                "or booking a visit.",
}


@dataclass
class Decision:
    """One brain step: call a tool with these arguments, or say a sentence."""

    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    say: str | None = None
    intent: str | None = None


@dataclass
class Frame:
    """An intent being filled: its tool, the arguments so far, and the slot we asked for."""

    tool: str
    args: dict[str, Any]
    asking: str | None = None
    options: list[str] = field(default_factory=list)
    #: The question as it was put to the user (to ask again in the same words).
    question: str | None = None


@dataclass
class Dialogue:
    """What the brain remembers between turns of one conversation."""

    frame: Frame | None = None
    pending: Frame | None = None
    #: A proposed change that another request overtook before its yes (the tools dropped it too).
    set_aside: Frame | None = None
    last_reply: str = ""
    turns: int = 0


def _clean(text: str) -> str:
    text = text.strip().strip(".!?").strip()
    return _FILLERS.sub("", text.lower()).strip(" ,.")


def _has(slot: str, args: dict[str, Any], focus: dict[str, Any]) -> bool:
    for alt in slot.split("|"):
        if alt == "when":
            if args.get("date") or args.get("time"):
                return True
        elif alt.startswith("@"):
            if focus.get(alt[1:]) is not None:
                return True
        elif args.get(alt) not in (None, ""):
            return True
    return False


def missing(tool: str, args: dict[str, Any], focus: dict[str, Any]) -> tuple[str, str] | None:
    for slot, question in REQUIRED.get(tool, []):
        if not _has(slot, args, focus):
            return slot, question
    return None


def fill_slot(asking: str, text: str, now: datetime, names: Lexicon | None) -> dict[str, Any]:
    """The values a short answer gives for the slot we asked for ("friday at three" for "when")."""
    low, cleaned = text.lower(), _clean(text)
    found: dict[str, Any] = {}
    for alt in asking.split("|"):
        if alt.startswith("@"):
            continue
        if alt in ("when", "date"):
            d, t = parse_date(low, now), parse_time(low)
            if d:
                found["date"] = d.isoformat()
            if t and alt == "when":
                found["time"] = t.strftime("%H:%M")
        elif alt in ("job", "invoice", "estimate", "project"):
            m = re.search(rf"\b{alt}\s+(?:number\s+)?(.+)$", low)
            n = parse_number(m.group(1) if m else cleaned)
            if isinstance(n, int | float) and n == int(n) and (m or re.fullmatch(r"[\d\s]+|[a-z\s-]+", cleaned)):
                found[alt] = int(n)
        elif alt in ("percent", "rating", "quantity", "days"):
            n = parse_number(cleaned.replace("percent", "").replace("stars", "").replace("star", ""))
            if n is not None:
                found[alt] = int(n)
        elif alt == "amount":
            n = parse_number(cleaned.replace("dollars", "").replace("$", ""))
            if n is not None:
                found[alt] = n
        elif alt == "status":
            s = parse_status(low)
            if s:
                found[alt] = s
        elif alt == "target":
            t = transfer_target("talk to " + low) or next((w for w in ("sales", "support") if w in low), None)
            if t:
                found[alt] = t
        elif alt == "customer":
            known = names.find("customers", cleaned) if names else None
            if known or (cleaned and len(cleaned.split()) <= 5 and not parse_number(cleaned)):
                found[alt] = re.sub(r"(?<=\w)'?s$", "", known or cleaned)
        elif alt == "product":
            known = names.find("products", cleaned) if names else None
            if known or cleaned:
                found[alt] = known or cleaned
        elif alt in ("note", "title", "business"):
            value = re.sub(r"^(?:it )?(?:should )?(?:say|says|saying|that)\s+", "", text.strip().strip("."),
                           flags=re.I)
            if value:
                found[alt] = value
        if found and alt not in ("when",):
            break
    return found


def choose(text: str, options: list[str]) -> str | None:
    """Which of the offered options the user picked ("Bob", "the first one", "Bobby Smithers")."""
    low = _clean(text)
    ordinals = {"first": 0, "1st": 0, "one": 0, "second": 1, "2nd": 1, "two": 1, "third": 2, "3rd": 2, "last": -1}
    for word, i in ordinals.items():
        if re.search(rf"\b(?:the )?{word}(?: one)?$", low) and options:
            return options[i]
    exact = [o for o in options if low and (low == o.lower() or low in o.lower().split())]
    if len(exact) == 1:
        return exact[0]
    best = process.extractOne(low, options, scorer=fuzz.WRatio)
    if best and best[1] >= 80:
        runners = [o for o in options if o != best[0] and fuzz.WRatio(low, o) >= best[1] - 3]
        return None if runners else best[0]
    return None


class Policy:
    """Decides each turn for one conversation; `observe` takes the tools' replies."""

    def __init__(self) -> None:
        self.d = Dialogue()

    def decide(self, text: str, speaker: str, now: datetime, tools: set[str], focus: dict[str, Any],
               names: Lexicon | None = None, has_pending: bool = False,
               offer: dict[str, str] | None = None) -> Decision:
        """One user turn. `offer` says what a bare yes or no means when the agent has just asked a yes/no
        question of its own (an appointment reminder's "does that still work?"): {"confirm": tool, ...}."""
        self.d.turns += 1
        low = text.strip().lower()
        if not low:
            return Decision(say="Sorry, I didn't catch that.")
        if is_repeat(low):
            return Decision(say=self.d.last_reply or "I haven't said anything yet.", intent="repeat")
        reply_kind = classify_reply(low)
        if has_pending and self.d.pending is not None:
            if reply_kind == "confirm":
                return self._call("confirm_action", {}, "confirm")
            correction = self._correction(text, now, names)
            if correction is not None:
                return correction
            if reply_kind in ("deny", "cancel"):
                self.d.pending = None
                return self._call("cancel_action", {}, reply_kind)
        elif reply_kind is not None and self.d.frame is None:
            answer = (offer or {}).get(reply_kind)
            if answer in tools:
                return self._complete(answer, {}, tools, focus, now, names, intent=reply_kind)
            set_aside, self.d.set_aside = self.d.set_aside, None
            if reply_kind == "confirm" and set_aside is not None:  # never "Okay." as if it had been done
                return Decision(say="I set that change aside when we moved on, so nothing was done. Tell me again "
                                    "if you still want it.", intent="confirm")
            if reply_kind == "confirm":
                return Decision(say="Okay." if speaker == "personal" else "Great.", intent="confirm")
            return Decision(say="Okay, no problem.", intent=reply_kind)

        frame = self.d.frame
        p = parse(text, "customer" if speaker == "customer" else "personal", now, names=names)
        if frame is not None:
            if frame.options:
                picked = choose(text, frame.options)
                if picked is not None:
                    return self._complete(frame.tool, {**frame.args, frame.asking or "customer": picked}, tools,
                                          focus, now, names)
            if reply_kind in ("deny", "cancel") and p.intent in ("deny", "cancel"):
                self.d.frame = None
                return Decision(say="Okay, never mind.", intent=reply_kind)
            if frame.asking and (p.intent == "out_of_scope" or p.confidence < 0.8 or len(low.split()) <= 4):
                values = fill_slot(frame.asking, text, now, names)
                if values and not _new_command(values, p, names):
                    return self._complete(frame.tool, {**frame.args, **values}, tools, focus, now, names)
            if p.intent == "out_of_scope":
                return Decision(say=f"Sorry, I didn't get that. {self._question(frame)}", intent="out_of_scope")
            if reply_kind == "confirm" and frame.asking:  # "yes" doesn't answer "how much?": ask again
                return Decision(say=self._question(frame), intent="confirm")
        return self._command(text, p.intent, p.slots, speaker, tools, focus, now, names)

    def _command(self, text: str, intent: str, slots: dict[str, Any], speaker: str, tools: set[str],
                 focus: dict[str, Any], now: datetime, names: Lexicon | None) -> Decision:
        low = text.lower()
        self.d.frame = None
        if speaker == "customer" and intent in ("out_of_scope", "ask_price", "get_schedule", "get_job_details"):
            if _MY_BALANCE.search(low):
                return self._complete("get_my_balance", {}, tools, focus, now, names, intent="get_invoice_status")
            if _MY_APPOINTMENT.search(low):
                return self._complete("get_my_appointment", {}, tools, focus, now, names, intent="get_job_details")
        if intent == "out_of_scope" and speaker == "personal" and _PRONOUN_STATUS.search(low):
            status = parse_status(low)
            if status:
                intent, slots = "update_job_status", {"status": status}
        if intent == "help" or (intent == "out_of_scope" and is_help(low)):
            return Decision(say=HELP.get(speaker, HELP["personal"]), intent="help")
        if intent == "out_of_scope":
            return Decision(say=OUT_OF_SCOPE.get(speaker, OUT_OF_SCOPE["personal"]), intent="out_of_scope")
        if intent in ("confirm", "deny", "cancel"):
            return Decision(say="Okay." if intent == "confirm" else "Okay, no problem.", intent=intent)
        if intent == "repeat":
            return Decision(say=self.d.last_reply or "I haven't said anything yet.", intent="repeat")
        if intent == "get_schedule" and _NEXT_ONLY.search(low):  # "what's next": one job, not the day's list
            slots = {**slots, "next_only": True}
        if intent == "get_contact_info":  # "what's her number": that, not the whole card
            asked = [d for d, pattern in _CONTACT_DETAIL.items() if pattern.search(low)]
            if len(asked) == 1:
                slots = {**slots, "detail": asked[0]}
        tool = INTENT_TOOL.get(intent, intent)
        if tool not in tools:
            return Decision(say=OUT_OF_SCOPE.get(speaker, OUT_OF_SCOPE["personal"]), intent=intent)
        return self._complete(tool, slots, tools, focus, now, names, intent=intent)

    def _complete(self, tool: str, args: dict[str, Any], tools: set[str], focus: dict[str, Any], now: datetime,
                  names: Lexicon | None, intent: str | None = None) -> Decision:
        allowed = TOOL_ARGS.get(tool, ())
        args = {k: v for k, v in args.items() if k in allowed and v not in (None, "")}
        gap = missing(tool, args, focus)
        if gap is not None:
            self.d.frame = Frame(tool, args, asking=gap[0])
            return Decision(say=gap[1], intent=intent or tool)
        self.d.frame = Frame(tool, args)
        return Decision(tool=tool, args=args, intent=intent or tool)

    def _call(self, tool: str, args: dict[str, Any], intent: str) -> Decision:
        return Decision(tool=tool, args=args, intent=intent)

    def _correction(self, text: str, now: datetime, names: Lexicon | None) -> Decision | None:
        """'No, Friday' / 'make it 3 pm' while a change waits: re-propose it with the new value."""
        pending = self.d.pending
        assert pending is not None
        low = text.lower()
        if not _DENY_PREFIX.search(low) and classify_reply(low) is not None:
            return None
        allowed = TOOL_ARGS.get(pending.tool, ())
        values: dict[str, Any] = {}
        if "date" in allowed or "time" in allowed:
            values.update({k: v for k, v in fill_slot("when", text, now, names).items() if k in allowed})
        if not values and "amount" in allowed:
            values.update(fill_slot("amount", re.sub(_DENY_PREFIX, "", low), now, names))
        if not values and "customer" in allowed and _DENY_PREFIX.search(low):
            rest = _DENY_PREFIX.sub("", low).strip(" ,")
            # "no, bob smith" names another customer; "no don't" names nobody: only a known name corrects
            if rest and (names is None or names.find("customers", rest)):
                values.update(fill_slot("customer", rest, now, names))
        if not values:
            return None
        if "time" in values and "date" not in values and pending.args.get("date"):
            values["date"] = pending.args["date"]
        return Decision(tool=pending.tool, args={**pending.args, **values}, intent="correction")

    def _question(self, frame: Frame) -> str:
        if frame.question:
            return frame.question
        for slot, question in REQUIRED.get(frame.tool, []):
            if slot == frame.asking:
                return question
        return "Could you say that again?"

    def observe(self, tool: str, output: dict[str, Any]) -> str:
        """Read a tool's reply: remember a pending change, an ambiguity or a question; return what to say."""
        say = str(output.get("say") or "Done.")
        frame = self.d.frame if self.d.frame and self.d.frame.tool == tool else Frame(tool, {})
        error = output.get("error")
        self.d.set_aside = None
        if self.d.pending is not None and tool not in ("confirm_action", "cancel_action"):
            # another request came between a proposal and its yes: the tools dropped the proposal (base.py)
            self.d.set_aside, self.d.pending = self.d.pending, None
        if output.get("pending"):
            self.d.set_aside = None
            self.d.pending, self.d.frame = frame, None
        elif tool in ("confirm_action", "cancel_action"):
            if error != "not_confirmed":
                self.d.pending = None
            self.d.frame = None
        elif error in ("ambiguous", "not_found") and output.get("options"):
            slot = next((s for s in ("customer", "product", "business") if s in frame.args), "customer")
            self.d.frame = Frame(tool, frame.args, asking=slot, options=list(output["options"]))
        elif error == "invalid_input" and say.rstrip().endswith("?"):
            self.d.frame = Frame(tool, frame.args, asking=_asked_slot(say, tool), question=say)
        elif output.get("asking"):  # the tool offered choices ("the first free times are ...; which works?")
            self.d.frame = Frame(tool, frame.args, asking=str(output["asking"]))
        else:
            self.d.frame = None
        self.d.last_reply = say
        return say

    def said(self, text: str) -> None:
        self.d.last_reply = text


def _new_command(values: dict[str, Any], p: Any, names: Lexicon | None) -> bool:
    """A short answer that is really a new command: asked "which customer?", the user says "mark it done".

    Only name slots are checked (a name we don't know, said as a confident command); free text such as a
    note or a title is taken as it was said, whatever it sounds like."""
    if p.intent in ("out_of_scope", "confirm", "deny", "cancel", "help", "repeat") or p.confidence < 0.8:
        return False
    if names is None:
        return False
    return any(slot in values and not names.find(kind, str(values[slot]))
               for slot, kind in (("customer", "customers"), ("product", "products")))


def _asked_slot(question: str, tool: str) -> str:
    q = question.lower()
    allowed = TOOL_ARGS.get(tool, ())
    for words, slot in ((("how much", "amount"), "amount"), (("how many",), "quantity"),
                        (("what time", "when", "what day", "which day"), "when"), (("which job",), "job|customer"),
                        (("which customer", "who "), "customer"), (("which product",), "product"),
                        (("rating", "rate"), "rating|note"), (("what should it say", "note"), "note")):
        if any(w in q for w in words):
            first = slot.split("|")[0]
            if first in allowed or first == "when":
                return slot
    return "|".join(a for a in allowed) or "note"
