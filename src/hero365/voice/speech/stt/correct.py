"""Snap a general recogniser's words onto this business's vocabulary by how they sound.

Whisper writes "in voice" for invoice, "tailors" for the Taylors, "bald valves" for ball valves and
"pecs" for PEX: right sounds, wrong spelling for this trade. Each span of one to three words is compared,
as phonemes, with the domain's phrases (command words, customer, product and service names); a close enough
match replaces it. Common English words are only replaced by a name or term that sounds the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from ..speak_text import ordinal
from .corpus import command_words, spell
from .g2p import cmudict, pronunciations

#: Words of this trade and its commands that a general recogniser tends to split or misspell.
DOMAIN_TERMS = [
    "invoice",
    "invoices",
    "estimate",
    "estimates",
    "reschedule",
    "schedule",
    "milestone",
    "pex",
    "quote",
    "quotes",
    "thermostat",
    "furnace",
    "breaker",
    "breakers",
    "disposal",
    "tankless",
    "faucet",
    "drywall",
    "remodel",
    "overdue",
    "upcoming",
    "appointment",
    "technician",
    "reorder",
    "inventory",
    "valve",
    "valves",
    "fittings",
    "refrigerant",
    "filter",
    "filters",
    "gasket",
    "flange",
    "on hold",
]
_TERMS = frozenset(DOMAIN_TERMS)
#: Nouns that follow a customer's name in a command ("the chin job", "the petals estimate").
_NAME_CONTEXT = frozenset(["job", "estimate", "quote", "invoice", "project", "house", "place", "account", "remodel",
                           "appointment", "bill"])
#: Words a time follows ("thursday attend" -> at 10).
_DAY_WORDS = frozenset(["tomorrow", "today", "tonight", "morning", "afternoon", "evening", "instead", "then"])
#: Words that may follow "job a" when Whisper wrote "a" for "eight" ("reschedule job a to december 4").
_AFTER_NUMBER = frozenset(["to", "for", "is", "as", "on", "at", "and", "done", "complete", "finished", "status"])
_STRESS = re.compile(r"\d")
_WORD = re.compile(r"[a-z0-9']+(?::[0-9]{2})?")
_VOWELS = frozenset(["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"])


def spoken_form(text: str) -> str:
    """Undo a transcriber's writing conventions: '$1,200' -> '1200 dollars', '80%' -> '80 percent',
    '3.30pm' -> '3:30 pm', 'p.m.' -> 'pm', '9am' -> '9 am', '10-15' -> '10 15', '1/2-inch' -> 'half-inch'."""
    t = text.lower()
    t = re.sub(r"\$\s?([0-9][0-9,]*(?:\.[0-9]{2})?)", lambda m: m.group(1).replace(",", "") + " dollars", t)
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = re.sub(r"(\d)\s?%", r"\1 percent", t)
    t = re.sub(r"\b(\d{1,2})[.:](\d{2})\s?(a\.?m\.?|p\.?m\.?)", r"\1:\2 \3", t)
    t = re.sub(r"\b([ap])\.m\.?", r"\1m", t)
    t = re.sub(r"\b(\d{1,2})(am|pm)\b", r"\1 \2", t)
    t = _FRACTION.sub(_say_fraction, t)
    t = re.sub(r"(?<=\d)-(?=\d)", " ", t)
    return t


#: A written fraction: '1/2', '3/4-inch', '1-1/2', '1 1/2', '½'.
_FRACTION = re.compile(r"\b(?:(\d+)[ -])?([1-9])/([248])\b|([½¼¾])")
_FRACTION_WORDS = {("1", "2"): "half", ("1", "4"): "quarter", ("3", "4"): "three quarter", ("1", "8"): "eighth",
                   ("3", "8"): "three eighth", ("5", "8"): "five eighth", ("7", "8"): "seven eighth"}
_VULGAR = {"½": ("1", "2"), "¼": ("1", "4"), "¾": ("3", "4")}


def _say_fraction(m: re.Match[str]) -> str:
    """'1/2' -> 'half', '3/4' -> 'three quarter' (as in 'three quarter inch'), '1-1/2' -> '1 and a half'."""
    whole, num, den, glyph = m.groups()
    key = _VULGAR[glyph] if glyph else (num, den)
    said = _FRACTION_WORDS.get(key)
    if said is None:
        return m.group(0)
    if whole:
        return f"{whole} and a {said}" if key[0] == "1" else f"{whole} and {said}"
    return said


def _phones(p: str) -> tuple[str, ...]:
    return tuple(_STRESS.sub("", p).split())


#: Pronunciations espeak-ng gave for words CMUdict lacks (a recogniser's odd spellings: "pecs", "jonson").
_UNKNOWN: dict[str, tuple[str, ...]] = {}


def _learn_unknown(words: list[str]) -> None:
    """Pronounce the utterance's out-of-dictionary words, in one espeak-ng run (~20 ms), once each."""
    table = cmudict()
    missing = {w for w in words if w not in table and w not in _UNKNOWN and w.isalpha() and len(w) > 2}
    if missing:
        for word, prons in pronunciations(missing).items():
            _UNKNOWN[word] = _phones(prons[0])
        _word_phones.cache_clear()
        _word_variants.cache_clear()


@functools.lru_cache(maxsize=50_000)
def _word_variants(word: str) -> tuple[tuple[str, ...], ...]:
    prons = cmudict().get(word)
    if prons:
        return tuple(_phones(p) for p in prons[:3])
    return (_UNKNOWN[word],) if word in _UNKNOWN else ()


@functools.lru_cache(maxsize=50_000)
def _word_phones(word: str) -> tuple[str, ...] | None:
    prons = cmudict().get(word)
    if prons:
        return _phones(prons[0])
    return _UNKNOWN.get(word)


@dataclass
class Corrector:
    """Built once per vocabulary; `correct(text)` runs in well under a millisecond for a command."""

    phrases: list[str]
    index: dict[int, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    #: The phrases themselves, and the words of names and terms: what is already right stays as it is.
    known: set[str] = field(default_factory=set)
    name_words: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, phrases: Iterable[str], targets: Iterable[str] = ()) -> Corrector:
        """`phrases`: names and terms, kept as they are when heard right and matched by sound otherwise;
        `targets`: only matched by sound (customers' surnames: "the tailors" -> taylor), since a company's last
        word ("management") is no name to protect."""
        known = {" ".join(_WORD.findall(p.lower())) for p in phrases if p and p.strip()} | set(DOMAIN_TERMS)
        extra = {" ".join(_WORD.findall(p.lower())) for p in targets if p and p.strip()}
        clean = sorted(known | extra)
        words = {w for p in clean for w in p.split()}
        prons = pronunciations(words)
        corrector = cls(clean)
        for phrase in clean:
            phones: list[str] = []
            for w in phrase.split():
                if w not in prons:
                    break
                phones.extend(_phones(prons[w][0]))
            else:
                corrector.index.setdefault(len(phrase.split()), []).append((tuple(phones), phrase))
        corrector.known = known
        corrector.name_words = {w for p in known for w in p.split() if w not in _COMMON}
        return corrector

    def correct(self, text: str) -> str:
        words = _misheard_words(_WORD.findall(spoken_form(text).replace("-", " ")))
        _learn_unknown(words)
        commands = command_words()
        out: list[str] = []
        i = 0
        while i < len(words):
            exact = next((n for n in (3, 2, 1) if " ".join(words[i : i + n]) in self.known), 0)
            if exact:  # a known name or term said right ("tom baker") is never swapped for a look-alike
                out.extend(words[i : i + exact])
                i += exact
                continue
            best: tuple[float, int, str] | None = None
            for n in (3, 2, 1):
                span = words[i : i + n]
                if len(span) < n or (n == 1 and span[0].removesuffix("s") in self.name_words):
                    continue  # a word of a known name ("baker", "bakers") stays, but "tom bakker" may still match
                name_slot = n == 1 and i > 0 and words[i - 1] == "the" and (
                    span[0].endswith("s") or (i + 1 < len(words) and words[i + 1] in _NAME_CONTEXT))
                if any(" ".join(span[j:k]) in self.known for j in range(1, n) for k in range(j + 1, n + 1)):
                    continue  # "to raj patel" holds a name said right: it is matched as it is, "to" kept
                variants = self._span_variants(span)
                if not variants:
                    continue
                if name_slot and span[0].endswith("s"):  # "the petals": a family's name in the plural
                    variants += [v[:-1] for v in variants if v[-1] in ("S", "Z")]
                english = all(w in commands or w in cmudict() for w in span)
                for target_n in {n, max(1, n - 1), n + 1}:
                    for target, phrase in self.index.get(target_n, []):
                        if phrase == " ".join(span):
                            continue
                        threshold = _threshold(span, phrase, name_slot=name_slot, english=english)
                        score = max(_closeness(phones, target) for phones in variants)
                        if score >= threshold and (best is None or score > best[0]):
                            best = (score, n, phrase)
            if best is not None and not (best[1] == 1 and words[i] in self.phrases):
                out.append(best[2])
                i += best[1]
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)

    @staticmethod
    def _span_variants(span: list[str]) -> list[tuple[str, ...]]:
        """The span's sounds under each dictionary pronunciation of its words ("voices" ends in AH Z or IH Z:
        only the second is one slip from "invoices"), at most 8 combinations."""
        combos: list[tuple[str, ...]] = [()]
        for k, w in enumerate(span):
            prons = _word_variants(w)
            if not prons:
                return []
            if k < len(span) - 1:  # connected speech drops the D of "and", "end" before the next word
                prons = prons + tuple(p[:-1] for p in prons if p[-2:] == ("N", "D"))
            combos = [c + p for c in combos for p in prons][:8]
        return combos

    @staticmethod
    def _span_phones(span: list[str]) -> tuple[str, ...] | None:
        phones: list[str] = []
        for w in span:
            p = _word_phones(w)
            if p is None:
                return None
            phones.extend(p)
        return tuple(phones)


def _misheard_words(words: list[str]) -> list[str]:
    """Whisper's usual slips on this trade's commands, undone by their place in the sentence: "eight" as "a"
    after a record's noun ("reschedule job a to december 4"), "note" as "no" after "add a" ("add a no to job
    42"), "named" as "name" ("create a customer name david kim"), "at ten" as "attend" after a day
    ("thursday attend"), "stock" as "start" after "check" ("check start on ...")."""
    out = list(words)
    for k in range(1, len(out)):
        prev, nxt = out[k - 1], (out[k + 1] if k + 1 < len(out) else None)
        if out[k] == "a" and prev in ("job", "invoice", "estimate", "project", "number") and (
                nxt is None or nxt in _AFTER_NUMBER):
            out[k] = "8"
        elif out[k] == "no" and prev == "a" and k >= 2 and out[k - 2] in ("add", "put", "leave", "make"):
            out[k] = "note"
        elif out[k] == "name" and prev in ("customer", "contact", "client") and nxt not in (None, "is", "of"):
            out[k] = "named"
        elif out[k] in ("start", "stuck", "stop") and prev == "check" and nxt in ("on", "of", "for", "level"):
            out[k] = "stock"  # "check stock on ..." (a stock level is asked about; "check start on" is not English)
        elif out[k] == "attend" and (prev in _DAY_WORDS or prev.endswith("day")):
            out[k : k + 1] = ["at", "10"]
    return out


_NTH = re.compile(r"(\d{1,3})(?:st|nd|rd|th)")


def spoken_words(text: str) -> list[str]:
    """A transcript's words as said: lower case, digits as words ("42" -> forty two, "10:30" -> ten thirty,
    "9:00" -> nine, "4th" -> fourth), so "42" and "forty two" compare equal (longer digit strings stay digits)."""
    words: list[str] = []
    for token in _WORD.findall(spoken_form(text).replace("-", " ")):
        if (nth := _NTH.fullmatch(token)) is not None:
            words.extend(ordinal(int(nth.group(1))).split())
            continue
        for part in re.findall(r"\d+|[^\d:]+", token):  # "10:30" -> 10, 30; "15s" -> 15, s
            if part.isdigit() and len(part) < 7:
                words.extend(spell(int(part)).split() if part != "00" else [])
            else:
                words.append(part)
    return words


def sounds(text: str) -> tuple[str, ...]:
    """The phones of a transcript as it was said, each word in its first dictionary pronunciation (espeak-ng's
    for the rest)."""
    words = spoken_words(text)
    _learn_unknown(words)
    return tuple(p for w in words for p in (_word_phones(w) or ()))


def sound_closeness(a: str, b: str) -> float:
    """How alike two transcripts of the same audio sound, 0 to 1 (1: the same phones)."""
    return _closeness(sounds(a), sounds(b))


def _closeness(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """1 for the same sounds; consonant slips cost a full step, vowel-for-vowel slips half of one."""
    if not a or not b:
        return 0.0
    skeleton = Levenshtein.distance(
        tuple("@" if p in _VOWELS else p for p in a), tuple("@" if p in _VOWELS else p for p in b)
    )
    full = Levenshtein.distance(a, b)
    return 1.0 - (skeleton + 0.5 * max(0, full - skeleton)) / max(len(a), len(b))


def _threshold(span: list[str], phrase: str, *, name_slot: bool = False, english: bool = False) -> float:
    """How alike the sounds must be: identical for short spans and common words, a little looser for long
    spans (more phonemes, so one slip matters less). In a name's place ("the chin job", "the petals") a vowel
    slip onto a name is allowed; elsewhere an English word ("saying", "right") never becomes a name, and English
    word pairs only merge into one word or a name when nearly alike ("fine see" is no furnace, "call us" no
    Wallace). `english`: every word of the span is a dictionary or command word."""
    is_term = phrase in _TERMS
    if name_slot and not is_term:
        return min(_base_threshold(span, phrase), 0.8)
    if len(span) == 1 and english and not is_term:
        return float("inf")
    if len(span) >= 2 and (" " not in phrase or (english and not is_term)):
        return max(_base_threshold(span, phrase), 0.85)
    return _base_threshold(span, phrase)


def _base_threshold(span: list[str], phrase: str) -> float:
    common = all(w in _COMMON for w in span)
    phones = sum(len(_word_phones(w) or ()) for w in span)
    if phones <= 3:
        return 1.0
    if common:  # ordinary words give way only to a domain word that sounds nearly the same
        return 1.0 if phones < 5 or (" " not in phrase and len(span) == 1) else 0.8
    return 0.8 if phones >= 6 else 0.75


#: Words so ordinary that only a same-sounding domain word may replace them ("tailors" -> Taylors is fine,
#: "at" -> "add" is not).
_COMMON = frozenset(
    [
        "a",
        "an",
        "the",
        "at",
        "and",
        "or",
        "to",
        "too",
        "two",
        "for",
        "four",
        "of",
        "on",
        "in",
        "is",
        "it",
        "i",
        "you",
        "we",
        "he",
        "she",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "what",
        "when",
        "where",
        "who",
        "how",
        "why",
        "which",
        "yes",
        "no",
        "not",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "have",
        "has",
        "had",
        "be",
        "been",
        "was",
        "were",
        "are",
        "am",
        "get",
        "got",
        "go",
        "going",
        "come",
        "came",
        "see",
        "saw",
        "say",
        "said",
        "make",
        "made",
        "take",
        "took",
        "put",
        "give",
        "gave",
        "tell",
        "told",
        "ask",
        "call",
        "send",
        "sent",
        "book",
        "move",
        "set",
        "mark",
        "add",
        "note",
        "job",
        "jobs",
        "day",
        "days",
        "time",
        "week",
        "weeks",
        "next",
        "last",
        "first",
        "today",
        "tomorrow",
        "morning",
        "afternoon",
        "evening",
        "night",
        "one",
        "three",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "new",
        "old",
        "good",
        "great",
        "out",
        "up",
        "down",
        "over",
        "back",
        "all",
        "any",
        "some",
        "more",
        "most",
        "much",
        "many",
        "few",
        "by",
        "with",
        "from",
        "about",
        "as",
        "if",
        "then",
        "than",
        "so",
        "just",
        "now",
        "there",
        "here",
        "them",
        "him",
        "her",
        "his",
        "its",
        "end",
        "voice",
        "by",
        "buy",
        "bye",
        "right",
        "write",
        "sand",
        "red",
        "read",
    ]
)
