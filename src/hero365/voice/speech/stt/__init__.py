"""Offline speech recognition: a domain-constrained pocketsphinx recogniser, Whisper for free text, and a
combination that keeps out-of-vocabulary speech from becoming a wrong command."""

from .corpus import Vocabulary
from .hybrid import HybridSTT, vocabulary_for

__all__ = ["HybridSTT", "Vocabulary", "make_stt", "vocabulary_for"]


def make_stt(settings=None, vocab: Vocabulary | None = None, *, speaker: str = "personal"):  # type: ignore[no-untyped-def]
    """The configured recogniser: the offline hybrid (default), or a hosted one through its LiveKit plugin."""
    from ....config import get_settings

    settings = settings or get_settings()
    choice = getattr(settings, "stt", "hybrid")
    if choice in ("hybrid", "local"):
        return HybridSTT(vocab, speaker=speaker, sphinx_min_confidence=getattr(settings, "stt_fast_confidence", 0.88),
                         whisper_context=getattr(settings, "stt_whisper_context", 10.0))
    if choice == "sphinx":
        return HybridSTT(vocab, speaker=speaker, use_whisper=False, sphinx_min_confidence=0.0)
    if choice == "deepgram":
        try:
            from livekit.plugins import deepgram  # type: ignore[import-not-found]
        except ImportError as exc:
            from ....erp.domain.errors import NotConfigured

            raise NotConfigured("Deepgram speech recognition needs livekit-plugins-deepgram installed.") from exc
        return deepgram.STT(api_key=getattr(settings, "stt_api_key", None))
    from ....erp.domain.errors import NotConfigured

    raise NotConfigured(f"Unknown speech recogniser {choice!r}: use hybrid, sphinx or deepgram.")
