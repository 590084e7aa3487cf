"""Text for the ear: the last pass before a TTS reads a reply aloud.

The agents already word most replies for speech (`hero365.voice.say`); this is the safety net for what
slips through (a hosted LLM's "$1,250.50", an address's "St.", a phone number) so that espeak-ng and
Piper, which read symbols literally ("dollar one thousand...", "ahvay"), say it as a person would.
"""

from __future__ import annotations

import re

__all__ = ["cardinal", "clauses", "normalize_for_speech", "ordinal", "sentence_spans", "speech_chunks",
           "split_sentences"]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
        "twelve": "twelfth"}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_MONTH_ABBR = {m[:3]: m for m in _MONTHS} | {"Sept": "September"}


def cardinal(n: int) -> str:
    """23 -> 'twenty three', 1250 -> 'one thousand two hundred fifty' (up to billions)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + cardinal(n % 100))
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            rest = n % size
            return cardinal(n // size) + " " + name + ("" if rest == 0 else " " + cardinal(rest))
    raise AssertionError("unreachable")


def ordinal(n: int) -> str:
    """3 -> 'third', 21 -> 'twenty first'."""
    words = cardinal(n).split()
    last = words[-1]
    if last in _ORD:
        words[-1] = _ORD[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _digits(s: str) -> str:
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


# ---------------------------------------------------------------- rules

def _money(m: re.Match[str]) -> str:
    neg, whole, cents, scale = m.group(1), m.group(2), m.group(3), m.group(4)
    sign = "minus " if neg else ""
    if scale:
        scale = {"k": "thousand", "K": "thousand", "M": "million", "B": "billion"}.get(scale, scale.lower())
        amount = whole + ("." + cents if cents else "")
        return f"{sign}{amount} {scale} dollars"
    dollars = int(whole.replace(",", ""))
    c = int((cents or "0").ljust(2, "0"))
    d = f"{whole} dollar{'' if dollars == 1 else 's'}"
    if c == 0:
        return sign + d
    cs = f"{c} cent{'' if c == 1 else 's'}"
    return sign + (cs if dollars == 0 else f"{d} and {cs}")


def _clock(hour: int, minute: int, suffix: str | None) -> str:
    if suffix is None and hour >= 13:
        hour, suffix = hour - 12, "PM"
    elif suffix is None and hour == 0:
        hour, suffix = 12, "AM"
    if suffix and hour == 12 and minute == 0:
        return "noon" if suffix == "PM" else "midnight"
    words = cardinal(hour % 12 or 12) if suffix else cardinal(hour)
    if minute:
        words += " " + (("oh " + _ONES[minute]) if minute < 10 else cardinal(minute))
    elif not suffix:
        words += " o'clock"
    return f"{words} {suffix}" if suffix else words


def _ends_sentence(m: re.Match[str], place: bool = True) -> str:
    """'.' when the match swallowed a full stop that also ended the sentence ("... on Elm Dr."). After a
    street a number starts the next sentence ("... Cherrywood Rd. 10 AM, job 216"); after "approx." it
    doesn't ("approx. 5 hours")."""
    rest = m.string[m.end() :]
    starts = r"\s+[A-Z0-9\"'(]" if place else r"\s+[A-Z\"'(]"
    return "." if m.group(0).endswith(".") and (not rest.strip() or re.match(starts, rest)) else ""


def _keep_stop(word: str) -> object:
    return lambda m: word + _ends_sentence(m, word in _PLACES)


def _time(m: re.Match[str]) -> str:
    suffix = (m.group(3) or "").upper() or None
    return _clock(int(m.group(1)), int(m.group(2)), suffix and suffix + "M") + _ends_sentence(m)


def _hour_ampm(m: re.Match[str]) -> str:
    return _clock(int(m.group(1)), 0, m.group(2).upper() + "M") + _ends_sentence(m)


def _date(m: re.Match[str]) -> str:
    month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    out = f"{_MONTHS[month - 1]} {ordinal(day)}"
    if year:
        out += f", {int(year) + 2000 if len(year) == 2 else int(year)}"
    return out


def _iso_date(m: re.Match[str]) -> str:
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return f"{_MONTHS[month - 1]} {ordinal(day)}, {year}"


def _phone(m: re.Match[str]) -> str:
    groups = [g for g in m.groups() if g]
    return ", ".join(_digits(g) for g in groups)


def _street_or_saint(m: re.Match[str]) -> str:
    before, after = m.group(1), m.group(2)
    saint = after and not re.search(r"(\d|[A-Z][a-z]*)\s+$", before or "")
    return (before or "") + ("Saint" if saint else "Street" + _ends_sentence(m)) + (after or "")


def _street_or_doctor(m: re.Match[str]) -> str:
    before = m.group(1)
    street = re.search(r"(\d|[A-Z][a-z]+)\s+$", before or "")
    return (before or "") + ("Drive" + _ends_sentence(m) if street else "Doctor")


_ABBREVIATIONS: list[tuple[str, str]] = [
    (r"\bAve\b\.?", "Avenue"), (r"\bBlvd\b\.?", "Boulevard"), (r"\bRd\.", "Road"), (r"\bLn\.", "Lane"),
    (r"\bCt\.", "Court"), (r"\bPkwy\b\.?", "Parkway"), (r"\bHwy\b\.?", "Highway"), (r"\bCir\.", "Circle"),
    (r"\bApt\b\.?", "apartment"), (r"\bSte\.", "Suite"), (r"\bMt\.", "Mount"), (r"\bMr\.", "Mister"),
    (r"\bMrs\.", "Missus"), (r"\bMs\.", "Miz"), (r"\bJr\.", "Junior"), (r"\bSr\.", "Senior"),
    (r"\bapprox\.", "approximately"), (r"\be\.g\.", "for example"), (r"\bi\.e\.", "that is"),
    (r"\betc\.", "et cetera"), (r"\bvs\.", "versus"), (r"\bw/o\b", "without"), (r"\bw/(?=\s)", "with"),
    (r"\bqty\b\.?", "quantity"), (r"(?<=\d)\s?hrs?\b\.?", " hours"), (r"(?<=\d)\s?mins?\b\.?", " minutes"),
    (r"(?<=\d)\s?sq\.? ?ft\b\.?", " square feet"), (r"(?<=\d)\s?ft\b\.?", " feet"),
    (r"(?<=\d)\s?gal\b\.?", " gallons"), (r"(?<=\d)\s?lbs?\b\.?", " pounds"),
    (r"(?<=\d)\s?°\s?F\b", " degrees"), (r"(?<=\d)\s?°", " degrees"),
    (r"\bTues\.", "Tuesday"), (r"\bWed\.", "Wednesday"), (r"\bThurs\.", "Thursday"),
]
_PLACES = {"Avenue", "Boulevard", "Road", "Lane", "Court", "Parkway", "Highway", "Circle"}
_TITLES = {"Mister", "Missus", "Miz", "Mount"}  # never end a sentence: their stop is not a full stop
_NEW_SENTENCE = re.compile(r"([.!?]\s+)([a-z])")
_ABBR_RE = [(re.compile(p), w if w in _TITLES else _keep_stop(w)) for p, w in _ABBREVIATIONS]
_REFERENCE_WORDS = r"(?:job|invoice|estimate|project|order|ticket|unit|apartment|suite|room|item|task|po|lot)"

_RULES: list[tuple[re.Pattern[str], object]] = [
    # markdown a hosted LLM may emit
    (re.compile(r"\[([^\]]+)\]\((?:https?://)?[^)]+\)"), r"\1"),
    (re.compile(r"(\*\*|__|`)"), ""),
    (re.compile(r"(?m)^\s*(?:#+|[-*•]|\d+\.)\s+"), ""),
    (re.compile(r"(?<!\w)\*(\S[^*]*)\*(?!\w)"), r"\1"),
    # money
    (re.compile(r"(-)?\$\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?:\s?(k|K|M|B|thousand|million|billion)\b)?"),
     _money),
    # dates before anything that reads slashes or dashes
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _iso_date),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?\b"), _date),
    # phone numbers, digit by digit
    (re.compile(r"(?<![\d$])(?:\+?1[\s.-]?)?\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-](\d{4})(?!\d)"), _phone),
    (re.compile(r"(?<![\d$])\(?(\d{3})\)?(\d{3})(\d{4})(?!\d)"), _phone),
    (re.compile(r"(?<![\d$.,-])(\d{3})-(\d{4})(?![\d-])"), _phone),
    # times
    (re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*([AaPp])\.?\s?[Mm]\b\.?)?"), _time),
    (re.compile(r"\b(1[0-2]|0?[1-9])\s?([AaPp])\.?[Mm]\b\.?"), _hour_ampm),
    # months before a day, ordinals
    (re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?(?=\s+\d)"),
     lambda m: _MONTH_ABBR[m.group(1)]),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"), lambda m: ordinal(int(m.group(1)))),
    # "Job #42" -> "Job 42"; a bare "#3" -> "number 3"
    (re.compile(rf"(?i)\b({_REFERENCE_WORDS})\s*(?:#|no\.|num\.)\s*(\d+)"), r"\1 \2"),
    (re.compile(r"#\s?(\d+)"), r"number \1"),
    # streets, saints, drives, doctors
    (re.compile(r"(\S+\s+|^)St\.?(?=\s|$|,)(\s+[A-Z][a-z]+)?"), _street_or_saint),
    (re.compile(r"(\S+\s+|^)Dr\.(?=\s|$|,)"), _street_or_doctor),
    (re.compile(r"(?<=\d )([NSEW])\.?(?= [A-Z])"), lambda m: {"N": "North", "S": "South", "E": "East",
                                                                   "W": "West"}[m.group(1)]),
    # ranges and symbols
    (re.compile(r"\b(\d+)\s?[-–]\s?(\d+)(?=\s+(?:hours?|minutes?|days?|weeks?|months?|years?|business|working"
                r"|times|people|percent|dollars|feet|gallons)\b)"), r"\1 to \2"),
    (re.compile(r"(?<=\d)\s?%"), " percent"),
    (re.compile(r"\s&\s"), " and "),
    (re.compile(r"(?<=\s)@(?=\s)"), "at"),
]


def normalize_for_speech(text: str) -> str:
    """Rewrite symbols, numbers and abbreviations the way a person reads them aloud."""
    for pattern, word in _ABBR_RE:  # first: whether "Rd." ends a sentence shows in what follows as written
        text = pattern.sub(word, text)  # type: ignore[call-overload]
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)  # type: ignore[call-overload]
    text = re.sub(r"[ \t]+", " ", text.replace("\n", " ")).strip()
    # a sentence that began "10 AM, job 216 ..." now begins "ten AM": capitalised again, it still starts a
    # sentence for split_sentences (otherwise a whole list is read as one breathless 40 s sentence)
    return _NEW_SENTENCE.sub(lambda m: m.group(1) + m.group(2).upper(), text)


# ---------------------------------------------------------------- sentences and clauses

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_CLAUSE = re.compile(r"(.*?)([.,;:!?…]+)(?=\s|$)|(.+?)$", re.S)


_TITLE_STOP = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Mt)\.$")
_NEVER_FINAL = re.compile(r"(?i)\b(?:approx|vs|e\.g|i\.e)\.$")
_BEFORE_NUMBER = re.compile(r"\b(?:No|Apt|Ste)\.$")  # "No. 5", "Apt. 4"; but "No. You have nothing today."


def sentence_spans(text: str) -> list[tuple[str, int, int]]:
    """(sentence, start, end) of written text, split where it will be spoken as separate sentences: also
    after an abbreviated street or an initial before a number or a capital ("... Cherrywood Rd. 10 AM",
    "... Avenue F. 10 AM", which a general tokenizer keeps together), never after a title before a name
    ("Dr. Smith") or an abbreviation that can't end one ("approx. 5 hours")."""
    spans: list[tuple[str, int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()]
        nxt = text[m.end() : m.end() + 1]
        if (_NEVER_FINAL.search(before) or (_TITLE_STOP.search(before) and nxt.isupper())
                or (_BEFORE_NUMBER.search(before) and nxt.isdigit())):
            continue
        if piece := text[start : m.start()].strip():
            spans.append((piece, start, m.start()))
            start = m.end()
    if piece := text[start:].strip():
        spans.append((piece, start, len(text)))
    return spans


def split_sentences(text: str) -> list[str]:
    """Sentences, so the first can be spoken while the rest are still being synthesised."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def clauses(sentence: str) -> list[tuple[str, str]]:
    """(words, terminator) pieces: punctuation followed by a space or the end closes a clause.

    A terminator run ("?!", "...") is reduced to its first mark, "…" to "." (what Piper's voices saw
    in training); a trailing piece without punctuation gets "".
    """
    out: list[tuple[str, str]] = []
    for m in _CLAUSE.finditer(sentence.strip()):
        words = (m.group(1) if m.group(2) else m.group(3) or "").strip()
        term = (m.group(2) or "")[:1].replace("…", ".")
        if words or term:
            out.append((words, term))
    return out


_PHRASE_BREAK = re.compile(r"\s(?=(?:and|but|so|because|which|who|until|for|at|on|in|with|from|about)\s)")


def _at_commas(sentence: str, longest: int = 90, shortest: int = 30) -> list[str]:
    """A sentence of more than `longest` characters cut at its commas (colons, semicolons) into pieces of
    at least `shortest`: one synthesis is never seconds of audio long, so a long reply can't hold a core
    while another session's first words wait (the pool picks what is needed soonest between pieces, not
    inside one)."""
    if len(sentence) <= longest:
        return [sentence]
    pieces: list[str] = []
    for part in re.split(r"(?<=[,;:])\s+", sentence):
        if pieces and len(pieces[-1]) < shortest:
            pieces[-1] += " " + part
        else:
            pieces.append(part)
    if len(pieces) > 1 and len(pieces[-1]) < shortest:
        pieces[-2:] = [pieces[-2] + " " + pieces[-1]]
    return pieces


def speech_chunks(text: str, first_clause_chars: int = 24, first_words: int = 3) -> list[str]:
    """Sentences to synthesise one by one; a first sentence of more than `first_words` + 1 words gives up
    its first few words early (first_clause_chars=0: never).

    Piper can't stream inside a chunk and costs ~0.05-0.1 s per second of audio here (more when the cores
    are busy), so the first chunk's length is the time to first audio. The first clause ("Okay,") goes
    first when it is short; otherwise the words before a conjunction or preposition (after at least two),
    or else the first `first_words` words: "Job two twelve | for Amanda Wright is now completed." While they
    play, the rest of the sentence is synthesised ("You have 3 | jobs today.": a small seam in the prosody
    for ~0.1 s instead of ~0.25 s to first audio).
    """
    sentences = [piece for s in split_sentences(text) for piece in _at_commas(s)]
    if not sentences or not first_clause_chars or len(sentences[0].split()) <= first_words + 1:
        return sentences
    first = sentences[0]
    m = re.match(r"(.{2,}?[,;:])\s+(.*)", first, re.S)
    head = m.group(1) if m else first
    if len(head.split()) > first_words + 1:
        breaks = [b.start() for b in _PHRASE_BREAK.finditer(head) if 2 <= len(head[: b.start()].split()) <= 5]
        head = head[: breaks[0]] if breaks else " ".join(head.split()[:first_words])
    rest = first[len(head) :].strip()
    return [head, rest, *sentences[1:]] if rest else sentences
