"""A conversation and its events: what each session said and did, for owners and for analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..erp.domain.tenancy import TenantOwned


@dataclass(eq=False)
class Conversation(TenantOwned):
    business_id: int
    session_id: str
    agent: str
    channel: str
    started_at: datetime
    user_id: int | None = None
    contact_id: int | None = None
    purpose: str | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    turns: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    recording_ref: str | None = None
    id: int | None = None


@dataclass(eq=False)
class ConversationEvent(TenantOwned):
    """One thing in a conversation: a user or agent message, a tool call with its result, a handoff."""

    business_id: int
    conversation_id: int
    seq: int
    at: datetime
    kind: str
    text: str | None = None
    tool: str | None = None
    arguments: str | None = None
    error: str | None = None
    intent: str | None = None
    duration_ms: float | None = None
    id: int | None = None
