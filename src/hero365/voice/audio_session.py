"""Spoken sessions without a LiveKit server: our own audio I/O, the offline VAD, VAD-based turns.

`voice_session(state, stt, tts)` builds the same AgentSession a LiveKit worker runs (same brain, agents and
tools), with turn-taking settings chosen by measurement (bench/voice_latency.py --turn-sweep):

- End of turn is semantic (speech/stt/stream.py, LiveKit's "stt" turn-detection mode): the offline VAD
  (Silero via livekit-local-inference) notices a 0.15 s pause; the turn ends there when the fast path is
  sure of its words and the brain's parser reads them as a whole command, and waits longer when they are
  not: 0.3 s plus Whisper's answer (started at once, speculatively) for words the fast path isn't sure of,
  0.6 s while a note is being dictated, 1 s when the command is missing something ("invoice the ...",
  "reschedule the Chen job", a lone "stop"). If the user goes on, the words join the same turn. A fixed
  silence cut commands with pauses inside at 0.25 s (11/12 in the earlier sweep) or cost 0.5-1 s a turn;
  the end-of-turn model (`inference.TurnDetector()`, `TurnTuning(detector="model")`) waited its 3 s max
  on synthetic voices. Other recognisers fall back to VAD turns (`vad_min_silence` + `min_delay`).
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

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from livekit import rtc
from livekit.agents import AgentSession, APIConnectOptions, inference, stt, tts, vad
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer
from livekit.agents.voice import io

from ..config import Settings
from .session import make_brain
from .speech.stt import HybridSTT
from .speech.stt.stream import BACKCHANNELS, EndOfTurn, StreamingHybridSTT, is_backchannel
from .speech.tts import paced
from .state import SessionState

__all__ = ["BACKCHANNELS", "BackchannelFilter", "EndOfTurn", "InlineExecutor", "StreamingHybridSTT", "TurnLog",
           "TurnTimeline", "TurnTuning", "is_backchannel", "make_vad", "voice_session"]


@dataclass(frozen=True)
class TurnTuning:
    """Turn-taking knobs (seconds). Defaults are the measured choice; see the module docstring."""

    #: "semantic": the hybrid recogniser's stream ends the turn by what was said (speech/stt/stream.py);
    #: "vad": a fixed silence (`vad_min_silence` + `min_delay`); "model": LiveKit's turn-detector model.
    #: Recognisers other than the hybrid one fall back from "semantic" to "vad".
    detector: Literal["semantic", "vad", "model"] = "semantic"
    vad_min_silence: float = 0.15  # the shortest pause noticed; turn sweep: cut-offs as 0.2
    vad_activation: float = 0.5
    vad_min_speech: float = 0.05
    min_delay: float = 0.5  # "vad"/"model": end-of-turn wait after the last speech
    max_delay: float = 3.0  # the turn model's ceiling on "not finished yet"
    endpoint: EndOfTurn = field(default_factory=EndOfTurn)  # "semantic": the waits by how finished it sounds
    interrupt_min_duration: float = 0.5  # user speech over the agent that pauses it
    false_interruption_timeout: float = 1.0  # silence after which a non-turn (backchannel, noise) resumes it
    filter_backchannels: bool = True
    #: LiveKit ignores the user for the agent's first 3 s of speech while a loudspeaker's echo canceller
    #: settles. WAV, WebSocket and phone I/O have no acoustic echo path: None hears the user at once (a
    #: "stop" 1 s into the first reply was lost otherwise). The microphone console keeps 3 s.
    aec_warmup: float | None = None
    #: Seconds of reply audio synthesised ahead of playback (tts.paced); None: the whole reply at once, for
    #: output that isn't played in real time (`hero365 talk --out reply.wav`).
    #: A sentence at a time, 1.5 s ahead: a reply talked over after ~8 s cost 11.0 s of synthesis at 3 s / 120
    #: characters, 8.8 s at 2 s, 8.2 s at 1.2 s (bench/voice_latency.py, 8 sessions), with the same gaps in the
    #: agent's speech (5 replies of 48) at all three; 1.5 s keeps some margin for a busy machine.
    tts_lead: float | None = 1.5
    #: At most this many characters of reply text go to the voice at once (a batch is synthesised whole, so
    #: it is also what a user who talks over the reply can leave unheard beyond the lead): 1 = a sentence.
    tts_batch: int = 1

    def turn_handling(self, semantic: bool = False) -> dict[str, Any]:
        """LiveKit's options; `semantic` when the recogniser's stream owns the end of turn ("stt" mode)."""
        detection: Any = "stt" if semantic else "vad" if self.detector != "model" else inference.TurnDetector()
        return {
            "turn_detection": detection,
            "endpointing": {"mode": "fixed", "min_delay": 0.0 if semantic else self.min_delay,
                            "max_delay": self.max_delay},
            "interruption": {"enabled": True, "mode": "vad", "min_duration": self.interrupt_min_duration,
                             "min_words": 0, "resume_false_interruption": True,
                             "false_interruption_timeout": self.false_interruption_timeout},
            "preemptive_generation": {"enabled": False},
        }


DEFAULT_TURN = TurnTuning()


class InlineExecutor(Executor):
    """Runs each call at once, in the caller's thread. Silero's native predict takes ~0.03 ms a 32 ms window;
    LiveKit hands every window to a thread of its own per stream, and that hop (two per session, 31 a second
    each) cost more than the model: 10.5 CPU-ms per second of audio per stream, 5.1 run inline."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as e:  # handed to the awaiting coroutine, as a thread's would be
            done.set_exception(e)
        return done


def make_vad(tuning: TurnTuning = DEFAULT_TURN) -> vad.VAD:
    """The offline Silero VAD (livekit-local-inference); nothing is downloaded."""
    return inference.VAD(min_silence_duration=tuning.vad_min_silence, activation_threshold=tuning.vad_activation,
                         min_speech_duration=tuning.vad_min_speech, executor=InlineExecutor())


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
    semantic = tuning.detector == "semantic" and isinstance(stt_engine, HybridSTT)
    if stt_engine is None:  # typed turns only (a channel without a recogniser)
        heard = None
    elif isinstance(stt_engine, HybridSTT):  # a transcript per pause unless the stream owns the turn
        heard = StreamingHybridSTT(stt_engine, vad_engine, agent_talking,
                                   filter_backchannels=tuning.filter_backchannels,
                                   endpoint=tuning.endpoint if semantic else EndOfTurn(0, 0, 0, 0))
    else:  # another recogniser (a hosted plugin, a test double): LiveKit's adapter, backchannels filtered
        heard = BackchannelFilter(stt_engine, agent_talking) if tuning.filter_backchannels else stt_engine
    session: AgentSession[SessionState] = AgentSession(
        stt=heard, llm=brain, tts=paced(tts_engine, tuning.tts_lead, tuning.tts_batch), vad=vad_engine, userdata=state,
        turn_handling=tuning.turn_handling(semantic),  # type: ignore[typeddict-item]
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
        self._session, self._reported = session, 0
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
        elif ev.new_state == "listening" and len(self.turns) > self._reported:
            self._report()

    def _report(self) -> None:
        """The agent listens again, so the turn's log is complete: hand it to the session's conversation
        recorder (insights: per-turn timings), when one is recording."""
        done, self._reported = self.turns[self._reported:], len(self.turns)
        try:
            recorder = getattr(self._session.userdata, "recorder", None)
        except ValueError:  # a session without userdata has nothing recording it
            return
        if recorder is not None and hasattr(recorder, "timings"):
            for turn in done:
                recorder.timings(turn.as_dict())

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
