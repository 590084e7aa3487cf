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
    #: Seconds from start to end (stamped when the conversation closes).
    duration_s: float | None = None
    #: Ended without a handoff to a person and without the last turn failing (see recorder.close).
    resolved: bool | None = None
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


@dataclass(eq=False)
class ConversationTurn(TenantOwned):
    """One user turn and the agent's answer: what it was about, what it changed, whether it failed, and how
    long each stage took (milliseconds; None where the channel has no such stage, e.g. STT for typed text)."""

    business_id: int
    conversation_id: int
    seq: int
    at: datetime
    #: The conversation_events seq of the user's words (for showing a failed utterance).
    user_seq: int | None = None
    intent: str | None = None
    #: The change completed in this turn (an action's name), if any.
    action: str | None = None
    failed: bool = False
    tool_calls: int = 0
    tool_errors: int = 0
    stt_ms: float | None = None
    eou_ms: float | None = None
    brain_ms: float | None = None
    tool_ms: float | None = None
    tts_ms: float | None = None
    #: The user's message to the agent's first reply (every channel).
    response_ms: float | None = None
    #: Voice to voice: the end of the user's speech to the agent's first audio (voice channels).
    v2v_ms: float | None = None
    stt_source: str | None = None
    id: int | None = None
