"""Request and response bodies (the OpenAPI schema clients and schemathesis read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ...voice.state import Purpose

SESSION_ID = r"^[A-Za-z0-9_-]{1,64}$"
#: Record ids as the databases store them (schemathesis found unbounded ones overflowing SQLite's INTEGER).
RecordId = Annotated[int, Field(ge=1, le=2**53)]
Hour = Annotated[int, Field(ge=0, le=24)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code: not_found, invalid_request, rate_limited, ...")
    message: str = Field(description="A sentence fit to show a person")
    request_id: str | None = None


class StartSessionIn(Strict):
    driving: bool = Field(False, description="Driving mode: one or two short sentences, long lists texted")


class StartSessionOut(BaseModel):
    mode: Literal["livekit", "websocket"]
    session_id: str
    #: LiveKit mode
    room_name: str | None = None
    access_token: str | None = None
    agent_id: str | None = None
    url: str | None = None
    #: WebSocket mode: connect to ws_url with ?token=<your token>; 16 kHz int16 mono PCM in binary frames.
    ws_url: str | None = None
    sample_rate: int | None = None
    speech_input: bool | None = Field(None, description="False when no speech recogniser is set up here")


class SendCommandIn(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="What the user says, as text")
    session_id: str | None = Field(None, pattern=SESSION_ID, description="Continue this session (omit to start one)")


class ToolCallOut(BaseModel):
    name: str
    arguments: Any
    say: str | None = None
    error: str | None = None
    proposed: bool = False
    replayed: bool = False


class PendingOut(BaseModel):
    action: str
    summary: str


class SendCommandOut(BaseModel):
    session_id: str
    reply: str
    tool_calls: list[ToolCallOut]
    pending: PendingOut | None = Field(None, description="A change waiting for a yes (say 'yes' or 'no' next)")
    ended: str | None = None


class SessionOut(BaseModel):
    session_id: str
    agent: str
    channel: str
    user_id: int | None
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    turns: int
    tool_calls: int
    tool_errors: int
    live: bool


class SessionList(BaseModel):
    sessions: list[SessionOut]
    total: int


class TranscriptEvent(BaseModel):
    seq: int
    at: datetime
    kind: str
    text: str | None = None
    tool: str | None = None
    arguments: str | None = None
    error: str | None = None
    intent: str | None = None
    duration_ms: float | None = None


class TranscriptOut(BaseModel):
    session_id: str
    events: list[TranscriptEvent]


class InitiateCallIn(Strict):
    contact_id: RecordId
    purpose: Purpose
    agent: Literal["sales", "support"] | None = Field(None, description="Chosen from the purpose when omitted")
    job_number: int | None = Field(None, ge=1, le=2**31)
    invoice_number: int | None = Field(None, ge=1, le=2**31)
    note: str | None = Field(None, max_length=500)


class CampaignIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    purpose: Purpose
    contact_ids: list[RecordId] = Field(min_length=1, max_length=5000)
    starts_at: datetime | None = None
    calling_hours: tuple[Hour, Hour] = Field((9, 20), description="Local hours of the contact, [start, end)")


class HealthOut(BaseModel):
    status: str
    checks: dict[str, bool] = {}
