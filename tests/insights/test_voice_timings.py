"""A recorded spoken turn (WAV in -> VAD -> HybridSTT -> brain -> tool -> TTS -> WAV out) gets its stage
timings in the conversation store: the recorder attaches voice.audio_session.TurnTimeline to any session with
a recogniser, and the timeline hands it each completed turn's log. Timings are checked for presence and
consistency, never for speed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from hero365.insights.model import Conversation, ConversationTurn
from hero365.insights.recorder import record
from hero365.voice.agents import agent_for
from hero365.voice.state import SessionState

pytestmark = [pytest.mark.parametrize("store", ["sqlite"], indirect=True), pytest.mark.timeout(240)]


async def _until(check: Callable[[], bool], limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


async def test_a_spoken_turn_is_stored_with_its_stage_timings(world) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    from hero365.erp.services import contacts, jobs
    from hero365.voice.audio_session import voice_session
    from hero365.voice.speech.io import WavAudioInput, WavAudioOutput
    from hero365.voice.speech.stt import HybridSTT, Vocabulary, vocabulary_for
    from hero365.voice.speech.tts import PiperTTS, piper_missing

    if (reason := piper_missing()) is not None:
        pytest.skip(reason)
    piper = PiperTTS()
    async with world.store.uow(world.business_id) as uow:
        bob = await contacts.create_contact(uow, world.owner, "Bob Johnson", "512-555-0101")
        job = await jobs.create_job(uow, world.owner, bob.id, "Water heater check",
                                    datetime(2026, 11, 24, 16, 0, tzinfo=UTC), 60, world.tech.user_id)
    hybrid = HybridSTT(Vocabulary())
    hybrid.set_vocabulary(await vocabulary_for(world.store, world.business_id))
    parts = [np.frombuffer(ev.frame.data, dtype=np.int16)
             async for ev in piper.synthesize(f"Mark job {job.number} as complete.")]
    audio_in = WavAudioInput(np.concatenate(parts), piper.sample_rate, realtime=True, trailing_silence=2.0,
                             out_rate=16000)
    audio_out = WavAudioOutput(realtime=False)
    state = SessionState(store=world.store, actor=world.owner, channel="voice")
    session = voice_session(state, hybrid, piper, audio_in=audio_in, audio_out=audio_out)
    recorder = await record(session, state)
    assert recorder.timed, "a session with a recogniser gets a TurnTimeline"
    async with session:
        await session.start(agent_for(state))
        replied = await _until(lambda: bool(audio_out.segments) and session.agent_state == "listening"
                               and all(s.played is not None for s in audio_out.segments), 60)
        assert replied, "no spoken reply"
        await audio_out.aclose()
    await recorder.close()

    async with world.store.uow(world.business_id) as uow:
        conv = (await uow.session.execute(sa.select(Conversation))).scalar_one()
        turns = (await uow.session.execute(sa.select(ConversationTurn))).scalars().all()
    assert conv.channel == "voice" and conv.turns == 1 and conv.outcome == "update_job_status"
    (turn,) = turns
    assert turn.intent == "update_job_status" and turn.action == "update_job_status" and not turn.failed
    assert turn.tool_calls == 1 and turn.tool_ms is not None and turn.tool_ms > 0
    assert turn.v2v_ms is not None and turn.v2v_ms > 0, "voice to voice: end of speech to the first audio"
    assert turn.eou_ms is not None and turn.eou_ms <= turn.v2v_ms
    assert turn.brain_ms is not None and turn.tts_ms is not None
    assert turn.stt_ms is not None and turn.stt_source
    assert turn.response_ms is not None
    print(f"\nstored timings: v2v {turn.v2v_ms} ms, eou {turn.eou_ms}, stt {turn.stt_ms} ({turn.stt_source}), "
          f"brain {turn.brain_ms}, tool {turn.tool_ms}, tts {turn.tts_ms}")
