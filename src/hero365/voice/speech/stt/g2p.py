"""Pronunciations for the recogniser's dictionary: CMUdict first (it ships with pocketsphinx), and for
words it lacks (new customer and street names) espeak-ng's IPA mapped onto the same ARPAbet phones."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path

from pocketsphinx import get_model_path

CMUDICT = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"

#: IPA (as espeak-ng writes it for en-us) to ARPAbet, longest symbols first.
IPA = sorted(
    {
        "aɪɚ": "AY ER",
        "aʊɚ": "AW ER",
        "ɑːɹ": "AA R",
        "ɔːɹ": "AO R",
        "oːɹ": "AO R",
        "ɛɹ": "EH R",
        "ɪɹ": "IH R",
        "ʊɹ": "UH R",
        "iə": "IY AH",
        "aɪ": "AY",
        "aʊ": "AW",
        "eɪ": "EY",
        "oʊ": "OW",
        "ɔɪ": "OY",
        "tʃ": "CH",
        "dʒ": "JH",
        "ɑː": "AA",
        "ɔː": "AO",
        "uː": "UW",
        "iː": "IY",
        "ɜː": "ER",
        "ɑ": "AA",
        "æ": "AE",
        "ʌ": "AH",
        "ə": "AH",
        "ɐ": "AH",
        "ɚ": "ER",
        "ɜ": "ER",
        "ɔ": "AO",
        "ɛ": "EH",
        "e": "EH",
        "ɪ": "IH",
        "ᵻ": "IH",
        "i": "IY",
        "o": "OW",
        "ʊ": "UH",
        "u": "UW",
        "a": "AA",
        "b": "B",
        "d": "D",
        "ð": "DH",
        "f": "F",
        "ɡ": "G",
        "g": "G",
        "h": "HH",
        "k": "K",
        "l": "L",
        "m": "M",
        "n": "N",
        "ŋ": "NG",
        "p": "P",
        "ɹ": "R",
        "r": "R",
        "s": "S",
        "ʃ": "SH",
        "t": "T",
        "θ": "TH",
        "v": "V",
        "w": "W",
        "j": "Y",
        "z": "Z",
        "ʒ": "ZH",
        "ɾ": "T",
        "x": "K",
        "ç": "HH",
        "ɬ": "L",
        "ʔ": "",
    }.items(),
    key=lambda kv: -len(kv[0]),
)
_SKIP = re.compile(r"[ˈˌːˑ̩̃‿͡\-\s]")


@functools.lru_cache(maxsize=1)
def cmudict() -> dict[str, list[str]]:
    """word -> its pronunciations (phones as space-separated ARPAbet)."""
    out: dict[str, list[str]] = {}
    with CMUDICT.open(encoding="utf-8") as fh:
        for line in fh:
            word, _, phones = line.strip().partition(" ")
            out.setdefault(re.sub(r"\(\d+\)$", "", word), []).append(phones.strip())
    return out


def ipa_to_arpabet(ipa: str) -> str:
    phones: list[str] = []
    i = 0
    while i < len(ipa):
        if _SKIP.match(ipa[i]):
            i += 1
            continue
        for sym, arpa in IPA:
            if ipa.startswith(sym, i):
                if arpa:
                    phones.extend(arpa.split())
                i += len(sym)
                break
        else:
            i += 1  # a mark we don't model
    return " ".join(phones)


def espeak_ipa(words: list[str]) -> list[str]:
    """IPA for each word, from one espeak-ng run (one word per line)."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None or not words:
        return ["" for _ in words]
    out = subprocess.run(
        [exe, "-q", "--ipa", "-v", "en-us"],
        input="\n".join(words),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.splitlines()
    out = [line.strip() for line in out if line.strip()]
    return out if len(out) == len(words) else [_one(exe, w) for w in words]


def _one(exe: str, word: str) -> str:
    return subprocess.run(
        [exe, "-q", "--ipa", "-v", "en-us", word], capture_output=True, text=True, timeout=10, check=False
    ).stdout.strip()


def spell_out(word: str) -> str:
    """Last resort for a word with no pronunciation: its letters (how people say an acronym)."""
    letters = cmudict()
    return " ".join(letters.get(ch, [""])[0] for ch in word if ch.isalpha()).strip()


def pronunciations(words: set[str]) -> dict[str, list[str]]:
    """A pronunciation (or several) for every word: CMUdict, else espeak-ng, else its letters."""
    table = cmudict()
    out = {w: table[w] for w in words if w in table}
    missing = sorted(w for w in words if w not in out)
    for word, ipa in zip(missing, espeak_ipa(missing), strict=True):
        phones = ipa_to_arpabet(ipa) or spell_out(word)
        if phones:
            out[word] = [phones]
    return out


def write_dict(words: set[str], path: Path) -> Path:
    lines = []
    for word, prons in sorted(pronunciations(words).items()):
        for i, phones in enumerate(prons):
            lines.append(f"{word}{'' if i == 0 else f'({i + 1})'} {phones}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
