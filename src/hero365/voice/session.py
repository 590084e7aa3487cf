"""Session factory: an AgentSession for a channel (text now; WAV, WebSocket and phone add audio I/O)."""

from __future__ import annotations

from collections.abc import Callable

from livekit.agents import AgentSession, llm

from ..config import Settings, get_settings
from .state import SessionState


def make_brain(state: Callable[[], SessionState], settings: Settings | None = None) -> llm.LLM:
    """The configured brain: the local command engine (default), any OpenAI-compatible endpoint, or both
    (hybrid: the endpoint takes only the turns the local brain is unsure of; local alone when none is set)."""
    settings = settings or get_settings()
    if settings.brain == "openai":
        from .brain.hosted import hosted_llm

        return hosted_llm(settings)
    from .brain.local import LocalBrain

    if settings.brain == "hybrid":
        from .brain.hosted import hosted_llm
        from .brain.hybrid import HybridBrain

        configured = bool(settings.llm_base_url or settings.llm_api_key)
        return HybridBrain(LocalBrain(state), hosted_llm(settings) if configured else None)
    return LocalBrain(state)


def text_session(state: SessionState, settings: Settings | None = None) -> AgentSession[SessionState]:
    """A text-only session (chat, the gateway's send-command, tests): no audio, no turn detection."""
    holder: list[AgentSession[SessionState]] = []
    brain = make_brain(lambda: holder[0].userdata, settings)  # userdata changes on handoff: read it late
    session: AgentSession[SessionState] = AgentSession(llm=brain, userdata=state, vad=None,
                                                       turn_handling={"turn_detection": None})
    holder.append(session)
    return session
