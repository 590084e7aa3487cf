"""The phone line as session audio: 8 kHz <-> 16 kHz, 20 ms frames paced in real time, barge-in."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from livekit import rtc

from hero365.calls.telephony.phone_audio import FRAME_SAMPLES, PhoneAudioInput, PhoneAudioOutput
from hero365.voice.speech.audio import tone

pytestmark = pytest.mark.timeout(20)


def speech_frame(seconds: float, rate: int = 16000) -> rtc.AudioFrame:
    pcm = tone(440, seconds, rate, 0.3)
    return rtc.AudioFrame(pcm.tobytes(), rate, 1, pcm.size)


class Line:
    """The far end: frames as they go out, with their send times."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, bytes]] = []

    def __call__(self, frame: bytes) -> None:
        self.frames.append((time.monotonic(), frame))

    def speech(self) -> list[bytes]:
        return [f for _, f in self.frames if any(f)]


async def test_the_agents_voice_goes_out_as_20_ms_frames_at_8_khz_in_real_time() -> None:
    line = Line()
    out = PhoneAudioOutput(line, idle_silence=False)
    await out.capture_frame(speech_frame(1.0, 22050))  # a voice at 22.05 kHz: resampled to the line's rate
    out.flush()
    finished = await asyncio.wait_for(out.wait_for_playout(), 5)
    await out.aclose()
    frames = line.speech()
    assert all(len(f) == FRAME_SAMPLES * 2 for f in frames)  # 160 samples of int16
    assert len(frames) == 50 and finished.playback_position == pytest.approx(1.0) and not finished.interrupted
    span = line.frames[-1][0] - line.frames[0][0]
    assert span == pytest.approx(0.98, abs=0.08)  # paced over a second, not sent in a burst


async def test_barge_in_drops_what_the_caller_has_not_heard() -> None:
    line, cleared = Line(), []
    out = PhoneAudioOutput(line, idle_silence=True, on_clear=lambda: cleared.append(True))
    await out.capture_frame(speech_frame(3.0))
    out.flush()
    await asyncio.sleep(0.5)
    out.clear_buffer()  # the caller started talking over the agent
    finished = await asyncio.wait_for(out.wait_for_playout(), 2)
    sent = len(line.speech())
    await asyncio.sleep(0.2)
    assert finished.interrupted and finished.playback_position == pytest.approx(0.5, abs=0.1)
    assert len(line.speech()) == sent and sent < 35  # nothing of the rest goes out afterwards
    assert cleared == [True] and not out.speaking
    assert len(line.frames) > sent  # the line carries silence again
    await out.aclose()


async def test_pause_holds_the_speech_and_resume_continues_it() -> None:
    line = Line()
    out = PhoneAudioOutput(line, idle_silence=False)
    await out.capture_frame(speech_frame(0.4))
    out.flush()
    out.pause()
    await asyncio.sleep(0.3)
    held = len(line.speech())
    out.resume()
    finished = await asyncio.wait_for(out.wait_for_playout(), 2)
    await out.aclose()
    assert held <= 2 and len(line.speech()) == 20 and not finished.interrupted


async def test_the_callers_8_khz_audio_reaches_the_session_at_16_khz_and_quiet_lines_become_silence() -> None:
    mic = PhoneAudioInput()
    heard: list[np.ndarray] = []
    mic.taps.append(heard.append)
    for _ in range(10):  # 200 ms from the line
        mic.push(tone(300, 0.02, 8000, 0.3).tobytes())
    samples = 0
    while samples < 3000:
        frame = await asyncio.wait_for(mic.__anext__(), 1)
        assert frame.sample_rate == 16000
        samples += frame.samples_per_channel
    assert samples == pytest.approx(3200, abs=80) and sum(h.size for h in heard) == 1600
    quiet = await asyncio.wait_for(mic.__anext__(), 1)  # nothing arrives: time still passes for the VAD
    assert quiet.samples_per_channel >= 1600 and not any(quiet.data)
    mic.close()
    with pytest.raises(StopAsyncIteration):
        await mic.__anext__()
