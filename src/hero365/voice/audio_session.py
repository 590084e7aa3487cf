"""Spoken sessions without a LiveKit server: our own audio I/O, the offline VAD, VAD-based turns.

`voice_session(state, stt, tts)` builds the same AgentSession a LiveKit worker runs (same brain, agents and
tools), with turn-taking settings chosen by measurement (bench/voice_latency.py --turn-sweep):

- End of turn comes from the VAD (`inference.VAD()`, Silero run by livekit-local-inference, offline): a
  speech segment ends after 0.5 s of silence, is transcribed, and the turn is committed when the transcript
  is in (and at least 0.5 s after the last speech). Measured on 4 commands spoken with a pause inside them
  (0.3/0.5/0.8 s each; `bench/voice_latency.py --turn-sweep`, streaming recogniser): 0.25 s silence cut
  11/12, 0.35 s 6/12 (0.4 s delay) or 5/12 (0.6 s), 0.5 s 3/12 (only the 0.8 s pauses), and a 0.8 s delay on
  top of 0.5 s didn't help (3/12) but cost ~290 ms on every turn. A cut turn is not lost: the brain asks for
  what is missing and the rest of the sentence answers it. The end-of-turn model
  (`inference.TurnDetector()`) cut 2/12 but judged finished synthetic commands unfinished and waited its
  3 s max (v2v p50 3.1 s vs 1.3 s); it stays an option (`TurnTuning(detector="model")`).
- Barge-in: 0.5 s of speech over the agent pauses its audio; a real transcript then stops it and starts the
  user's turn (VAD interruption: LiveKit's "adaptive" detector is a hosted model).
- Backchannels ("uh huh", "okay", "right") said while the agent is talking are dropped by the recogniser
  wrapper (`StreamingHybridSTT`, or `BackchannelFilter` for other recognisers: the transcript becomes
  empty), so no user turn starts and the paused reply resumes after `false_interruption_timeout`. LiveKit's
  own `min_interruption_words` would also swallow a one-word "stop"; a phrase list lets "stop" through.
  The cost: an "okay" said over the end of the agent's own question is dropped too (say it again).
- Recognition: a HybridSTT is decoded while the user speaks (`StreamingHybridSTT`), not after.
- No preemptive generation: the local brain's decisions have effects (pending confirmations), so it runs
  once, on the committed turn.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession, APIConnectOptions, inference, stt, tts, utils, vad
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer
from livekit.agents.voice import io

from ..config import Settings
from .session import make_brain
from .speech.stt import HybridSTT
from .state import SessionState

__all__ = ["BACKCHANNELS", "BackchannelFilter", "StreamingHybridSTT", "TurnLog", "TurnTimeline", "TurnTuning",
           "is_backchannel", "make_vad", "voice_session"]

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
class TurnTuning:
    """Turn-taking knobs (seconds). Defaults are the measured choice; see the module docstring."""

    detector: Literal["vad", "model"] = "vad"
    vad_min_silence: float = 0.5  # silence that ends a VAD speech segment (and, with the STT time, the turn)
    vad_activation: float = 0.5
    vad_min_speech: float = 0.05
    min_delay: float = 0.5  # end-of-turn wait after the last speech (the transcript usually lands later)
    max_delay: float = 3.0  # the turn model's ceiling on "not finished yet"
    interrupt_min_duration: float = 0.5  # user speech over the agent that pauses it
    false_interruption_timeout: float = 1.0  # silence after which a non-turn (backchannel, noise) resumes it
    filter_backchannels: bool = True
    #: LiveKit ignores the user for the agent's first 3 s of speech while a loudspeaker's echo canceller
    #: settles. WAV, WebSocket and phone I/O have no acoustic echo path: None hears the user at once (a
    #: "stop" 1 s into the first reply was lost otherwise). The microphone console keeps 3 s.
    aec_warmup: float | None = None

    def turn_handling(self) -> dict[str, Any]:
        detection: Any = "vad" if self.detector == "vad" else inference.TurnDetector()
        return {
            "turn_detection": detection,
            "endpointing": {"mode": "fixed", "min_delay": self.min_delay, "max_delay": self.max_delay},
            "interruption": {"enabled": True, "mode": "vad", "min_duration": self.interrupt_min_duration,
                             "min_words": 0, "resume_false_interruption": True,
                             "false_interruption_timeout": self.false_interruption_timeout},
            "preemptive_generation": {"enabled": False},
        }


DEFAULT_TURN = TurnTuning()


def make_vad(tuning: TurnTuning = DEFAULT_TURN) -> vad.VAD:
    """The offline Silero VAD (livekit-local-inference); nothing is downloaded."""
    return inference.VAD(min_silence_duration=tuning.vad_min_silence, activation_threshold=tuning.vad_activation,
                         min_speech_duration=tuning.vad_min_speech)


class BackchannelFilter(stt.STT):
    """Wraps a non-streaming recogniser: a backchannel heard while the agent is mid-reply becomes an empty
    transcript, so no user turn starts and the paused reply resumes. Anything else passes unchanged."""

    def __init__(self, inner: stt.STT, agent_talking: Callable[[], bool] = lambda: False) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.inner = inner
        self.agent_talking = agent_talking
        self.dropped: list[str] = []

    @property
    def model(self) -> str:
        return self.inner.model

    @property
    def provider(self) -> str:
        return self.inner.provider

    async def _recognize_impl(self, buffer: AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions) -> stt.SpeechEvent:
        ev = await self.inner.recognize(buffer=buffer, language=language, conn_options=conn_options)
        text = ev.alternatives[0].text if ev.alternatives else ""
        if text and self.agent_talking() and is_backchannel(text):
            self.dropped.append(text)
            return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                                   alternatives=[stt.SpeechData(language="en", text="")])
        return ev


class StreamingHybridSTT(stt.STT):
    """HybridSTT decoding while the user speaks: the session's VAD marks the utterance, pocketsphinx is fed
    each 32 ms window as it is heard, so its answer is ready ~10 ms after the speech ends instead of after a
    whole-utterance decode (100-400 ms here), and the decoding never blocks the event loop for long (other
    sessions' audio keeps flowing). Whisper, when the fast path isn't sure, still runs on the whole segment.
    Backchannels said over the agent are dropped as in `BackchannelFilter`."""

    def __init__(self, hybrid: Any, vad_engine: vad.VAD, agent_talking: Callable[[], bool] = lambda: False,
                 *, filter_backchannels: bool = True) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self.hybrid, self.vad, self.agent_talking = hybrid, vad_engine, agent_talking
        self.filter_backchannels = filter_backchannels
        self.dropped: list[str] = []

    @property
    def model(self) -> str:
        return self.hybrid.model

    @property
    def provider(self) -> str:
        return self.hybrid.provider

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
        owner, hybrid = self._owner, self._owner.hybrid
        vad_stream = owner.vad.stream()

        async def forward() -> None:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    vad_stream.flush()
                else:
                    vad_stream.push_frame(item)
            vad_stream.end_input()

        async def recognize() -> None:
            from .speech.stt.sphinx import Utterance

            model, decoder = hybrid.stream_decoder()
            utt: Utterance | None = None
            async for ev in vad_stream:
                if ev.type == vad.VADEventType.START_OF_SPEECH:
                    if hybrid.domain_model is not model:  # the business's names changed
                        model, decoder = hybrid.stream_decoder()
                    utt = Utterance(decoder)
                    for f in ev.frames:  # the speech so far, with its prefix padding
                        utt.feed(bytes(f.data))
                    self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.START_OF_SPEECH))
                elif ev.type == vad.VADEventType.INFERENCE_DONE and utt is not None and ev.frames:
                    for f in ev.frames:  # each window once: the one that started speech is in START's frames
                        utt.feed(bytes(f.data))
                elif ev.type == vad.VADEventType.END_OF_SPEECH and utt is not None:
                    ended = time.time() - ev.silence_duration - ev.inference_duration
                    self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.END_OF_SPEECH,
                                                               speech_end_time=ended))
                    t0 = time.perf_counter()
                    rec = utt.finish()
                    utt = None
                    pcm = np.concatenate([np.frombuffer(bytes(f.data), dtype=np.int16) for f in ev.frames])
                    result = await hybrid.complete(rec, pcm, {"sphinx": rec.decode_ms,
                                                              "sphinx_final": (time.perf_counter() - t0) * 1000})
                    if not owner.keep(result.text):
                        continue
                    confidence = rec.confidence if result.source == "sphinx" else 0.9
                    self._event_ch.send_nowait(stt.SpeechEvent(
                        type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                        alternatives=[stt.SpeechData(language="en", text=result.text, confidence=confidence)]))

        tasks = [asyncio.create_task(forward()), asyncio.create_task(recognize())]
        try:
            await asyncio.gather(*tasks)
        finally:
            await utils.aio.cancel_and_wait(*tasks)
            await vad_stream.aclose()


def voice_session(state: SessionState, stt_engine: stt.STT | None, tts_engine: tts.TTS,
                  vad_engine: vad.VAD | None = None,
                  *, audio_in: io.AudioInput | None = None, audio_out: io.AudioOutput | None = None,
                  tuning: TurnTuning = DEFAULT_TURN, settings: Settings | None = None) -> AgentSession[SessionState]:
    """An AgentSession that hears and speaks through the given audio I/O (no room, no server).

    Call `await session.start(agent_for(state))` afterwards; the I/O is attached here, before start."""
    holder: list[AgentSession[SessionState]] = []
    brain = make_brain(lambda: holder[0].userdata, settings)  # userdata changes on handoff: read it late

    def agent_talking() -> bool:
        speech = holder[0].current_speech if holder else None
        return speech is not None and not speech.done() and not speech.interrupted

    vad_engine = vad_engine or make_vad(tuning)
    heard: stt.STT | None
    if stt_engine is None:  # typed turns only (a channel without a recogniser)
        heard = None
    elif isinstance(stt_engine, HybridSTT):
        heard = StreamingHybridSTT(stt_engine, vad_engine, agent_talking,
                                   filter_backchannels=tuning.filter_backchannels)
    else:  # another recogniser (a hosted plugin, a test double): LiveKit's adapter, backchannels filtered
        heard = BackchannelFilter(stt_engine, agent_talking) if tuning.filter_backchannels else stt_engine
    session: AgentSession[SessionState] = AgentSession(
        stt=heard, llm=brain, tts=tts_engine, vad=vad_engine, userdata=state,
        turn_handling=tuning.turn_handling(),  # type: ignore[typeddict-item]
        aec_warmup_duration=tuning.aec_warmup,
    )
    holder.append(session)
    if audio_in is not None:
        session.input.audio = audio_in
    if audio_out is not None:
        session.output.audio = audio_out
    return session


# ---------------------------------------------------------------- what happened when, per turn


@dataclass
class TurnLog:
    """One user turn and the agent's answer, stamped in time.time() seconds."""

    transcript: str = ""
    transcribed_at: float | None = None
    thinking_at: float | None = None  # the turn was committed and the brain started
    speaking_at: float | None = None  # agent state "speaking"
    tool_calls: list[str] = field(default_factory=list)
    reply: str = ""
    eou_delay: float | None = None  # VAD end of speech -> turn committed (LiveKit EOU metrics)
    transcription_delay: float | None = None
    llm_ttft: float | None = None
    tts_ttfb: float | None = None
    stt_source: str | None = None
    stt_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TurnTimeline:
    """Listens to a session's events and keeps a TurnLog per committed user turn."""

    def __init__(self, session: AgentSession[Any], stt_engine: stt.STT | None = None) -> None:
        self.turns: list[TurnLog] = []
        self.false_interruptions = 0
        self._stt = stt_engine
        self._pending = TurnLog()
        session.on("user_input_transcribed", self._on_transcribed)
        session.on("agent_state_changed", self._on_state)
        # per-stage timings (EOU, LLM, TTS); registered on the emitter itself to skip the deprecation warning
        rtc.EventEmitter.on(session, "metrics_collected", self._on_metrics)
        session.on("function_tools_executed", self._on_tools)
        session.on("conversation_item_added", self._on_item)
        session.on("agent_false_interruption", self._on_false)

    @property
    def current(self) -> TurnLog:
        return self.turns[-1] if self.turns else self._pending

    def _on_transcribed(self, ev: Any) -> None:
        if ev.is_final and ev.transcript:
            p = self._pending
            p.transcript = f"{p.transcript} {ev.transcript}".strip()
            p.transcribed_at = time.time()
            last = getattr(self._stt, "last", None)
            if last is not None:
                p.stt_source, p.stt_ms = last.source, dict(last.timings_ms)

    def _on_state(self, ev: Any) -> None:
        now = time.time()
        if ev.new_state == "thinking" and self._pending.transcript:
            self._pending.thinking_at = now
            self.turns.append(self._pending)
            self._pending = TurnLog()
        elif ev.new_state == "speaking" and self.turns and self.turns[-1].speaking_at is None:
            self.turns[-1].speaking_at = now

    def _on_metrics(self, ev: Any) -> None:
        m = ev.metrics
        kind = getattr(m, "type", "")
        if kind == "eou_metrics":
            target = self.turns[-1] if self.turns and self.turns[-1].eou_delay is None else self._pending
            target.eou_delay, target.transcription_delay = m.end_of_utterance_delay, m.transcription_delay
        elif kind == "llm_metrics" and self.turns and self.turns[-1].llm_ttft is None:
            self.turns[-1].llm_ttft = m.ttft
        elif kind == "tts_metrics" and self.turns and self.turns[-1].tts_ttfb is None:
            self.turns[-1].tts_ttfb = m.ttfb

    def _on_tools(self, ev: Any) -> None:
        if self.turns:
            self.turns[-1].tool_calls += [f"{c.name}({c.arguments})" for c in ev.function_calls]

    def _on_item(self, ev: Any) -> None:
        item = ev.item
        if getattr(item, "role", None) == "assistant" and self.turns:
            self.turns[-1].reply = f"{self.turns[-1].reply} {item.text_content or ''}".strip()

    def _on_false(self, ev: Any) -> None:
        self.false_interruptions += 1
