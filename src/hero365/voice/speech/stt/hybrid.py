"""The recogniser agents use: a fast domain path and a general path, combined so that speech outside the
domain does not become a wrong command.

1. pocketsphinx, constrained to this business's commands and names, decodes every utterance in a few
   milliseconds. Its answer is used only when the decoder is sure of its words AND the brain's parser reads
   it as a confident, in-domain command.
2. Otherwise Whisper transcribes the utterance (general English: notes, new names, unusual phrasing), and
   its words are snapped onto the business's vocabulary by sound ("in voice" -> invoice, "tailors" ->
   Taylors).
Critical actions are read back and confirmed anyway, so a misheard command is caught before it changes data.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectOptions, stt
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer, merge_frames

from ...brain.nlu import Lexicon
from ...brain.understand import Understanding, understand
from ..audio import resample
from .corpus import Vocabulary
from .correct import Corrector, sound_closeness
from .endpoint import Completeness, completeness
from .g2p import cmudict
from .sphinx import Decoder, DomainModel, Recognition, make_decoder, recognize
from .whisper import transcribe_async


@dataclass
class HybridResult:
    text: str
    source: str  # "sphinx", "whisper", or "sphinx+whisper" (the fast path's words, filling in Whisper's gap)
    sphinx: Recognition
    whisper_text: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


class HybridSTT(stt.STT):
    """A `livekit.agents.stt.STT`; the session's VAD finds the utterances (non-streaming recogniser)."""

    def __init__(
        self,
        vocab: Vocabulary | None = None,
        *,
        sphinx_min_confidence: float = 0.88,
        parse_min_confidence: float = 0.75,
        fill_min_confidence: float = 0.5,
        agree_min_closeness: float = 0.75,
        agree_margin: float = 0.1,
        speaker: str = "personal",
        use_whisper: bool = True,
        timezone: str = "America/Chicago",
        whisper_hotwords: bool = False,
        whisper_context: float | None = 10.0,
    ) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.sphinx_min_confidence = sphinx_min_confidence
        self.parse_min_confidence = parse_min_confidence
        self.fill_min_confidence = fill_min_confidence  # fills_in: how sure the fast path must be
        self.agree_min_closeness = agree_min_closeness  # agrees: how alike the two transcripts must sound
        self.agree_margin = agree_margin  # agrees: how much more certain the fast path's command must be
        self.speaker = speaker
        self.use_whisper = use_whisper
        self.timezone = timezone
        self.whisper_hotwords = whisper_hotwords
        self.whisper_context = whisper_context  # seconds the encoder sees (whisper.py); None: 30 s
        self.last: HybridResult | None = None
        self.set_vocabulary(vocab or Vocabulary())

    @property
    def model(self) -> str:
        return "hero365-hybrid"

    @property
    def provider(self) -> str:
        return "hero365"

    def set_vocabulary(self, vocab: Vocabulary) -> None:
        """Rebuild the domain model for this business's names (cached by content: cheap when unchanged)."""
        self.vocab = vocab
        self._model = DomainModel.build(vocab)
        self._decoder = make_decoder(self._model)
        self._corrector = Corrector.build(correction_phrases(vocab), surnames(vocab))
        self._lexicon = Lexicon(
            customers=frozenset(c.lower() for c in vocab.customers),
            products=frozenset(p.lower() for p in vocab.products),
            services=frozenset(s.lower() for s in vocab.services),
            businesses=frozenset(b.lower() for b in vocab.businesses),
        )
        names = sorted({w for c in vocab.customers for w in c.split()})
        # Whisper tiny.en with the names as hotwords (a prompt) heard worse, not better, on the held-out sets
        # (tests/unit/nlu heldout/blind, Piper voice: WER 0.135 -> 0.109 clean, 0.193 -> 0.141 in road noise,
        # 0.132 -> 0.090 on the phone band without them; intent accuracy up 4-7 points): names are snapped
        # on afterwards by the corrector instead. `whisper_hotwords=True` brings the prompt back.
        self._hotwords = (", ".join(names[:80]) or None) if self.whisper_hotwords else None

    def parse(self, text: str, now: datetime | None = None) -> Understanding:
        """The brain's reading of `text` with this business's names (what decides the fast path)."""
        moment = now or datetime.now(ZoneInfo(self.timezone))
        return understand(text, self.speaker, moment, names=self._lexicon)

    def confident(self, rec: Recognition, now: datetime | None = None) -> bool:
        return self.judge(rec, now)[0]

    def judge(self, rec: Recognition, now: datetime | None = None, *, min_confidence: float | None = None,
              speech_s: float | None = None) -> tuple[bool, Completeness]:
        """(use the fast path's words?, is the command finished?): sure of its words AND a confident,
        in-domain parse; and whether that parse is a whole command (endpoint.py), for the end of turn.
        One word for `speech_s` >= 1.2 s of audio is never sure: the decoder squeezed a phrase it did not
        know into a word it did ("transfer me to support" -> "what", at confidence 1.0)."""
        if not rec.text:
            return False, Completeness.INCOMPLETE
        p = self.parse(rec.text, now)
        floor = self.sphinx_min_confidence if min_confidence is None else min_confidence
        squeezed = speech_s is not None and speech_s >= 1.2 and len(rec.text.split()) == 1
        sure = (rec.confidence >= floor and p.intent != "out_of_scope" and not squeezed
                and p.confidence >= self.parse_min_confidence)
        return sure, completeness(rec.text, p)

    async def transcribe(self, pcm: np.ndarray, sample_rate: int) -> HybridResult:
        """One utterance of int16 mono audio at any rate."""
        t0 = time.perf_counter()
        pcm16 = resample(pcm, sample_rate, 16000) if sample_rate != 16000 else pcm
        rec = recognize(self._decoder, pcm16.astype(np.int16).tobytes())
        return await self.complete(rec, pcm16, {"sphinx": (time.perf_counter() - t0) * 1000})

    @property
    def domain_model(self) -> DomainModel:
        """The fast path's current language model (replaced by set_vocabulary)."""
        return self._model

    def stream_decoder(self) -> tuple[DomainModel, Decoder]:
        """A decoder of its own for one audio stream, which decodes while the user speaks (~20 ms to make);
        a stream makes a new one when `domain_model` is no longer the one it was made for."""
        return self._model, make_decoder(self._model)

    async def complete(self, rec: Recognition, pcm16: np.ndarray, timings: dict[str, float] | None = None
                       ) -> HybridResult:
        """The decision once the fast path has decoded an utterance (16 kHz int16 `pcm16`): its words when
        sure and in domain, else Whisper's, snapped onto the vocabulary."""
        timings = dict(timings or {})
        sure, done = self.judge(rec, speech_s=pcm16.size / 16000)
        if not self.use_whisper or (sure and done is not Completeness.INCOMPLETE):
            result = HybridResult(rec.text, "sphinx", rec, timings_ms=timings)
        else:  # not sure, or sure of a command that lacks what it needs ("cancel job number call")
            result = await self.second_opinion(rec, pcm16, timings, fast_sure=sure)
        self.last = result
        return result

    async def second_opinion(self, rec: Recognition, pcm16: np.ndarray, timings: dict[str, float] | None = None,
                             *, fast_sure: bool = False) -> HybridResult:
        """Whisper's words for the utterance, snapped onto the business's vocabulary (one shared model,
        one decode at a time: whisper.py); the fast path's words instead when they fill in what Whisper
        dropped, when both heard the same sounds and only the fast path spelt them as a command, or when the
        fast path was sure and Whisper heard no whole command either."""
        timings = dict(timings or {})
        t1 = time.perf_counter()
        heard = await transcribe_async(pcm16, self._hotwords, self.whisper_context)
        timings["whisper"] = (time.perf_counter() - t1) * 1000
        text = self._corrector.correct(heard)
        if (self.fills_in(rec, text) or self.agrees(rec, text)
                or (fast_sure and completeness(text, self.parse(text)) is Completeness.INCOMPLETE)):
            return HybridResult(rec.text, "sphinx+whisper", rec, heard, timings)
        return HybridResult(text, "whisper", rec, heard, timings)

    def agrees(self, rec: Recognition, whisper_text: str) -> bool:
        """Whisper wrote the command's own words as other English ("wug a check for 1250" for "log a check
        ...", "whether for job 18" for "weather ...", "let me talk the sales"): the two transcripts sound
        nearly the same, and the fast path's reads as a whole command a level more certain than Whisper's
        (which reads as none, a weaker reading, or the same command with no more of it: "talk the sales" is a
        person, not sales; "wug a check" is understood, but "log a check" is what was said). Speech outside the
        domain stays Whisper's:
        its words make no command and the fast path's forced words sound different."""
        if not rec.text:
            return False
        fast, slow = self.parse(rec.text), self.parse(whisper_text)
        if (fast.intent == "out_of_scope" or fast.confidence < self.parse_min_confidence
                or completeness(rec.text, fast) is Completeness.INCOMPLETE):
            return False
        if fast.intent == slow.intent:  # the same command: the fast path's words if they say all of it, and
            # either say it differently ("talk the sales" is a person, not sales) or Whisper wrote a non-word
            if not set(fast.slots) >= set(slow.slots) or (fast.slots == slow.slots and not _nonwords(whisper_text)):
                return False
        elif round(fast.confidence - slow.confidence, 6) < self.agree_margin:
            return False
        return sound_closeness(rec.text, whisper_text) >= self.agree_min_closeness

    def fills_in(self, rec: Recognition, whisper_text: str) -> bool:
        """Whisper tiny drops what it can't spell ("what's the status of invoice 1008" -> "What's the status
        of invoice?"), leaving a command without what it needs. When the fast path heard the same command
        whole, its words are taken: both heard that command, and only the fast path heard all of it. Whisper
        reading something else (out of scope, another command) still wins, so speech outside the domain stays
        outside it."""
        if not rec.text or rec.confidence < self.fill_min_confidence:
            return False
        slow, fast = self.parse(whisper_text), self.parse(rec.text)
        return (fast.intent == slow.intent != "out_of_scope"
                and completeness(whisper_text, slow) is Completeness.INCOMPLETE
                and completeness(rec.text, fast) is not Completeness.INCOMPLETE)

    async def _recognize_impl(
        self, buffer: AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN, conn_options: APIConnectOptions
    ) -> stt.SpeechEvent:
        frame: rtc.AudioFrame = merge_frames(buffer)
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        result = await self.transcribe(pcm, frame.sample_rate)
        confidence = result.sphinx.confidence if result.source == "sphinx" else 0.9
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            alternatives=[stt.SpeechData(language="en", text=result.text, confidence=confidence)],
        )


def _nonwords(text: str) -> bool:
    """Whisper spelt a sound it did not know as no English word ("wug a check")."""
    words = re.findall(r"[a-z']+", text.lower())
    known = cmudict()
    return any(w not in known and w.removesuffix("s") not in known and w.removesuffix("'s") not in known
               for w in words)


def correction_phrases(vocab: Vocabulary) -> list[str]:
    """What Whisper's words are snapped onto: the business's names and terms."""
    return [*vocab.customers, *vocab.products, *vocab.services, *vocab.technicians, *vocab.businesses]


def surnames(vocab: Vocabulary) -> list[str]:
    """Customers' last names on their own: people say "the Taylors", which Whisper writes "the tailors"."""
    return sorted({c.split()[-1] for c in vocab.customers if len(c.split()) >= 2})


async def vocabulary_for(store: Any, business_id: int) -> Vocabulary:
    """What this business's people and customers say: its contacts, products, services, team and name."""
    from ....erp.services.common import contact_index
    from ....erp.services.inventory import product_index

    async with store.uow(business_id) as uow:
        contacts = await contact_index(uow)
        products = await product_index(uow)
        members = await uow.members.all()
        business = await uow.business()
    return Vocabulary(
        customers=[n for row in contacts for n in (row["name"], row["company"]) if n],
        products=[r["name"] for r in products if r["kind"] == "part"],
        services=[r["name"] for r in products if r["kind"] == "service"],
        technicians=[m.user.name for m in members if m.user],
        businesses=[business.name],
    )
