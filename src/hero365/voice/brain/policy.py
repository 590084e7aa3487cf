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

from .nlu import Lexicon, classify_reply, parse_date, parse_number, parse_status, parse_time, transfer_target
from .registry import BY_NAME, CONTROL, asks, help_line
from .understand import Understanding, understand

#: The arguments each tool of the session takes, from the tools' own signatures.
ToolArgs = dict[str, frozenset[str]]

HELP = {speaker: help_line(speaker) for speaker in ("personal", "customer")}
#: Contract intents whose tool has another name (dialogue control), from the registry.
INTENT_TOOL = {i.name: i.tool for i in BY_NAME.values() if i.tool and i.tool != i.name}
OUT_OF_SCOPE = {
    "personal": "Sorry, I can't help with that. I can help with your jobs, invoices, estimates, customers and stock.",
    "customer": "Sorry, I can't help with that on this call. I can help with your appointment, your bill, "
                "or booking a visit.",
}
_FILLERS = re.compile(r"^(?:(?:uh|um|er|oh|well|so|okay|ok|yeah|yes|no|nope|sorry|actually|i mean|it's|it is|"
                      r"that's|that is|make it|let's say|for|to|the|with|at|on|call it|named|called)\b[\s,]*)+")
_DENY_PREFIX = re.compile(r"^(?:no|nope|nah|not|wrong|actually|sorry|i mean|make that|change (?:it|that) to)\b")
_ORDINALS = {"first": 0, "1st": 0, "former": 0, "second": 1, "2nd": 1, "latter": 1, "third": 2, "3rd": 2, "last": -1}
#: A bare number picks by position only when said alone ("one", "number two").
_NUMBERED = {"one": 0, "two": 1, "three": 2}


def ordinal(text: str, options: list[str] | tuple[str, ...]) -> str | None:
    """The option picked by position: "the second one", "the last", "number two" ("second one" is not "one")."""
    for word, i in _ORDINALS.items():
        if re.search(rf"\b{word}\b", text) and -len(options) <= i < len(options):
            return options[i]
    m = re.fullmatch(r"(?:the |number )?(one|two|three)", text.strip())
    if m and _NUMBERED[m.group(1)] < len(options):
        return options[_NUMBERED[m.group(1)]]
    return None


@dataclass
class Decision:
    """One brain step: call a tool with these arguments, or say a sentence."""

    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    say: str | None = None
    intent: str | None = None
    #: The brain was not sure what was meant and asks (a hybrid brain hands such a turn to an LLM).
    unsure: bool = False
    #: The agent's own yes/no question is still open after this turn ("this is she" answers who, not whether).
    keep_offer: bool = False


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
class Clarify:
    """A question the brain asked because it was not sure: which reading, or whether a protected one is meant."""

    options: tuple[str, ...]
    reading: Understanding
    text: str
    speaker: str
    now: datetime
    names: Lexicon | None


@dataclass
class Dialogue:
    """What the brain remembers between turns of one conversation."""

    frame: Frame | None = None
    clarify: Clarify | None = None
    tools: ToolArgs = field(default_factory=dict)
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
    for ask in asks(tool):
        if not _has(ask.slot, args, focus):
            return ask.slot, ask.question
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
    picked = ordinal(low, options)
    if picked is not None:
        return picked
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
        #: This turn's words and context (a clarifying question keeps them to act on the answer).
        self._said: tuple[str, str, datetime, Lexicon | None] = ("", "personal", datetime.min, None)

    def decide(self, text: str, speaker: str, now: datetime, tools: ToolArgs, focus: dict[str, Any],
               names: Lexicon | None = None, has_pending: bool = False,
               offer: dict[str, str] | None = None) -> Decision:
        """One user turn. `tools` maps the session's tools to the arguments they take. `offer` says what a bare
        yes or no means when the agent has just asked a yes/no question of its own (an appointment reminder's
        "does that still work?"): {"confirm": tool, ...}."""
        self.d.turns += 1
        self.d.tools = tools
        low = text.strip().lower()
        if not low:
            return Decision(say="Sorry, I didn't catch that.")
        u = understand(text, speaker, now, names=names)
        if u.intent == "repeat" and u.ask is None:
            return Decision(say=self.d.last_reply or "I haven't said anything yet.", intent="repeat")
        reply_kind = classify_reply(low)
        clarify, self.d.clarify = self.d.clarify, None
        self._said = (text, speaker, now, names)
        if clarify is not None:
            picked = self._clarified(clarify, text, reply_kind, focus, u)
            if picked is not None:
                return picked
        if has_pending and self.d.pending is not None:
            if reply_kind == "confirm":
                return self._call("confirm_action", {}, "confirm")
            correction = self._correction(text, now, names)
            if correction is not None:
                return correction
            if reply_kind in ("deny", "cancel"):
                self.d.pending = None
                return self._call("cancel_action", {}, reply_kind)
        elif offer and reply_kind is None and u.intent == "confirm" and u.ask is None and self.d.frame is None:
            # "this is she" / "speaking": who they are, not an answer to the agent's own question, still open
            return Decision(say=f"Thanks. {_last_question(self.d.last_reply)}".strip(), intent="confirm",
                            keep_offer=True)
        elif reply_kind is not None and self.d.frame is None:
            answer = (offer or {}).get(reply_kind)
            if answer in tools:
                return self._complete(answer, {}, focus, intent=reply_kind)
            set_aside, self.d.set_aside = self.d.set_aside, None
            if reply_kind == "confirm" and set_aside is not None:  # never "Okay." as if it had been done
                return Decision(say="I set that change aside when we moved on, so nothing was done. Tell me again "
                                    "if you still want it.", intent="confirm")
            if reply_kind == "confirm":
                return Decision(say="Okay." if speaker == "personal" else "Great.", intent="confirm")
            return Decision(say="Okay, no problem.", intent=reply_kind)

        frame = self.d.frame
        if frame is not None:
            if frame.options:
                picked_option = choose(text, frame.options)
                if picked_option is not None:
                    return self._complete(frame.tool, {**frame.args, frame.asking or "customer": picked_option},
                                          focus)
            if reply_kind in ("deny", "cancel") and u.intent in ("deny", "cancel"):
                self.d.frame = None
                return Decision(say="Okay, never mind.", intent=reply_kind)
            if frame.asking and (u.intent == "out_of_scope" or u.confidence < 0.8 or len(low.split()) <= 4):
                values = fill_slot(frame.asking, text, now, names)
                if values and not _new_command(values, u, names):
                    return self._complete(frame.tool, {**frame.args, **values}, focus)
            if u.intent == "out_of_scope":
                return Decision(say=f"Sorry, I didn't get that. {self._question(frame)}", intent="out_of_scope")
            if reply_kind == "confirm" and frame.asking:  # "yes" doesn't answer "how much?": ask again
                return Decision(say=self._question(frame), intent="confirm")
        return self._command(u, speaker, focus)

    def _command(self, u: Understanding, speaker: str, focus: dict[str, Any]) -> Decision:
        self.d.frame = None
        if u.ask is not None:
            return self._ask(u)
        intent = u.intent
        if intent == "help":
            return Decision(say=HELP.get(speaker, HELP["personal"]), intent="help")
        if intent == "out_of_scope":
            return Decision(say=OUT_OF_SCOPE.get(speaker, OUT_OF_SCOPE["personal"]), intent="out_of_scope")
        if intent in ("confirm", "deny", "cancel"):
            return Decision(say="Okay." if intent == "confirm" else "Okay, no problem.", intent=intent)
        if intent == "repeat":
            return Decision(say=self.d.last_reply or "I haven't said anything yet.", intent="repeat")
        tool = BY_NAME[intent].tool or intent
        if tool not in self.d.tools:
            return Decision(say=OUT_OF_SCOPE.get(speaker, OUT_OF_SCOPE["personal"]), intent=intent)
        return self._complete(tool, u.slots, focus, intent=intent)

    def _ask(self, u: Understanding) -> Decision:
        """One short question instead of a guess: a protected intent checked, or the two best readings."""
        assert u.ask is not None
        self.d.clarify = Clarify(u.ask, u, *self._said)
        if len(u.ask) == 1:
            spec = BY_NAME[u.ask[0]]
            return Decision(say=spec.check or f"Do you want to {spec.gloss}?", intent="clarify", unsure=True)
        first, second = (BY_NAME[i].gloss for i in u.ask)
        return Decision(say=f"{_about(u.slots)} do you want to {first}, or {second}?", intent="clarify",
                        unsure=True)

    def _clarified(self, clarify: Clarify, text: str, reply_kind: str | None, focus: dict[str, Any],
                   answer: Understanding) -> Decision | None:
        """The answer to a clarifying question: the reading it picks, done with the words first said. A
        confident new command is a new command ("what's on tomorrow" after "schedule, or a new job?")."""
        options, reading = clarify.options, clarify.reading
        chosen: str | None = None
        by_position = ordinal(_clean(text), options) if len(options) > 1 else None
        if by_position is not None:  # "the second one"
            return self._chosen(by_position, clarify, focus)
        confident = answer.ask is None and answer.confidence >= 0.8 and answer.intent not in CONTROL
        if confident and answer.intent not in options:
            return None
        if confident and len(options) > 1 and set(answer.slots) - {"next_only", "detail"}:
            return None  # it says what it wants and with what: take it as said
        if len(options) == 1:
            if reply_kind == "confirm":
                chosen = options[0]
            elif reply_kind in ("deny", "cancel"):  # not the protected one: the best reading stands
                chosen = reading.intent
        else:
            low = _clean(text)
            chosen = ordinal(low, options)
            if chosen is None and answer.intent in options and answer.confidence >= 0.5:
                chosen = answer.intent  # "the follow-up" reads as the follow-up it names
            if chosen is None:
                glosses = {o: BY_NAME[o].gloss.replace("-", " ") for o in options}
                best = process.extractOne(low.replace("-", " "), glosses, scorer=fuzz.token_set_ratio)
                if best and best[1] >= 60:
                    chosen = best[2]
            if chosen is None and reply_kind in ("deny", "cancel"):
                return Decision(say="Okay, never mind.", intent=reply_kind)
        return None if chosen is None else self._chosen(chosen, clarify, focus)

    def _chosen(self, chosen: str, clarify: Clarify, focus: dict[str, Any]) -> Decision:
        """Do the reading picked by the answer to a clarifying question, with the words first said."""
        tool = BY_NAME[chosen].tool or chosen
        if tool not in self.d.tools:
            return Decision(say="Okay.", intent=chosen)
        reading = clarify.reading
        slots = reading.slots if chosen == reading.intent else understand(
            clarify.text, clarify.speaker, clarify.now, names=clarify.names, intent=chosen).slots
        return self._complete(tool, slots, focus, intent=chosen)

    def _complete(self, tool: str, args: dict[str, Any], focus: dict[str, Any],
                  intent: str | None = None) -> Decision:
        allowed = self.d.tools.get(tool, frozenset())
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
        allowed = self.d.tools.get(pending.tool, frozenset())
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
        for ask in asks(frame.tool):
            if ask.slot == frame.asking:
                return ask.question
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
            self.d.frame = Frame(tool, frame.args, asking=_asked_slot(say, self.d.tools.get(tool, frozenset())),
                                 question=say)
        elif output.get("asking"):  # the tool offered choices ("the first free times are ...; which works?")
            self.d.frame = Frame(tool, frame.args, asking=str(output["asking"]))
        else:
            self.d.frame = None
        self.d.last_reply = say
        return say

    def said(self, text: str) -> None:
        self.d.last_reply = text


def _last_question(said: str) -> str:
    """The last question in what the agent said ("... Does that still work?"), or nothing."""
    questions = re.findall(r"[^.?!]*\?", said)
    return questions[-1].strip() if questions else ""


def _about(slots: dict[str, Any]) -> str:
    """'About job 23,' / 'About Garcia,' to open a clarifying question, from what was understood."""
    for kind in ("job", "invoice", "estimate", "project"):
        if slots.get(kind) is not None:
            return f"About {kind} {slots[kind]},"
    if slots.get("customer"):
        return f"About {str(slots['customer']).title()},"
    return "Just to be sure,"


def _new_command(values: dict[str, Any], p: Understanding, names: Lexicon | None) -> bool:
    """A short answer that is really a new command: asked "which customer?", the user says "mark it done".

    Only name slots are checked (a name we don't know, said as a confident command); free text such as a
    note or a title is taken as it was said, whatever it sounds like."""
    if p.intent in CONTROL or p.confidence < 0.8:
        return False
    if names is None:
        return False
    return any(slot in values and not names.find(kind, str(values[slot]))
               for slot, kind in (("customer", "customers"), ("product", "products")))


def _asked_slot(question: str, allowed: frozenset[str]) -> str:
    q = question.lower()
    for words, slot in ((("how much", "amount"), "amount"), (("how many",), "quantity"),
                        (("what time", "when", "what day", "which day"), "when"), (("which job",), "job|customer"),
                        (("which customer", "who "), "customer"), (("which product",), "product"),
                        (("rating", "rate"), "rating|note"), (("what should it say", "note"), "note")):
        if any(w in q for w in words):
            first = slot.split("|")[0]
            if first in allowed or first == "when":
                return slot
    return "|".join(sorted(allowed)) or "note"
