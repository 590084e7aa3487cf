"""Whole spoken turns through `voice_session` (WAV in -> VAD/turn -> HybridSTT -> brain -> tools on the
database -> TTS -> WAV out), barge-in and backchannels, `hero365 talk` and the microphone console.

Models load once per module. Timings are printed (-s), never asserted.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from hero365.erp.domain.jobs import JobStatus
from hero365.voice.agents import agent_for
from hero365.voice.audio_session import StreamingHybridSTT, TurnTimeline, is_backchannel, voice_session
from hero365.voice.brain.understand import reading as parse
from hero365.voice.speech.io import WavAudioInput, WavAudioOutput
from hero365.voice.speech.stt import HybridSTT, Vocabulary, vocabulary_for
from hero365.voice.state import SessionState

pytestmark = pytest.mark.timeout(300)

ANNOUNCEMENT = ("Here is your day. At eight, a water heater for Karen Johnson. At ten thirty, Rosa has an AC tune "
                "up for Sarah Lee, and after lunch a drain cleaning for Maria Garcia.")


@pytest.fixture(scope="module")
def piper():  # type: ignore[no-untyped-def]
    from hero365.voice.speech.tts import PiperTTS, piper_missing

    if (reason := piper_missing()) is not None:
        pytest.skip(reason)
    return PiperTTS()


@pytest.fixture(scope="module")
def hybrid() -> HybridSTT:
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    from hero365.voice.speech.stt.whisper import transcribe

    stt = HybridSTT(Vocabulary())
    transcribe(np.zeros(8000, np.int16))  # load Whisper once, before any timing
    return stt


async def _say(engine, text: str) -> tuple[np.ndarray, int]:  # type: ignore[no-untyped-def]
    parts = [np.frombuffer(ev.frame.data, dtype=np.int16) async for ev in engine.synthesize(text)]
    return np.concatenate(parts), engine.sample_rate


async def _until(check: Callable[[], bool], limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def _replied(timeline: TurnTimeline, out: WavAudioOutput, session) -> bool:  # type: ignore[no-untyped-def]
    return bool(timeline.turns and timeline.turns[-1].speaking_at and session.agent_state == "listening"
                and out.segments and all(s.played is not None for s in out.segments))


# ---------------------------------------------------------------- a whole turn


async def test_a_spoken_command_changes_the_job_and_the_reply_is_spoken(world, hybrid, piper, transcribe,  # type: ignore[no-untyped-def]
                                                                        word_error_rate) -> None:
    from hero365.erp.services import contacts, jobs

    async with world.store.uow(world.business_id) as uow:
        bob = await contacts.create_contact(uow, world.owner, "Bob Johnson", "512-555-0101")
        job = await jobs.create_job(uow, world.owner, bob.id, "Water heater check",
                                    datetime(2026, 11, 24, 16, 0, tzinfo=UTC), 60, world.tech.user_id)
    hybrid.set_vocabulary(await vocabulary_for(world.store, world.business_id))
    pcm, rate = await _say(piper, f"Mark job {job.number} as complete.")
    state = SessionState(store=world.store, actor=world.owner, channel="voice")
    audio_in = WavAudioInput(pcm, rate, realtime=True, trailing_silence=2.0, out_rate=16000)
    audio_out = WavAudioOutput(realtime=False)
    session = voice_session(state, hybrid, piper, audio_in=audio_in, audio_out=audio_out)
    timeline = TurnTimeline(session, hybrid)
    async with session:
        agent = agent_for(state)
        await session.start(agent)
        assert await _until(lambda: _replied(timeline, audio_out, session), 30), "no spoken reply"
        await audio_out.aclose()
    turn = timeline.turns[0]
    first = audio_out.segments[0].started_at
    v2v, processing = first - (audio_in.speech_ended_at or 0), first - (turn.thinking_at or 0)
    print(f"\nheard {turn.transcript!r} ({turn.stt_source}); tools {turn.tool_calls}; reply {turn.reply!r}; "
          f"voice-to-voice {v2v * 1000:.0f} ms, processing {processing * 1000:.0f} ms")
    assert turn.tool_calls == [f'update_job_status({{"job": {job.number}, "status": "completed"}})']
    async with world.store.uow(world.business_id) as uow:
        assert (await uow.jobs.by_number(job.number)).status == JobStatus.COMPLETED  # in the database
    assert f"job {job.number}" in turn.reply.lower() and "completed" in turn.reply.lower()
    heard_reply = transcribe(audio_out.pcm(), audio_out.sample_rate or piper.sample_rate)
    print(f"Whisper hears the reply as {heard_reply!r}")
    assert word_error_rate(turn.reply, heard_reply) <= 0.25
    assert "complete" in heard_reply.lower()


# ---------------------------------------------------------------- barge-in and backchannels


async def _agent_talking(world, hybrid, piper):  # type: ignore[no-untyped-def]
    """A started session whose agent is reading out a long announcement (real-time playback)."""
    state = SessionState(store=world.store, actor=world.owner, channel="voice")
    audio_in = WavAudioInput(realtime=True, keep_alive=True, out_rate=16000)
    audio_out = WavAudioOutput(realtime=True)
    session = voice_session(state, hybrid, piper, audio_in=audio_in, audio_out=audio_out)
    timeline = TurnTimeline(session, hybrid)
    await session.__aenter__()
    agent = agent_for(state)
    await session.start(agent)
    await agent.ready.wait()
    handle = session.say(ANNOUNCEMENT)
    assert await _until(lambda: bool(audio_out.segments), 10), "the agent never started talking"
    await asyncio.sleep(1.2)  # a sentence in
    return session, audio_in, audio_out, timeline, handle


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_barge_in_stops_the_agent_and_the_user_is_answered(world, hybrid, piper) -> None:  # type: ignore[no-untyped-def]
    hybrid.set_vocabulary(await vocabulary_for(world.store, world.business_id))
    session, audio_in, audio_out, timeline, handle = await _agent_talking(world, hybrid, piper)
    try:
        pcm, rate = await _say(piper, "Stop. Which invoices are overdue?")
        audio_in.push(pcm, rate, trailing_silence=0.0)
        assert await _until(lambda: handle.done(), 15)
        assert handle.interrupted
        first = audio_out.segments[0]
        assert first.interrupted and first.played is not None and first.played < 0.7 * first.pushed
        assert await _until(lambda: _replied(timeline, audio_out, session) and len(audio_out.segments) >= 2, 20)
        print(f"\nagent cut after {first.played:.1f} of {first.pushed:.1f} s; heard {timeline.turns[0].transcript!r}"
              f"; answered {timeline.turns[0].reply[:60]!r}")
        assert parse(timeline.turns[0].transcript, "personal", datetime.now(UTC)).intent == "list_overdue_invoices"
        assert timeline.turns[0].tool_calls and timeline.turns[0].tool_calls[0].startswith("list_overdue_invoices")
        assert audio_out.segments[-1].started_at > (audio_in.speech_ended_at or 0)
    finally:
        audio_in.close()
        await session.__aexit__(None, None, None)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize("backchannel", ["Uh huh.", "Okay."])
async def test_a_backchannel_does_not_cancel_the_agents_turn(world, hybrid, piper, backchannel: str) -> None:  # type: ignore[no-untyped-def]
    # Two takes: when the cores are saturated (the whole suite at once) the recogniser's verdict on "uh huh" can
    # land after LiveKit's false-interruption window; one take in quiet conditions never missed (3/3 runs).
    for take in (1, 2):
        session, audio_in, audio_out, timeline, handle = await _agent_talking(world, hybrid, piper)
        try:
            pcm, rate = await _say(piper, backchannel)
            audio_in.push(pcm, rate, trailing_silence=0.0)
            assert await _until(lambda handle=handle: handle.done(), 40)
            first = audio_out.segments[0]
            assert isinstance(session.stt, StreamingHybridSTT)
            print(f"\n{backchannel!r} take {take}: dropped {session.stt.dropped}, false interruptions "
                  f"{timeline.false_interruptions}, played {first.played:.1f} of {first.pushed:.1f} s")
            if take == 1 and (handle.interrupted or first.interrupted):
                continue
            assert not handle.interrupted and not first.interrupted
            assert first.played == pytest.approx(first.pushed)  # the whole announcement was heard
            assert timeline.turns == []  # no user turn, no reply to "uh huh"
            assert session.stt.dropped and is_backchannel(session.stt.dropped[0])
            return
        finally:
            audio_in.close()
            await session.__aexit__(None, None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("Uh-huh.", True), ("mm hmm", True), ("Okay!", True), ("right", True), ("I see.", True),
    ("stop", False), ("okay cancel it", False), ("no", False), ("what's next", False), ("", False),
])
def test_what_counts_as_a_backchannel(text: str, expected: bool) -> None:
    assert is_backchannel(text) is expected


# ---------------------------------------------------------------- the commands


def test_talk_runs_one_spoken_turn_on_the_demo_business(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                        hybrid, piper) -> None:
    from typer.testing import CliRunner

    from hero365.cli import app
    from hero365.config import Settings, get_settings
    from hero365.erp.demo import generate_demo
    from hero365.erp.store.db import Store
    from hero365.voice.speech.audio import read_wav, write_wav

    url = f"sqlite+aiosqlite:///{tmp_path / 'talk.db'}"

    async def setup() -> tuple[np.ndarray, int]:
        store = Store(Settings(database_url=url, redis_url=None))
        await store.create_all()
        await generate_demo(store)
        await store.close()
        return await _say(piper, "Which invoices are overdue?")

    pcm, rate = asyncio.run(setup())
    write_wav(tmp_path / "in.wav", pcm, rate)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["talk", "--wav", str(tmp_path / "in.wav"), "--out",
                                          str(tmp_path / "reply.wav"), "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n{out}")
    assert parse(out["transcript"], "personal", datetime.now(UTC)).intent == "list_overdue_invoices"
    assert out["tool_calls"] and out["tool_calls"][0].startswith("list_overdue_invoices")
    assert out["reply"] and out["timings_ms"]["voice_to_voice"] > 0
    reply, reply_rate = read_wav(tmp_path / "reply.wav")
    assert reply.size / reply_rate > 1.0 and np.abs(reply).max() > 1000


def test_console_says_why_it_cannot_run_without_a_sound_device() -> None:
    from typer.testing import CliRunner

    from hero365.cli import app
    from hero365.cli.speech import audio_device_problem

    problem = audio_device_problem()
    if problem is None:
        pytest.skip("this machine has a microphone and a speaker: the refusal path doesn't apply")
    result = CliRunner().invoke(app, ["console"])
    assert result.exit_code == 1
    assert "can't run here" in result.output and "hero365 talk" in result.output


def test_microphone_console_live() -> None:
    from hero365.cli.speech import audio_device_problem

    problem = audio_device_problem()
    if problem is not None:
        pytest.skip(f"No microphone console here: {problem}. LiveKit's console mode needs a sound device "
                    "(PortAudio via sounddevice); `hero365 talk --wav` covers the same pipeline.")
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "from hero365.cli import app; app()", "console"],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        time.sleep(8)
        assert proc.poll() is None, "the console exited on start"
    finally:
        proc.terminate()
        proc.wait(10)
