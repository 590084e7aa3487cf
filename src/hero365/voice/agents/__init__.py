"""The four agents: personal assistant, sales and support callers, and the inbound receptionist."""

from .calls import SalesAgent, SupportAgent
from .personal import PersonalAgent
from .receptionist import ReceptionistAgent, identify_caller

__all__ = ["PersonalAgent", "ReceptionistAgent", "SalesAgent", "SupportAgent", "agent_for", "identify_caller"]


def agent_for(state, chat_ctx=None):  # type: ignore[no-untyped-def]
    """The agent class for a session's kind."""
    from ..state import AgentKind

    cls = {AgentKind.PERSONAL: PersonalAgent, AgentKind.SALES: SalesAgent, AgentKind.SUPPORT: SupportAgent,
           AgentKind.RECEPTIONIST: ReceptionistAgent}[state.kind]
    return cls(state, chat_ctx=chat_ctx)
