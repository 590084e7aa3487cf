"""The hybrid recogniser as a streaming LiveKit STT that also decides when the user's turn is over.

The stream runs its own VAD over the audio it is given: pocketsphinx is fed each 32 ms window while the
user speaks, so its words are ready a few ms after the speech stops. At every pause of `EndOfTurn.complete`
seconds (0.15 s) it asks the brain's parser what it has heard so far (endpoint.py):

- sure words (the fast path) and a whole command -> the turn ends now;
- a command still missing something ("reschedule the Chen job", "invoice the ...") -> wait up to
  `incomplete` seconds of silence; if the user goes on, the next words join the same turn. Whisper checks
  the words after the `unsure` wait (the fast path may have misheard the end of a whole command), and the
  turn ends then if they are whole;
- words the fast path isn't sure of -> Whisper starts at once on the audio so far (speculatively: if the
  user goes on, the decode is dropped, or cancelled before it starts), and the turn ends when Whisper is done
  and `unsure` seconds of silence have passed.

The session runs in LiveKit's "stt" turn-detection mode, so the turn ends exactly when this stream sends
END_OF_SPEECH (after the FINAL_TRANSCRIPT). Backchannels said while the agent talks ("uh huh") are dropped
(no transcript, no turn), and the paused reply resumes.
Under load (Whisper's queue already `busy_backlog` deep) a confident in-domain parse of the fast path is
taken at a lower word confidence instead of queueing one more decode.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit.agents import APIConnectOptions, stt, utils, vad
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer

from .endpoint import Completeness
from .hybrid import HybridResult
from .sphinx import Recognition, Utterance
from .whisper import backlog

__all__ = ["BACKCHANNELS", "EndOfTurn", "StreamingHybridSTT", "is_backchannel"]

#: Sounds and words a listener makes to show they are following, not to take the turn.
BACKCHANNELS = frozenset({
    "uh huh", "uh-huh", "mm hmm", "mhm", "mm", "hmm", "mm-hmm", "um hum", "uh hum", "okay", "ok", "right",
    "alright", "all right", "i see", "got it", "gotcha", "yeah yeah", "uh huh okay", "okay okay",
    "right right", "mhmm", "huh", "ah", "oh", "oh okay", "ah okay", "cool", "nice",
})
_FILLER = re.compile(r"[^a-z' -]+")


def is_backchannel(text: str) -> bool:
    """'Uh-huh.', 'Okay!', 'mm hmm' -> True; 'stop', 'okay cancel it' -> False."""
    words = " ".join(_FILLER.sub(" ", text.lower().replace("-", " ")).split())
    return bool(words) and (words in BACKCHANNELS or words.replace(" ", "-") in BACKCHANNELS)


@dataclass(frozen=True)
class EndOfTurn:
    """Seconds of silence after the last speech that end a turn, by how finished it sounds. `complete` is
    also the VAD's minimum silence (the shortest pause noticed at all). All zero: a transcript per pause."""

    complete: float = 0.15
    unsure: float = 0.3  # turn sweep: the same cut-offs as 0.4 (1/12), voice-to-voice p50 647 -> 595 ms
    dictating: float = 0.6
    incomplete: float = 1.0
    whisper_estimate: float = 0.25  # how long a decode takes here: a held turn starts Whisper this early
    busy_backlog: int = 2  # Whisper decodes queued at which the fast path is preferred
    busy_min_confidence: float = 0.6

    def wait(self, sure: bool, done: Completeness) -> float:
        if done is Completeness.INCOMPLETE:
            return self.incomplete
        if done is Completeness.DICTATING:
            return self.dictating
        return self.complete if sure else max(self.complete, self.unsure)


@dataclass
class _Segment:
    pcm: np.ndarray
    rec: Recognition
    ended_at: float  # time.time() of the end of its speech
    end: int  # where its audio ends in the stream, in samples


@dataclass
class _Turn:
    segments: list[_Segment] = field(default_factory=list)
    decision: asyncio.Task[None] | None = None
    whisper: asyncio.Task[HybridResult] | None = None

    def recognition(self) -> Recognition:
        texts = [s.rec.text for s in self.segments if s.rec.text]
        confs = [s.rec.confidence for s in self.segments if s.rec.text]
        words = tuple(w for s in self.segments for w in s.rec.words)
        return Recognition(" ".join(texts), min(confs) if confs else 0.0, words,
                           sum(s.rec.decode_ms for s in self.segments))

    def pcm(self) -> np.ndarray:
        return np.concatenate([s.pcm for s in self.segments])

    def resumed(self) -> None:
        """The user went on speaking: the pending decision is void (a queued decode is cancelled)."""
        for task in (self.decision, self.whisper):
            if task is not None and not task.done():
                task.cancel()
        self.decision = self.whisper = None


class StreamingHybridSTT(stt.STT):
    """HybridSTT decoding while the user speaks, and ending the turn by what was said (module docstring)."""

    def __init__(self, hybrid: Any, vad_engine: vad.VAD, agent_talking: Callable[[], bool] = lambda: False,
                 *, filter_backchannels: bool = True, endpoint: EndOfTurn | None = None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self.hybrid, self.vad, self.agent_talking = hybrid, vad_engine, agent_talking
        self.filter_backchannels = filter_backchannels
        self.endpoint = endpoint or EndOfTurn()
        self.dropped: list[str] = []
        self.last: HybridResult | None = None  # this session's latest decision (HybridSTT.last is shared)

    @property
    def model(self) -> str:
        return str(self.hybrid.model)

    @property
    def provider(self) -> str:
        return str(self.hybrid.provider)

    def keep(self, text: str) -> bool:
        """False for a backchannel heard while the agent is mid-reply (it is recorded in `dropped`)."""
        if text and self.filter_backchannels and self.agent_talking() and is_backchannel(text):
            self.dropped.append(text)
            return False
        return bool(text)

    async def _recognize_impl(self, buffer: AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions) -> stt.SpeechEvent:
        ev = await self.hybrid.recognize(buffer=buffer, language=language, conn_options=conn_options)
        text = ev.alternatives[0].text if ev.alternatives else ""
        if not self.keep(text):
            return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                                   alternatives=[stt.SpeechData(language="en", text="")])
        return ev

    def stream(self, *, language: NotGivenOr[str] = NOT_GIVEN,
               conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> stt.RecognizeStream:
        return _HybridStream(self, conn_options=conn_options)


class _HybridStream(stt.RecognizeStream):
    def __init__(self, owner: StreamingHybridSTT, *, conn_options: APIConnectOptions) -> None:
        super().__init__(stt=owner, conn_options=conn_options, sample_rate=16000)  # frames arrive at 16 kHz
        self._owner = owner

    async def _run(self) -> None:
        vad_stream = self._owner.vad.stream()

        async def forward() -> None:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    vad_stream.flush()
                else:
                    vad_stream.push_frame(item)
            vad_stream.end_input()

        tasks = [asyncio.create_task(forward()), asyncio.create_task(self._listen(vad_stream))]
        try:
            await asyncio.gather(*tasks)
        finally:
            await utils.aio.cancel_and_wait(*tasks)
            await vad_stream.aclose()

    async def _listen(self, vad_stream: vad.VADStream) -> None:
        hybrid = self._owner.hybrid
        model, decoder = hybrid.stream_decoder()
        utt: Utterance | None = None
        turn = _Turn()
        heard = 0  # samples the VAD has taken in so far: its speech buffers end here when they are sent
        start = 0  # where the current utterance's audio starts in the stream
        try:
            async for ev in vad_stream:
                if ev.type == vad.VADEventType.INFERENCE_DONE:
                    heard += sum(f.samples_per_channel for f in ev.frames)
                    if utt is not None:
                        for f in ev.frames:  # each window once: the one that started speech is in START's
                            utt.feed(bytes(f.data))
                elif ev.type == vad.VADEventType.START_OF_SPEECH:
                    if turn.decision is not None and turn.decision.done():
                        turn = _Turn()  # the last turn was sent: this is a new one
                    turn.resumed()
                    if hybrid.domain_model is not model:  # the business's names changed
                        model, decoder = hybrid.stream_decoder()
                    utt = Utterance(decoder)
                    pcm, start = _after(_pcm(ev.frames), heard, turn.segments[-1].end if turn.segments else 0)
                    utt.feed(pcm.tobytes())  # the speech so far, with what of its padding is new
                elif ev.type == vad.VADEventType.END_OF_SPEECH and utt is not None:
                    t0 = time.perf_counter()
                    rec, utt = utt.finish(), None
                    pcm = _after(_pcm(ev.frames), heard, start)[0]
                    ended = time.time() - ev.silence_duration - ev.inference_duration
                    turn.segments.append(_Segment(pcm, rec, ended, heard))
                    turn.decision = asyncio.create_task(self._decide(turn, (time.perf_counter() - t0) * 1000))
            if turn.decision is not None:  # the audio ended: the last words are still decided and sent
                await turn.decision
        finally:
            turn.resumed()

    async def _decide(self, turn: _Turn, final_ms: float) -> None:
        """End the turn now, or after the wait its words call for (cancelled if the user goes on)."""
        owner, hybrid, eot = self._owner, self._owner.hybrid, self._owner.endpoint
        rec = turn.recognition()
        ended = turn.segments[-1].ended_at
        speech_s = sum(s.pcm.size for s in turn.segments) / 16000
        sure, done = hybrid.judge(rec, speech_s=speech_s)
        timings = {"sphinx": rec.decode_ms, "sphinx_final": final_ms}
        if not sure and rec.text and done is not Completeness.INCOMPLETE and backlog() >= eot.busy_backlog:
            # busy: prefer the fast path
            sure = hybrid.judge(rec, min_confidence=eot.busy_min_confidence, speech_s=speech_s)[0]
            timings["busy"] = 1.0
        # a sure command that lacks what it needs ("cancel job number call") gets a second opinion too, in
        # the longer wait an unfinished command has anyway
        use_whisper = (not sure or done is Completeness.INCOMPLETE) and hybrid.use_whisper
        # an unfinished command heard by the fast path may be its mishearing of the end of a whole one ("how do
        # I reach Maria Garcia" as "... Maria for"): Whisper's words decide after the unsure wait, not the 1 s
        first = Completeness.COMPLETE if done is Completeness.INCOMPLETE else done
        wait = eot.wait(False, first) if use_whisper else eot.wait(True, done)
        if use_whisper:  # started as late as lets it finish by the deadline: a pause is often not the end
            await asyncio.sleep(max(0.0, ended + wait - eot.whisper_estimate - time.time()))
            turn.whisper = asyncio.create_task(hybrid.second_opinion(rec, turn.pcm(), timings, fast_sure=sure))
        await asyncio.sleep(max(0.0, ended + wait - time.time()))
        result = HybridResult(rec.text, "sphinx", rec, timings_ms=timings)
        if turn.whisper is not None:
            result = await turn.whisper
            final = hybrid.judge(Recognition(result.text, 1.0))[1]  # the final words set the wait
            await asyncio.sleep(max(0.0, ended + eot.wait(False, final) - time.time()))
        timings["eot_wait"] = (time.time() - ended) * 1000
        owner.last = hybrid.last = result
        if not owner.keep(result.text):
            return
        confidence = rec.confidence if result.source == "sphinx" else 0.9
        self._event_ch.send_nowait(stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            alternatives=[stt.SpeechData(language="en", text=result.text, confidence=confidence)]))
        self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.END_OF_SPEECH,
                                                   speech_end_time=ended))


def _pcm(frames: list[Any]) -> np.ndarray:
    return np.concatenate([np.frombuffer(bytes(f.data), dtype=np.int16) for f in frames])


def _after(buffer: np.ndarray, end: int, since: int) -> tuple[np.ndarray, int]:
    """The part of a VAD speech buffer (ending at sample `end` of the stream) from sample `since` on, and
    where it starts. After a pause shorter than the VAD's 0.5 s of padding, the next segment's padding is
    the end of the last segment's words; joined on as well, Whisper heard "tell me tell me about job 232"."""
    begin = end - buffer.size
    skip = min(buffer.size, max(0, since - begin))
    return buffer[skip:], begin + skip
