"""Answering machines: the detector on recorded greetings, and whole calls to a baresip "machine"."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sip_peers import RATE, say, transcribe

from hero365.calls.bridge import PhoneSpeech, run_call, voicemail_message
from hero365.calls.telephony.base import DialRequest
from hero365.calls.voicemail import AnsweringMachineDetector, Verdict, tone_ratio
from hero365.voice.audio_session import make_vad
from hero365.voice.speech.audio import phone_band, read_wav, tone, write_wav
from hero365.voice.speech.tts import make_tts
from hero365.voice.state import Purpose

GREETING = "Hi, you've reached Bob Johnson. I can't come to the phone right now. Please leave a message after the tone."


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def on_the_line(path: Path) -> np.ndarray:
    """A recording as the phone network delivers it: band-limited and through mu-law."""
    pcm, rate = read_wav(path)
    return phone_band(pcm, rate)


async def detect(pcm: np.ndarray, chunk: int = 160) -> AnsweringMachineDetector:
    detector = AnsweringMachineDetector()
    for i in range(0, pcm.size, chunk):  # fed as RTP would deliver it
        detector.feed(pcm[i : i + chunk])
    return detector


async def test_a_person_saying_hello_is_a_human(tmp_path: Path, sip_tools: None) -> None:
    d = await detect(np.concatenate([on_the_line(say("Hello?", tmp_path / "h.wav")), quiet(2)]))
    assert d.verdict == Verdict.HUMAN and "pause" in d.result.reason
    assert d.beep_at is None


async def test_a_recorded_greeting_and_its_beep_are_a_machine(tmp_path: Path, sip_tools: None) -> None:
    greeting = on_the_line(say(GREETING, tmp_path / "g.wav", before=0.2))
    beep = phone_band(tone(1000, 0.5, RATE, 0.4), RATE)
    d = await detect(np.concatenate([greeting, quiet(0.4), beep, quiet(1.5)]))
    assert d.verdict == Verdict.MACHINE and "greeting longer" in d.result.reason  # decided before the beep
    assert d.result.greeting_s >= 3.0
    assert d.beep_at == pytest.approx((greeting.size + 0.4 * RATE) / RATE, abs=0.1)
    assert d.beep_ended.is_set()
    assert await d.wait_for_message_cue(1) == "beep"


async def test_a_machine_without_a_beep_cues_the_message_on_the_pause(tmp_path: Path, sip_tools: None) -> None:
    d = await detect(np.concatenate([on_the_line(say(GREETING, tmp_path / "g.wav")), quiet(2)]))
    assert d.verdict == Verdict.MACHINE and d.beep_at is None
    assert await d.wait_for_message_cue(0.1) == "pause"


async def test_silence_is_answered_as_a_person_and_speech_is_never_a_beep(tmp_path: Path, sip_tools: None) -> None:
    d = await detect(quiet(4.5))
    assert d.verdict == Verdict.HUMAN and "silently" in d.result.reason
    speech = on_the_line(say("Thursday at ten works, and the beep was fine too.", tmp_path / "s.wav"))
    assert (await detect(speech)).beep_at is None
    assert tone_ratio(tone(1000, 0.02, RATE), 1000) == pytest.approx(1.0, abs=0.01)


def test_the_voicemail_says_who_why_how_to_call_back_and_how_to_opt_out() -> None:
    text = voicemail_message("Hero Plumbing", "Bob", Purpose.PAYMENT_REMINDER, "512 555 0000")
    assert "automated assistant for Hero Plumbing" in text and "512 555 0000" in text
    assert "stop calling" in text and "about your account" in text and "balance" not in text


def machine_wav(tmp_path: Path) -> Path:
    greeting, _ = read_wav(say(GREETING, tmp_path / "greeting.wav", before=0.3))
    pcm = np.concatenate([greeting, quiet(0.4), tone(1000, 0.5, RATE, 0.4), quiet(25)])
    write_wav(tmp_path / "machine.wav", pcm, RATE)
    return tmp_path / "machine.wav"


@pytest.mark.timeout(90)
@pytest.mark.parametrize("policy", ["leave", "hangup"])
async def test_an_answering_machine_gets_a_compliant_voicemail_or_a_hang_up(
        world: Any, customer: Any, baresip: Any, trunk: Any, phone_settings: Any, tmp_path: Path,
        policy: str) -> None:
    phone = baresip(machine_wav(tmp_path))
    leg = await trunk.dial(DialRequest(attempt_id=1, business_id=customer.business_id, to=phone.uri,
                                       contact_id=customer.contact_id))
    voice = phone_settings.model_copy(update={"tts": "piper"})  # one message, natural voice: transcribed below
    speech = PhoneSpeech(tts=make_tts(voice, sample_rate=8000), vad=make_vad(), settings=phone_settings)
    report = await asyncio.wait_for(run_call(leg, world.store, customer.business_id, customer.contact_id,
                                             "appointment_reminder", settings=phone_settings, speech=speech,
                                             voicemail=policy), 60)
    assert report.voicemail and report.amd is not None and report.amd.verdict == Verdict.MACHINE
    assert report.hung_up_by == "agent" and report.conversation_id is None  # no conversation with a machine
    if policy == "hangup":
        assert not report.voicemail_left and leg.audio_output.speech_frames_sent == 0
        return
    assert report.voicemail_left
    heard, rate = phone.heard()
    words = transcribe(heard, rate).lower()
    assert "automated assistant" in words and "call us" in words and "stop calling" in words, words
    # spoken after the beep, not over the greeting
    assert leg.audio_output.first_speech_at is not None
    assert report.amd.beep_at_s is not None

