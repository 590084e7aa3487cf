"""Short dialogue replies: yes / no / cancel, plus help, repeat and transfer targets.

A reply counts only if every word is part of a reply phrase ("yeah go ahead", "nope that's wrong"),
so "no thanks I'm not interested" or "cancel job twelve" fall through to the richer rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CONFIRM = """yes|yeah|yep|yup|ya|yea|yah|sure|okay|correct|right|that is right|that is correct|exactly|absolutely
|definitely|of course|please do|do it|do that|go ahead|go for it|sounds good|sounds great|sounds right|perfect
|affirmative|confirm|confirmed|yes sir|yes maam|you bet|fine|that is fine|good|great|all right|sure thing
|send it|book it|save it|make it so|let us do it|proceed|that is it|looks good|looks right|cool|awesome|true
|certainly|indeed|i confirm|for sure|totally|thanks|thank you|please|yes please|yes it is|it is|that will work
|that works|works for me|go on|do so|you got it|correct yes|yes correct|right on|got it|will do|ok|do it now
|lets do it|let us go|that is good|that is great|that is perfect|that is correct yes|good to go|sounds fine"""
_DENY = """no|nope|nah|negative|not really|incorrect|wrong|that is wrong|that is not right|not right|that is incorrect
|no way|do not|do not do that|not that|that is not it|not quite|i do not think so|no sir|no maam|no it is not
|absolutely not|definitely not|no thanks|no thank you|not correct|that is not correct|not what i said
|that is not what i said|that is not true|it is not|no it is wrong|wrong one|do not do it|please do not
|that is not right at all|no no|not at all|i said no|that is the wrong one|the wrong one|not that one
|that is not the one|not the right one|that is not the right one"""
_CANCEL = """cancel|cancel that|cancel it|cancel this|never mind|forget it|forget about it|forget that|stop|stop it
|abort|quit|scratch that|disregard|disregard that|drop it|exit|i changed my mind|changed my mind|start over
|leave it|skip it|skip|stop that|cancel the request|cancel everything|forget the whole thing|nothing|that is all
|do not bother|do not worry about it|never mind that|hold on cancel|stop stop"""
_FILLER = frozenset(
    {
        "then",
        "just",
        "actually",
        "now",
        "oh",
        "well",
        "so",
        "and",
        "but",
        "ok",
        "hey",
        "um",
        "really",
        "please",
        "it",
        "that",
        "yes",
        "sorry",
        "wait",
        "hold on",
        "hang",
    }
)


def _phrases(block: str) -> list[tuple[str, ...]]:
    return [tuple(p.split()) for p in block.replace("\n", "").split("|") if p.strip()]


_TABLE: list[tuple[tuple[str, ...], str]] = sorted(
    [(p, "confirm") for p in _phrases(_CONFIRM)]
    + [(p, "deny") for p in _phrases(_DENY)]
    + [(p, "cancel") for p in _phrases(_CANCEL)],
    key=lambda item: -len(item[0]),
)


def classify_reply(tokens: Sequence[str] | str) -> str | None:
    """'confirm', 'deny' or 'cancel' when the whole reply is made of such phrases; else None."""
    if isinstance(tokens, str):
        from .normalize import normalize

        tokens = normalize(tokens).tokens
    kinds: list[str] = []
    i = 0
    while i < len(tokens):
        for phrase, kind in _TABLE:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                kinds.append(kind)
                i += len(phrase)
                break
        else:
            if tokens[i] in _FILLER and i > 0:
                i += 1
                continue
            return None
    if not kinds:
        return None
    if "cancel" in kinds:
        return "cancel"
    return "deny" if "deny" in kinds else "confirm"


_TRANSFER_TRIGGER = re.compile(
    r"\b(?:transfer|connect|patch) (?:me|us|this call|the call|this)?\s?(?:through )?(?:to|with)\b|\bput me through\b"
    r"|\b(?:talk|speak|chat) (?:to|with)\b|\btransfer\b|\bescalate\b"
)
_WEAK_TRIGGER = re.compile(
    r"\bget me\b|\bcan i (?:get|have)\b|\bi (?:want|need|would like) (?:a|an|the|to)\b"
    r"|^(?:a |an )?(?:human|agent|operator|representative|real person|live person)\b"
)
_EXPLICIT = re.compile(
    r"\b(?:human|real person|live person|actual person|agent|representative|operator|manager"
    r"|supervisor|sales|support|customer service|personal assistant)\b"
)
_TARGETS: list[tuple[str, re.Pattern[str]]] = [
    ("personal", re.compile(r"\bpersonal(?: assistant| agent)?\b|\bmy assistant\b")),
    ("sales", re.compile(r"\bsales(?:man|person|people| team| department| rep)?\b|\bsell\w*\b")),
    (
        "support",
        re.compile(
            r"\b(?:support|customer service|tech support|help desk|helpdesk|technical support"
            r"|service department|billing)\b"
        ),
    ),
    (
        "human",
        re.compile(
            r"\b(?:human|real person|live person|a person|actual person|someone|somebody|agent"
            r"|representative|rep|operator|manager|supervisor|owner|boss|real human|live agent"
            r"|dispatcher|office|receptionist|anyone|person)\b"
        ),
    ),
]


def transfer_target(text: str) -> str | None:
    """Target of a transfer request ('let me talk to a real person' -> 'human'), or None."""
    if not _TRANSFER_TRIGGER.search(text) and not (_WEAK_TRIGGER.search(text) and _EXPLICIT.search(text)):
        return None
    for target, pattern in _TARGETS:
        if pattern.search(text):
            return target
    return None


_REPEAT = re.compile(
    r"\bsay (?:that|it|this) (?:again|one more time)\b|^(?:can you |could you |would you )?repeat"
    r"(?: that| it| yourself| what you said| the last (?:part|thing)| please| again| the question)*$"
    r"|\bwhat (?:did you|was that you) (?:just )?say\b|\bwhat was that\??$|\bcome again\b"
    r"|\bdid not (?:catch|hear|get|understand) (?:that|you|what)\b|\bone more time\b"
    r"|^(?:sorry |i am sorry )?(?:huh|pardon|pardon me|what|excuse me|sorry)(?: what)?$|\bi missed that\b"
    r"|\bsay again\b|\bcould not hear\b|\bcan not hear\b|\brepeat that\b"
)
_HELP = re.compile(
    r"^(?:help|help me|i need help|i need some help|need help|help please|menu|options|commands)$"
    r"|\bwhat (?:can|could) you (?:do|help(?: me)?(?: with)?)\b|\bwhat (?:can|should) i (?:say|ask)\b"
    r"|\bhow does this work\b|\bwhat are (?:you able|my options|the options)\b|\bhow do i use (?:this|you)\b"
    r"|\bwhat do you do\b|\bwhat are your (?:features|capabilities)\b|\bwhat kind of things\b"
    r"|\bi am (?:confused|lost|stuck)\b|\bhow can you help\b|\bwhat things can\b"
)


def is_repeat(text: str) -> bool:
    """The speaker asks to hear the last prompt again."""
    return bool(_REPEAT.search(text))


def is_help(text: str) -> bool:
    """The speaker asks what the assistant can do."""
    return bool(_HELP.search(text))
