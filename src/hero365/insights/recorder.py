"""Records a live session into the conversation store: messages, tool calls (with timing and errors),
intents, per-turn timings, handoffs, the outcome and the recording reference. Events are buffered in memory
and written at the end of each turn, so recording never sits on the path between the user's words and the
agent's reply.

Per-turn timings: every channel gets the response time (user message to the agent's reply) and the tool
time; voice sessions also get STT, end-of-utterance, brain (LLM time to first token), TTS (time to first
audio) and voice-to-voice from `voice.audio_session.TurnTimeline`, which this recorder attaches to any
session with a recogniser and which hands each completed turn's log to `timings()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..erp.store.db import Store
from . import metrics
from .crypto import attach
from .model import Conversation, ConversationEvent, ConversationTurn
from .tables import conversation_turns, conversations, map_insights

log = logging.getLogger(__name__)
#: The brain's intents that mean it did not understand the turn.
NOT_UNDERSTOOD = "not_understood"
FAILED_INTENTS = frozenset({"out_of_scope", NOT_UNDERSTOOD})
#: Endings that hand the conversation to a person: not resolved by the agent.
HANDOFFS = frozenset({"transferred", "transfer_requested"})
_UNSET = object()


@dataclass
class _Turn:
    row: ConversationTurn
    text: str
    started: float = field(default_factory=time.perf_counter)
    replied: bool = False
    timed: bool = False


class ConversationRecorder:
    def __init__(self, store: Store, state: Any) -> None:
        map_insights()
        attach(store)
        self.store, self.state = store, state
        self.session_id = state.session_id or uuid.uuid4().hex
        state.session_id = self.session_id
        self.conversation_id: int | None = None
        self._buffer: list[ConversationEvent] = []
        self._done_turns: list[ConversationTurn] = []
        self._open: list[_Turn] = []  # turns not yet written (waiting for their reply or voice timings)
        self._recent: list[_Turn] = []  # the last few turns, for matching late timings
        self._timed_updates: list[dict[str, Any]] = []  # timings for turns already written
        self._seq = 0
        self._turn_seq = 0
        self._counts = {"turns": 0, "tool_calls": 0, "tool_errors": 0}
        self._pending_intent: Any = _UNSET
        self._last_change: str | None = None
        self._recording: str | None = None
        self._flushing: asyncio.Task[None] | None = None
        #: True when a TurnTimeline reports voice timings for this session's turns.
        self.timed = False

    async def start(self, session: Any) -> None:
        """Open the conversation row and follow the session's items (and, with a recogniser, its turn timings)."""
        s = self.state
        async with self.store.uow(s.business_id) as uow:
            row = Conversation(business_id=s.business_id, session_id=self.session_id, agent=s.kind.value,
                               channel=s.channel, started_at=self.store.clock(), user_id=s.actor.user_id,
                               contact_id=s.actor.contact_id, purpose=s.purpose.value if s.purpose else None)
            uow.session.add(row)
            await uow.flush()
            self.conversation_id = row.id
        session.on("conversation_item_added", self._on_item)
        if getattr(session, "stt", None) is not None:
            from ..voice.audio_session import TurnTimeline

            TurnTimeline(session, session.stt)
            self.timed = True

    def _add(self, kind: str, **fields: Any) -> int:
        if self.conversation_id is None:
            return 0
        self._seq += 1
        self._buffer.append(ConversationEvent(business_id=self.state.business_id,
                                              conversation_id=self.conversation_id, seq=self._seq,
                                              at=self.store.clock(), kind=kind, **fields))
        return self._seq

    @property
    def _turn(self) -> _Turn | None:
        return self._open[-1] if self._open and not self._open[-1].replied else None

    def intent(self, intent: str | None) -> None:
        """The brain's reading of the user's last turn (None: it did not understand)."""
        self._pending_intent = intent

    def tool(self, name: str, arguments: str, output: Any, error: str | None, seconds: float) -> None:
        """A tool call: the arguments exactly as the brain sent them, what it said, and how long it took."""
        metrics.tool_call(name, error, seconds)  # Prometheus (insights.metrics): counted, timed, errors by code
        self._counts["tool_calls"] += 1
        self._counts["tool_errors"] += bool(error)
        say, parsed = None, {}
        if isinstance(output, str):
            try:
                parsed = json.loads(output)
                say = parsed.get("say")
            except (ValueError, AttributeError):
                say = output[:500]
        done = None  # the change this call completed: a confirmed one, or one that needs no confirmation
        if not error and isinstance(parsed, dict) and not parsed.get("pending"):
            if name == "confirm_action":
                done = (parsed.get("done") or {}).get("action")
            elif name in _changes() and "data" in parsed:  # carried out (a question back has no data)
                done = name
            if done:
                self._last_change = done
        turn = self._turn or (self._open[-1] if self._open else None)
        if turn is not None:
            r = turn.row
            r.tool_calls += 1
            r.tool_errors += bool(error)
            r.tool_ms = round((r.tool_ms or 0.0) + seconds * 1000, 2)
            r.action = done or r.action
            r.failed = r.failed or bool(error)
        self._add("tool", tool=name, arguments=arguments, error=error, text=say,
                  duration_ms=round(seconds * 1000, 2))

    def recording(self, ref: str) -> None:
        """Where this call's audio recording is kept (a path or URL); stored encrypted, written at close."""
        self._recording = ref

    def timings(self, log_: dict[str, Any]) -> None:
        """A voice turn's log from TurnTimeline (seconds, time.time() stamps): stage timings for its turn."""
        turn = self._match(str(log_.get("transcript") or ""))
        if turn is None:
            return
        turn.timed = True
        ms = _voice_ms(log_)
        metrics.turn_timed(self.state, ms)  # Prometheus: voice-to-voice and brain histograms
        r = turn.row
        for key, value in ms.items():
            setattr(r, key, value)
        if r.id is not None:  # already written: update it there
            self._timed_updates.append({"seq": r.seq, **ms})
        elif turn.replied:
            self._finish(turn)

    def _match(self, transcript: str) -> _Turn | None:
        """The open turn these timings belong to: the one with the same words, else the oldest untimed."""
        words = " ".join(transcript.lower().split())
        untimed = [t for t in self._recent if not t.timed]
        for t in untimed:
            if " ".join(t.text.lower().split()) == words:
                return t
        replied = [t for t in untimed if t.replied]
        return replied[0] if replied else None

    def _finish(self, turn: _Turn) -> None:
        if turn in self._open:
            self._open.remove(turn)
        if turn.row not in self._done_turns:
            self._done_turns.append(turn.row)

    def _on_item(self, ev: Any) -> None:
        item = ev.item
        if getattr(item, "type", None) != "message" or not item.text_content:
            return
        if item.role == "user":
            self._counts["turns"] += 1
            seq = self._add("user", text=item.text_content)
            for waiting in list(self._open):  # a new turn: earlier ones will get no more timings
                if waiting.replied:
                    self._finish(waiting)
            self._turn_seq += 1
            turn = _Turn(row=ConversationTurn(
                business_id=self.state.business_id, conversation_id=self.conversation_id or 0, seq=self._turn_seq,
                at=self.store.clock(), user_seq=seq or None), text=item.text_content)
            self._open.append(turn)
            self._recent = [*self._recent[-7:], turn]
        elif item.role == "assistant":
            intent = None if self._pending_intent is _UNSET else self._pending_intent
            self._add("assistant", text=item.text_content, intent=intent)
            answered = self._turn
            if answered is not None:
                answered.replied = True
                r = answered.row
                r.response_ms = round((time.perf_counter() - answered.started) * 1000, 2)
                if self._pending_intent is not _UNSET:
                    r.intent = (intent or NOT_UNDERSTOOD)[:40]
                r.failed = r.failed or r.intent in FAILED_INTENTS
                if not self.timed:  # text: the brain's share is the reply time less the tools'
                    r.brain_ms = round(max(0.0, r.response_ms - (r.tool_ms or 0.0)), 2)
                metrics.turn_answered(self.state, r, timed=self.timed)  # Prometheus: turns, response time
                if not self.timed or answered.timed:
                    self._finish(answered)
            self._pending_intent = _UNSET
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        """Write buffered events, finished turns, late timings and the running counts (one transaction)."""
        if self.conversation_id is None:
            return
        events, self._buffer = self._buffer, []
        turns, self._done_turns = self._done_turns, []
        updates, self._timed_updates = self._timed_updates, []
        try:
            async with self.store.uow(self.state.business_id) as uow:
                for event in events:
                    uow.session.add(event)
                for turn in turns:
                    turn.conversation_id = self.conversation_id
                    uow.session.add(turn)
                for update in updates:
                    seq = update.pop("seq")
                    await uow.session.execute(sa.update(conversation_turns).where(
                        conversation_turns.c.conversation_id == self.conversation_id,
                        conversation_turns.c.seq == seq).values(**update))
                await uow.session.execute(sa.update(conversations).where(
                    conversations.c.id == self.conversation_id).values(**self._counts))
        except Exception:  # recording must never break a live conversation; keep the events for the next try
            log.exception("could not record conversation events")
            self._buffer = events + self._buffer
            self._done_turns = [t for t in turns if t.id is None] + self._done_turns
            self._timed_updates = updates + self._timed_updates

    async def close(self) -> None:
        """End the conversation: flush, then stamp the end, duration, outcome, resolution and recording."""
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        for turn in list(self._open):
            self._finish(turn)
        await self.flush()
        if self.conversation_id is None:
            return
        s = self.state
        outcome = s.ended or self._last_change or "completed"
        ended = self.store.clock()
        async with self.store.uow(s.business_id) as uow:
            started = (await uow.session.execute(sa.select(conversations.c.started_at, conversations.c.turns).where(
                conversations.c.id == self.conversation_id))).one()
            last_failed = (await uow.session.execute(sa.select(conversation_turns.c.failed).where(
                conversation_turns.c.conversation_id == self.conversation_id).order_by(
                conversation_turns.c.seq.desc()).limit(1))).scalar_one_or_none()
            values: dict[str, Any] = {
                "ended_at": ended, "outcome": outcome[:60],
                "duration_s": round(max(0.0, (ended - started.started_at).total_seconds()), 3),
                "resolved": bool(started.turns) and outcome not in HANDOFFS and not last_failed}
            if self._recording is not None:
                values["recording_ref"] = self._recording
            await uow.session.execute(sa.update(conversations).where(
                conversations.c.id == self.conversation_id).values(**values))


def _seconds_ms(value: Any) -> float | None:
    return round(float(value) * 1000, 2) if isinstance(value, int | float) else None


def _voice_ms(log_: dict[str, Any]) -> dict[str, Any]:
    """TurnLog (seconds) -> the turn's stage timings (milliseconds)."""
    eou, thinking, speaking = log_.get("eou_delay"), log_.get("thinking_at"), log_.get("speaking_at")
    stt = _seconds_ms(log_.get("transcription_delay"))
    if stt is None and log_.get("stt_ms"):
        stt = round(sum(float(v) for v in log_["stt_ms"].values()), 2)
    v2v = None
    if isinstance(thinking, int | float) and isinstance(speaking, int | float):
        v2v = _seconds_ms(speaking - thinking + (eou if isinstance(eou, int | float) else 0.0))
    return {"stt_ms": stt, "eou_ms": _seconds_ms(eou), "brain_ms": _seconds_ms(log_.get("llm_ttft")),
            "tts_ms": _seconds_ms(log_.get("tts_ttfb")), "v2v_ms": v2v,
            "stt_source": (str(log_["stt_source"])[:20] if log_.get("stt_source") else None)}


def _changes() -> set[str]:
    from ..voice.tools.base import ACTIONS

    return set(ACTIONS)


async def record(session: Any, state: Any) -> ConversationRecorder:
    """Start recording a session (before `session.start`); close the recorder when the session ends."""
    recorder = ConversationRecorder(state.store, state)
    state.recorder = recorder
    await recorder.start(session)
    return recorder
