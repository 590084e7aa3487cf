"""Spoken and written numbers.

Speech recognisers write numbers as words ("job forty two", "two fifty", "one oh four", "a dozen"),
so every numeric slot goes through this grammar rather than int().
"""

from __future__ import annotations

import re
from collections.abc import Sequence

UNITS: dict[str, int] = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000, "grand": 1000, "million": 1_000_000, "dozen": 12}
NUMBER_WORDS = frozenset(UNITS) | frozenset(TEENS) | frozenset(TENS) | frozenset(SCALES)

_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")
# A regex fragment matching one spoken or written number (used inside bigger patterns).
_WORD_ALT = "|".join(sorted(NUMBER_WORDS - {"grand"}, key=len, reverse=True))
NUM_RE = rf"(?:\d+(?:\.\d+)?|(?:{_WORD_ALT})(?: (?:and )?(?:{_WORD_ALT}))*)"


def _chunks(words: Sequence[str]) -> list[tuple[str, int]] | None:
    """Group words into ('n', 0-99) small numbers and ('s', scale) multipliers; None if malformed."""
    out: list[tuple[str, int]] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in TENS:
            value = TENS[w]
            if i + 1 < len(words) and words[i + 1] in UNITS and UNITS[words[i + 1]] > 0:
                value += UNITS[words[i + 1]]
                i += 1
            out.append(("n", value))
        elif w in TEENS:
            out.append(("n", TEENS[w]))
        elif w in UNITS:
            out.append(("d" if w in ("oh", "zero") else "n", UNITS[w]))
        elif w in SCALES:
            out.append(("s", SCALES[w]))
        elif w == "and":
            out.append(("&", 0))
        elif w in ("a", "an"):
            out.append(("n", 1))
        else:
            return None
        i += 1
    return out


def _scaled(chunks: list[tuple[str, int]]) -> int | None:
    """'three hundred twenty five', 'two thousand and six', 'a dozen'."""
    total = current = 0
    last = ""
    for kind, value in chunks:
        if kind in ("n", "d"):
            if last in ("n", "d") or (current % 100 and last != "&") or value >= 100:
                return None
            current += value
        elif kind == "s":
            if last == "&" or last == "":
                return None
            if value >= 1000:
                total += (current or 1) * value
                current = 0
            else:
                current = (current or 1) * value
        elif kind == "&" and last != "s":
            return None
        last = kind
    return None if last == "&" else total + current


def _words_value(words: Sequence[str]) -> int | None:
    chunks = _chunks(words)
    if not chunks:
        return None
    if chunks[0][0] == "d" and words[0] == "oh":
        return None
    if any(kind in ("s", "&") for kind, _ in chunks):
        return _scaled(chunks)
    values = [v for _, v in chunks]
    if len(values) == 1:
        return values[0]
    if all(v < 10 for v in values) and all(w in UNITS for w in words):
        return int("".join(str(v) for v in values))  # "one oh four", "four four one two"
    if len(values) == 2 and 1 <= values[0] <= 99 and 10 <= values[1] <= 99:
        return values[0] * 100 + values[1]  # "two fifty", "twelve fifty", "ten fifteen"
    if len(values) == 3 and chunks[1][0] == "d" and values[2] < 10 and values[0] >= 1:
        return values[0] * 100 + values[2]  # "nine oh five"
    return None


def _run_end(tokens: Sequence[str], i: int) -> int:
    """End of the longest run of number-ish tokens starting at i."""
    j = i
    n = len(tokens)
    while j < n:
        t = tokens[j]
        if (
            (t in NUMBER_WORDS and not (t == "grand" and j == i))
            or (t == "and" and j > i and tokens[j - 1] in SCALES and j + 1 < n and tokens[j + 1] in NUMBER_WORDS)
            or (t in ("a", "an") and j == i and j + 1 < n and tokens[j + 1] in SCALES)
        ):
            j += 1
        else:
            break
    return j


def read_number(tokens: Sequence[str], i: int) -> tuple[int | float, int] | None:
    """Read the longest number starting at tokens[i]; return (value, end index) or None."""
    if i >= len(tokens):
        return None
    tok = tokens[i].replace(",", "")
    if _DIGITS.match(tok):
        value: float = float(tok)
        j = i + 1
        if j < len(tokens) and tokens[j] in SCALES:
            value *= SCALES[tokens[j]]
            j += 1
        return (int(value) if value == int(value) else value), j
    end = _run_end(tokens, i)
    for k in range(end, i, -1):
        words_value = _words_value(tokens[i:k])
        if words_value is not None:
            return words_value, k
    return None


def parse_number(text: str) -> int | float | None:
    """Whole-string number: '1,250' -> 1250, 'two fifty' -> 250, 'a dozen' -> 12; else None."""
    cleaned = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower().strip())
    cleaned = re.sub(r"[$-]", " ", cleaned)
    tokens = re.findall(r"\d+(?:\.\d+)?|[a-z]+", cleaned)
    if not tokens:
        return None
    found = read_number(tokens, 0)
    if found is None or found[1] != len(tokens):
        return None
    return found[0]


def find_numbers(tokens: Sequence[str], taken: set[int] | None = None) -> list[tuple[int, int, int | float]]:
    """Every maximal number in tokens as (start, end, value); a number never runs into a taken index."""
    taken = taken or set()
    out: list[tuple[int, int, int | float]] = []
    i = 0
    while i < len(tokens):
        if i in taken or tokens[i] == "oh":
            i += 1
            continue
        limit = min((k for k in taken if k > i), default=len(tokens))
        found = read_number(tokens[:limit], i)
        if found is None:
            i += 1
            continue
        out.append((i, found[1], found[0]))
        i = found[1]
    return out
