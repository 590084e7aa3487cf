"""The fast path: pocketsphinx constrained to this business's commands and names.

A language model built from the command templates and the business's own data (corpus.py) turns a
general-purpose recogniser that misses a quarter of words into one that gets almost all of them, instantly:
audio is decoded as it arrives, so a result is ready milliseconds after the speaker stops.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pocketsphinx import Decoder, get_model_path

from .corpus import Vocabulary, sentences, words_of
from .g2p import write_dict
from .lm import write_arpa

ACOUSTIC_MODEL = Path(get_model_path()) / "en-us" / "en-us"
CACHE = Path(tempfile.gettempdir()) / "hero365-sphinx"


@dataclass(frozen=True)
class Recognition:
    text: str
    #: Mean word posterior, 0..1 (how sure the decoder is of its words).
    confidence: float
    #: Words the decoder itself marks as noise or filler.
    words: tuple[str, ...] = ()
    decode_ms: float = 0.0


@dataclass(frozen=True)
class DomainModel:
    """A language model and dictionary on disk for one vocabulary (cached by its content)."""

    lm_path: Path
    dict_path: Path
    vocabulary_size: int
    digest: str

    @classmethod
    def build(cls, vocab: Vocabulary, per_template: int = 12) -> DomainModel:
        corpus = sentences(vocab, per_template=per_template)
        digest = hashlib.sha256("\n".join(corpus).encode()).hexdigest()[:16]
        folder = CACHE / digest
        lm, dic = folder / "domain.arpa", folder / "domain.dict"
        words = words_of(corpus)
        if not (lm.exists() and dic.exists()):
            folder.mkdir(parents=True, exist_ok=True)
            tmp_lm, tmp_dic = folder / f"domain.arpa.{threading.get_ident()}", folder / f"d.{threading.get_ident()}"
            write_arpa(corpus, tmp_lm)
            write_dict(words, tmp_dic)
            tmp_lm.replace(lm)
            tmp_dic.replace(dic)
        return cls(lm, dic, len(words), digest)


def make_decoder(model: DomainModel, sample_rate: int = 16000) -> Decoder:
    """A decoder for `model`. One search pass (fwdflat off): the second, flat-lexicon pass cost a third of the
    decode (123 -> 86 ms an utterance here) and, with a vocabulary this small, bought no accuracy
    (bench/speech_accuracy.py --quick, Piper: full match 0.894/0.835/0.835 with it, 0.882/0.847/0.871 without)."""
    return Decoder(
        hmm=str(ACOUSTIC_MODEL),
        dict=str(model.dict_path),
        lm=str(model.lm_path),
        samprate=sample_rate,
        fwdflat=False,
        loglevel="FATAL",
    )


class Utterance:
    """One utterance decoded incrementally: feed 16 kHz 16-bit mono PCM, then `finish`."""

    def __init__(self, decoder: Decoder) -> None:
        self._d = decoder
        self._started = False
        self._elapsed = 0.0

    def feed(self, pcm: bytes) -> None:
        t0 = time.perf_counter()
        if not self._started:
            self._d.start_utt()
            self._started = True
        self._d.process_raw(pcm, no_search=False, full_utt=False)
        self._elapsed += time.perf_counter() - t0

    def partial(self) -> str:
        hyp = self._d.hyp() if self._started else None
        return hyp.hypstr if hyp else ""

    def finish(self) -> Recognition:
        t0 = time.perf_counter()
        if not self._started:
            return Recognition("", 0.0)
        self._d.end_utt()
        hyp = self._d.hyp()
        text = hyp.hypstr if hyp else ""
        words, posts = [], []
        for seg in self._d.seg() or ():  # None when nothing was recognised (noise only)
            if seg.word in ("<s>", "</s>", "<sil>") or seg.word.startswith("["):
                continue
            words.append(seg.word.split("(")[0])
            posts.append(min(1.0, max(0.0, float(seg.prob))))
        confidence = math.exp(sum(math.log(max(p, 1e-6)) for p in posts) / len(posts)) if posts else 0.0
        self._elapsed += time.perf_counter() - t0
        return Recognition(text, confidence, tuple(words), self._elapsed * 1000)


def recognize(decoder: Decoder, pcm16k: bytes) -> Recognition:
    utt = Utterance(decoder)
    utt.feed(pcm16k)
    return utt.finish()
