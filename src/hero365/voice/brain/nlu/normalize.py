"""Turn raw text (typed or speech-recognised) into one canonical token stream.

Everything downstream matches on this form: lower case, contractions expanded, fillers gone,
"$450" -> "450 dollars", "9 a.m." -> "9 am", possessives stripped but remembered (names end there),
and punctuation dropped but remembered as clause breaks (typed commas separate name from title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import words
from .numbers import NUMBER_WORDS

_CONTRACTIONS: dict[str, str] = {
    "what's": "what is",
    "whats": "what is",
    "that's": "that is",
    "thats": "that is",
    "it's": "it is",
    "there's": "there is",
    "theres": "there is",
    "here's": "here is",
    "who's": "who is",
    "whos": "who is",
    "where's": "where is",
    "wheres": "where is",
    "how's": "how is",
    "hows": "how is",
    "when's": "when is",
    "let's": "let us",
    "he's": "he is",
    "she's": "she is",
    "now's": "now is",
    "today's": "today",
    "tomorrow's": "tomorrow",
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "we've": "we have",
    "you've": "you have",
    "youve": "you have",
    "they've": "they have",
    "weve": "we have",
    "i'll": "i will",
    "we'll": "we will",
    "you'll": "you will",
    "they'll": "they will",
    "he'll": "he will",
    "she'll": "she will",
    "it'll": "it will",
    "itll": "it will",
    "that'll": "that will",
    "i'd": "i would",
    "we'd": "we would",
    "you'd": "you would",
    "they'd": "they would",
    "he'd": "he would",
    "she'd": "she would",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "arent": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hasnt": "has not",
    "hadn't": "had not",
    "shouldn't": "should not",
    "wouldn't": "would not",
    "couldn't": "could not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "we're": "we are",
    "you're": "you are",
    "youre": "you are",
    "they're": "they are",
    "theyre": "they are",
    "y'all": "you all",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "lemme": "let me",
    "gimme": "give me",
    "ok": "okay",
    "k": "okay",
    "o'clock": "oclock",
    "followup": "follow up",
    "e-mail": "email",
    "re-order": "reorder",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "2morrow": "tomorrow",
    "thru": "through",
    "nevermind": "never mind",
    "alright": "all right",
    "canceled": "cancelled",
    "tues": "tuesday",
    "weds": "wednesday",
    "thurs": "thursday",
    "mins": "minutes",
    "hrs": "hours",
    "wont": "will not",
    "youll": "you will",
    "theyll": "they will",
    "shouldnt": "should not",
    "hr": "hour",
    "min": "minutes",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
}
_FILLERS = frozenset(
    {"uh", "um", "umm", "uhh", "uhm", "er", "erm", "ah", "ahh", "hmm", "hm", "mm", "mmm", "please", "kindly", "like,"}
)
_LEAD = frozenset({"hey", "hi", "hello", "okay", "so", "well", "yo", "there", "assistant", "hero", "right"})
_MERIDIEM_BEFORE = NUMBER_WORDS | {"oclock"}
_TOKEN = re.compile(r"\d+(?:[:.]\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]*)?|'|[,.;:?!]")
_BREAK_PUNCT = frozenset(",.;:?!")


@dataclass(frozen=True)
class Utterance:
    """A normalised utterance: tokens plus the few facts punctuation and apostrophes carried."""

    raw: str
    tokens: tuple[str, ...]
    breaks: frozenset[int]  # i where punctuation followed tokens[i]
    poss: frozenset[int]  # i where tokens[i] carried a possessive 's / s'
    colon: int | None  # index of the first token after a ':'

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def token_index(self, char: int) -> int:
        """Token index at character offset char of self.text."""
        return self.text.count(" ", 0, char)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Char span of self.text -> token span [i, j)."""
        return self.token_index(start), self.token_index(max(start, end - 1)) + 1


def _pre(text: str) -> str:
    s = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    s = re.sub(r"\b(?:uh[- ]huh|mm[- ]hmm|mhm|mm hm)\b", "yes", s)
    s = re.sub(r"\$\s?(\d+(?:\.\d+)?)(\s?k\b)?", lambda m: m.group(1) + ("000" if m.group(2) else "") + " dollars", s)
    s = re.sub(r"(\d)\s?%", r"\1 percent", s)
    s = re.sub(r"#\s?(\d)", r"number \1", s)
    s = re.sub(r"\b([ap])\.\s?m\b\.?", r"\1m", s)
    s = re.sub(r"(\d)([ap]m)\b", r"\1 \2", s)
    s = re.sub(r"\bo\s?'?\s?clock\b", "oclock", s)
    s = re.sub(r"\be-mail\b", "email", s)
    s = re.sub(r"\bper cent\b", "percent", s)
    s = s.replace("&", " and ")
    s = re.sub(r"(?<=[a-z0-9])[-/](?=[a-z0-9])", " ", s)
    s = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1\2", s)
    return s


_POLITE = (
    ("can", "you"),
    ("could", "you"),
    ("would", "you"),
    ("will", "you"),
    ("can", "u"),
    ("i", "need", "you", "to"),
    ("i", "want", "you", "to"),
    ("i", "would", "like", "you", "to"),
    ("would", "you", "mind"),
)
_NOT_ILL_AFTER = words("is was am are been very feel feeling feels got become became too so really")


def _polite_prefix(tokens: list[str]) -> int:
    """How many leading tokens are a politeness wrapper ("can you", "i need you to")."""
    for prefix in _POLITE:
        n = len(prefix)
        if tuple(tokens[:n]) == prefix and len(tokens) > n + 1:
            while n < len(tokens) - 1 and tokens[n] in ("guys", "please", "just", "also"):
                n += 1
            return n
    return 0


def normalize(text: str) -> Utterance:
    """Normalise raw text into an Utterance (see module docstring)."""
    tokens: list[str] = []
    breaks: set[int] = set()
    poss: set[int] = set()
    colon: int | None = None
    for raw_tok in _TOKEN.findall(_pre(text)):
        if raw_tok in _BREAK_PUNCT:
            if tokens:
                breaks.add(len(tokens) - 1)
                if raw_tok == ":" and colon is None:
                    colon = len(tokens)
            continue
        if raw_tok == "'":
            if tokens and tokens[-1].endswith("s"):
                poss.add(len(tokens) - 1)
            continue
        tok = _CONTRACTIONS.get(raw_tok, raw_tok)
        if raw_tok == "ill" and not (tokens and tokens[-1] in _NOT_ILL_AFTER):
            tok = "i will"
        elif raw_tok == "id" and not tokens:
            tok = "i would"
        if tok == raw_tok and "'" in tok:
            if tok.endswith("'s"):
                tok, is_poss = tok[:-2], True
            elif tok.endswith("s'"):
                tok, is_poss = tok[:-1], True
            else:
                tok, is_poss = tok.replace("'", ""), False
            tok = _CONTRACTIONS.get(tok, tok)
            if is_poss and tok:
                poss.add(len(tokens))
        for part in tok.split():
            if part in _FILLERS:
                continue
            if (
                part in ("am", "pm")
                and tokens
                and tokens[-1] in ("a", "p")
                and len(tokens) > 1
                and (tokens[-2] in _MERIDIEM_BEFORE or tokens[-2][0].isdigit())
            ):
                tokens[-1] = part
                continue
            if (
                part == "m"
                and tokens
                and tokens[-1] in ("a", "p")
                and len(tokens) > 1
                and (tokens[-2] in _MERIDIEM_BEFORE or tokens[-2][0].isdigit())
            ):
                tokens[-1] += "m"
                continue
            tokens.append(part)
    # interjection "oh" (not the digit in "one oh four")
    keep = [
        i
        for i, t in enumerate(tokens)
        if not (
            t == "oh"
            and not (0 < i < len(tokens) - 1 and tokens[i - 1] in NUMBER_WORDS and tokens[i + 1] in NUMBER_WORDS)
        )
    ]
    lead = 0
    while lead < len(keep) - 1 and tokens[keep[lead]] in _LEAD and (tokens[keep[lead]] != "there" or lead):
        lead += 1
    keep = keep[lead:]
    keep = keep[_polite_prefix([tokens[i] for i in keep]) :]
    remap = {old: new for new, old in enumerate(keep)}
    out = tuple(tokens[i] for i in keep)

    def _moved(idx: set[int]) -> frozenset[int]:
        moved = set()
        for i in idx:
            j = i
            while j >= 0 and j not in remap:
                j -= 1
            if j >= 0:
                moved.add(remap[j])
        return frozenset(moved)

    new_colon = None
    if colon is not None:
        later = [remap[i] for i in keep if i >= colon]
        new_colon = later[0] if later else None
    return Utterance(
        raw=text,
        tokens=out,
        breaks=_moved(breaks),
        poss=frozenset(remap[i] for i in poss if i in remap),
        colon=new_colon,
    )
