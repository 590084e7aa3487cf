"""Finding who an utterance is about: customer and business names without capital letters.

Spoken names are located by their frame, tried in order of reliability: a possessive
("kevin brown's phone"), a modifier of a record noun ("the garcia job"), the object of a
preposition ("for the hendersons"), the object of a verb ("bill maria garcia"), or the subject of a
payment verb ("tom baker paid"). A name ends at the first word that cannot be part of a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import DOMAIN, HEADS, PRONOUNS, STOP, TITLES, Lexicon, is_name_token
from .normalize import Utterance

_PREPS = frozenset(
    {
        "for",
        "with",
        "to",
        "from",
        "about",
        "on",
        "at",
        "of",
        "named",
        "called",
        "customer",
        "contact",
        "client",
        "by",
        "into",
    }
)
_OBJ_VERBS = (
    "bill",
    "invoice",
    "remind",
    "nudge",
    "ping",
    "chase",
    "look up",
    "pull up",
    "call",
    "text",
    "email",
    "reach",
    "contact",
    "find",
    "lookup",
    "charge",
    "message",
    "visit",
    "see",
    "send",
    "give",
    "shoot",
    "forward",
    "mail",
    "tell",
    "ask",
    "notify",
)
_SUBJ_VERBS = frozenset(
    {
        "paid",
        "pay",
        "accepted",
        "approved",
        "signed",
        "called",
        "wants",
        "want",
        "owes",
        "owe",
        "said",
        "says",
        "sent",
        "gave",
        "mailed",
        "dropped",
        "went",
        "agreed",
        "okayed",
        "needs",
        "need",
        "prefers",
        "asked",
        "is",
        "are",
        "has",
        "have",
        "will",
        "would",
        "texted",
        "emailed",
        "mentioned",
        "live",
        "lives",
        "stay",
        "work",
        "works",
    }
)
_SUBJ_LEAD = frozenset(
    {
        "did",
        "has",
        "have",
        "so",
        "and",
        "the",
        "yeah",
        "okay",
        "i",
        "think",
        "looks",
        "like",
        "just",
        "heard",
        "update",
        "guess",
        "what",
        "where",
        "does",
        "do",
        "when",
        "is",
    }
)
_ADVERBS = frozenset({"ever", "already", "finally", "actually", "really", "just", "also", "never", "still", "not"})
MAX_NAME = 4


@dataclass(frozen=True)
class Name:
    """A name found in the tokens: its value and the span it (with its frame) occupies."""

    value: str
    start: int  # first token of the frame (preposition / 'the' / verb)
    end: int  # one past the last token of the frame (incl. a record noun it modifies)


def _collect(u: Utterance, i: int, soft: bool) -> int:
    """End index of the run of name tokens starting at i (a comma or possessive ends it)."""
    j = i
    while j < len(u.tokens) and j - i < MAX_NAME and is_name_token(u.tokens[j], soft):
        j += 1
        if j - 1 in u.breaks or j - 1 in u.poss:
            break
    return j


def _clean(words: list[str], family: bool) -> str | None:
    while words and (words[0] in TITLES or words[0] == "the"):
        words = words[1:]
    if not words or (len(words) == 1 and words[0] in PRONOUNS):
        return None
    if family and len(words) == 1:
        w = words[0]
        if len(w) > 3 and w.endswith("s") and not re.search(r"(?:ss|us|is)$", w):
            words = [w[:-2] if re.search(r"(?:ch|sh|x|z)es$", w) else w[:-1]]
    return " ".join(words)


def _possessive(u: Utterance) -> Name | None:
    t = u.tokens
    for i in sorted(u.poss):
        if not is_name_token(t[i], soft=False) or t[i] in DOMAIN:
            continue
        k = i
        while k > 0 and i - k < MAX_NAME - 1 and is_name_token(t[k - 1], soft=False) and (k - 1) not in u.breaks:
            k -= 1
        family = k > 0 and t[k - 1] == "the" and t[i].endswith("s")
        value = _clean(list(t[k : i + 1]), family)
        if value:
            end = i + 1
            while end < len(t) and t[end] in DOMAIN:
                end += 1
            end = end + 1 if end < len(t) and t[end] in HEADS else i + 1
            return Name(value, k - (1 if k > 0 and t[k - 1] == "the" else 0), end)
    return None


def _head(u: Utterance) -> Name | None:
    t = u.tokens
    for i, tok in enumerate(t):
        if tok not in HEADS or i == 0 or (i + 1 < len(t) and is_name_token(t[i + 1]) and t[i + 1] not in HEADS):
            continue
        j = i
        while j > 0 and t[j - 1] in DOMAIN:
            j -= 1
        k = j
        while k > 0 and j - k < MAX_NAME and is_name_token(t[k - 1]) and (k - 1) not in u.breaks:
            k -= 1
        if k == j:
            continue
        start = k - 1 if k > 0 and t[k - 1] in ("the", "a") else k
        value = _clean(list(t[k:j]), family=False)
        if value:
            return Name(value, start, i + 1)
    return None


def _after(u: Utterance, i: int, soft: bool) -> Name | None:
    """A name starting at token i (after 'the' and titles)."""
    t = u.tokens
    j = i
    had_the = False
    while j < len(t) and (t[j] == "the" or t[j] in TITLES):
        had_the = had_the or t[j] == "the"
        j += 1
    end = _collect(u, j, soft)
    if end == j:
        return None
    family = had_the and end - j == 1 and not (end < len(t) and t[end] in HEADS)
    value = _clean(list(t[j:end]), family)
    if not value:
        return None
    k = end
    while k < len(t) and t[k] in DOMAIN:
        k += 1
    if k < len(t) and t[k] in HEADS:
        end = k + 1
    return Name(value, i, end)


def name_at(u: Utterance, i: int, soft: bool = True) -> Name | None:
    """A name that starts at token i (after an optional 'the' or title)."""
    return _after(u, i, soft)


def _preposition(u: Utterance, soft: bool) -> Name | None:
    for i, tok in enumerate(u.tokens):
        if tok in _PREPS:
            found = _after(u, i + 1, soft)
            if found:
                return Name(found.value, i, found.end)
    return None


def _verb_object(u: Utterance, soft: bool) -> Name | None:
    text = u.text
    for verb in _OBJ_VERBS:
        for m in re.finditer(rf"(?:^| ){verb} ", text):
            i = u.token_index(m.end())
            found = _after(u, i, soft)
            if found:
                return Name(found.value, u.token_index(m.start() + (1 if m.start() else 0)), found.end)
    return None


def _subject(u: Utterance) -> Name | None:
    t = u.tokens
    i = 0
    while i < len(t) and t[i] in _SUBJ_LEAD:
        i += 1
    if i < len(t) and i > 0 and t[i - 1] == "the":
        i -= 1
    found = _after(u, i, soft=True)
    if found is None:
        return None
    k = found.end
    while k < len(t) and t[k] in _ADVERBS:
        k += 1
    return found if k < len(t) and t[k] in _SUBJ_VERBS else None


def find_customer(
    u: Utterance, lexicon: Lexicon | None = None, *, create: bool = False, contact: bool = False
) -> Name | None:
    """The customer an utterance is about. create: prefer 'for X' (new records name it that way);
    contact: trade words may be part of the name ('northside plumbing supply')."""
    if lexicon is not None and lexicon.customers:
        known = lexicon.find("customers", u.text)
        if known:
            at = u.text.find(known)
            if at >= 0:
                idx = u.token_index(at)
                return Name(known, idx, idx + len(known.split()))
            first = known.split()[0]  # matched across punctuation ("o brien" for "o'brien"): find it by tokens
            idx = next((i for i, tok in enumerate(u.tokens) if tok.replace("'", "").startswith(first)), -1)
            if idx >= 0:
                return Name(known, idx, idx + len(known.split()))
    soft = not contact
    finders = (
        [lambda: _preposition(u, soft), lambda: _possessive(u), lambda: _head(u)]
        if create
        else [lambda: _possessive(u), lambda: _head(u), lambda: _subject(u), lambda: _preposition(u, soft)]
    )
    finders.append(lambda: _verb_object(u, soft))
    for finder in finders:
        found = finder()
        if found and found.value not in STOP:
            return found
    return None


_BUSINESS = re.compile(
    r"\b(?:switch|change|swap|go|flip|jump|move|toggle)(?: over| back)? (?:to|into) (?P<a>.+)$"
    r"|\b(?:business|businesses|company|companies|accounts?|organization)(?: over)? to (?P<b>.+)$"
    r"|\blog (?:in|into|on to|onto|in to) (?P<c>.+)$|\b(?:act|work|operate) (?:as|for) (?P<d>.+)$"
    r"|\buse (?:the )?(?P<e>.+?) account$"
)
_BUSINESS_STRIP = re.compile(
    r"^(?:my other |the other |another |my |the )?(?:(?:business|company|account)"
    r"(?: called| named)? )?|(?: (?:account|business|company|now|instead|please))+$"
)


def find_business(u: Utterance, lexicon: Lexicon | None = None) -> str | None:
    """The business to act for: 'switch over to the summit plumbing account' -> 'summit plumbing'."""
    if lexicon is not None and lexicon.businesses:
        known = lexicon.find("businesses", u.text)
        if known:
            return known
    m = _BUSINESS.search(u.text)
    if not m:
        return None
    raw = next(g for g in m.groups() if g)
    value = _BUSINESS_STRIP.sub("", raw).strip()
    value = re.sub(r"^(?:the )", "", value)
    return value or None
