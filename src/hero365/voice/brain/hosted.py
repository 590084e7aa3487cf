"""A hosted brain: any OpenAI-compatible endpoint (OpenAI, Groq, vLLM, Ollama, llama.cpp) with the same tools.

The tools enforce scope, confirmation and idempotency, so a hosted model gets no more power than the local
brain; it only understands differently.
"""

from __future__ import annotations

from livekit.agents import llm

from ...config import Settings


def hosted_llm(settings: Settings) -> llm.LLM:
    from livekit.plugins import openai

    if not settings.llm_base_url and not settings.llm_api_key:
        raise RuntimeError("BRAIN=openai needs LLM_BASE_URL (an OpenAI-compatible endpoint) and/or LLM_API_KEY.")
    return openai.LLM(model=settings.llm_model, base_url=settings.llm_base_url or None,
                      api_key=settings.llm_api_key or "not-needed", temperature=0.0)
