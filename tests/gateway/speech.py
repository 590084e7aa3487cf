"""Recorded commands for the voice tests: what the fake microphone (browser) or the test client (socket)
plays into the gateway, heard there by the project's own recogniser (`voice.speech.stt.make_stt`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hero365.voice.speech.audio import resample, write_wav


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
