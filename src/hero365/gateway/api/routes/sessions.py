"""Agent sessions of a business, from the conversation store: list, detail, end, transcript.

Members see their own sessions; owner and office see every session of the business (calling agents' too).
Another business's session, or a colleague's for a technician, is "not found".
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ....erp.domain.errors import NotFound
from ....erp.domain.tenancy import Actor
from ....insights.crypto import attach
from ....insights.model import Conversation, ConversationEvent, ConversationTurn
from ....insights.tables import conversation_events, conversation_turns, conversations, map_insights
from ...errors import ApiError
from ..deps import CurrentActor, GatewayDep
from ..schemas import SESSION_ID, ErrorOut, SessionOut, TranscriptEvent, TranscriptOut

router = APIRouter(prefix="/api/v1/voice-agents/sessions", tags=["sessions"])
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (400, 401, 403, 404, 422, 429)}
SessionPath = Annotated[str, Path(pattern=SESSION_ID, description="The session id")]


class SessionDetail(SessionOut):
    purpose: str | None = None
    contact_id: int | None = None
    duration_s: float | None = None
    resolved: bool | None = Field(None, description="Ended without a handoff and without a failed last turn")


class SessionPage(BaseModel):
    sessions: list[SessionDetail]
    total: int


class TurnOut(BaseModel):
    """One turn's reading and timings (milliseconds; null where the channel has no such stage)."""

    seq: int
    intent: str | None
    action: str | None
    failed: bool
    tool_calls: int
    tool_errors: int
    response_ms: float | None
    v2v_ms: float | None
    stt_ms: float | None
    eou_ms: float | None
    brain_ms: float | None
    tool_ms: float | None
    tts_ms: float | None


class TranscriptDetail(TranscriptOut):
    turns: list[TurnOut] = Field(default_factory=list)
    recording_ref: str | None = Field(None, description="Where the call's audio recording is kept (calls only)")


def _visible(actor: Actor) -> Any:
    """The conversations this member may read (the business scope itself is the store's)."""
    c = conversations.c
    return sa.true() if actor.sees_all_jobs else c.user_id == actor.user_id


def _out(row: Conversation, live: bool) -> SessionDetail:
    return SessionDetail(session_id=row.session_id, agent=row.agent, channel=row.channel, user_id=row.user_id,
                         started_at=row.started_at, ended_at=row.ended_at, outcome=row.outcome, turns=row.turns,
                         tool_calls=row.tool_calls, tool_errors=row.tool_errors, live=live, purpose=row.purpose,
                         contact_id=row.contact_id, duration_s=row.duration_s, resolved=row.resolved)


async def _find(gw: GatewayDep, actor: Actor, session_id: str) -> Conversation:
    map_insights()
    attach(gw.store)  # the transcript and recording reference are decrypted on read
    async with gw.store.uow(actor.business_id) as uow:
        row = (await uow.session.execute(sa.select(Conversation).where(
            conversations.c.session_id == session_id, _visible(actor)))).scalar_one_or_none()
    if row is None:
        raise NotFound("There is no session with that id.")
    return row


def _is_live(gw: GatewayDep, row: Conversation) -> bool:
    live = gw.sessions.peek(row.session_id)
    return live is not None and not live.closed and live.business_id == row.business_id


@router.get("", response_model=SessionPage, responses=ERRORS)
async def list_sessions(gw: GatewayDep, actor: CurrentActor,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50,
                        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                        live_only: bool = False) -> SessionPage:
    """The business's sessions, newest first (a technician sees their own)."""
    map_insights()
    where = [_visible(actor)]
    if live_only:
        ids = [s.id for s in list(gw.sessions._live.values()) if s.business_id == actor.business_id]
        where.append(conversations.c.session_id.in_(ids))
    async with gw.store.uow(actor.business_id) as uow:
        total = (await uow.session.execute(sa.select(sa.func.count()).select_from(Conversation).where(
            *where))).scalar_one()
        rows = (await uow.session.execute(sa.select(Conversation).where(*where).order_by(
            conversations.c.started_at.desc(), conversations.c.id.desc()).limit(limit).offset(offset))).scalars().all()
    return SessionPage(sessions=[_out(r, _is_live(gw, r)) for r in rows], total=int(total))


@router.get("/{session_id}", response_model=SessionDetail, responses=ERRORS)
async def session_detail(session_id: SessionPath, request: Request, gw: GatewayDep, actor: CurrentActor
                         ) -> SessionDetail:
    request.state.session_id = session_id
    row = await _find(gw, actor, session_id)
    return _out(row, _is_live(gw, row))


@router.post("/{session_id}/end", response_model=SessionDetail, responses=ERRORS)
async def end_session(session_id: SessionPath, request: Request, gw: GatewayDep, actor: CurrentActor
                      ) -> SessionDetail:
    """End a live session: a member their own, owner and office any of the business's. The record gets its end
    time and outcome."""
    request.state.session_id = session_id
    live = gw.sessions.peek(session_id)
    if live is None or live.business_id != actor.business_id or (
            live.user_id != actor.user_id and not actor.sees_all_jobs):
        row = await _find(gw, actor, session_id)  # 404 unless visible
        raise ApiError(409, "not_live", "That session has already ended.", ended_at=str(row.ended_at or ""))
    await gw.sessions.end(session_id)
    try:
        return _out(await _find(gw, actor, session_id), False)
    except NotFound:  # a voice session whose socket never connected has no record
        now = gw.store.clock()
        return SessionDetail(session_id=session_id, agent="personal", channel="web", user_id=live.user_id,
                             started_at=now, ended_at=now, outcome="never connected", turns=0, tool_calls=0,
                             tool_errors=0, live=False, resolved=None)


@router.get("/{session_id}/transcript", response_model=TranscriptDetail, responses=ERRORS)
async def transcript(session_id: SessionPath, request: Request, gw: GatewayDep, actor: CurrentActor
                     ) -> TranscriptDetail:
    """What was said and done, in order: user and agent messages, each tool call with its outcome, and each
    turn's intent and timings. Stored encrypted; decrypted here for the members who may read it."""
    request.state.session_id = session_id
    row = await _find(gw, actor, session_id)
    live = gw.sessions.peek(session_id)
    if live is not None and live.recorder is not None and not live.closed:
        await live.recorder.flush()  # a live session's latest turn may still be buffered
    async with gw.store.uow(actor.business_id) as uow:
        events = (await uow.session.execute(sa.select(ConversationEvent).where(
            conversation_events.c.conversation_id == row.id).order_by(conversation_events.c.seq))).scalars().all()
        turns = (await uow.session.execute(sa.select(ConversationTurn).where(
            conversation_turns.c.conversation_id == row.id).order_by(conversation_turns.c.seq))).scalars().all()
    return TranscriptDetail(session_id=session_id, events=[TranscriptEvent(
        seq=e.seq, at=e.at, kind=e.kind, text=e.text, tool=e.tool, arguments=e.arguments, error=e.error,
        intent=e.intent, duration_ms=e.duration_ms) for e in events], recording_ref=row.recording_ref, turns=[
        TurnOut(seq=t.seq, intent=t.intent, action=t.action, failed=t.failed, tool_calls=t.tool_calls,
                tool_errors=t.tool_errors, response_ms=t.response_ms, v2v_ms=t.v2v_ms, stt_ms=t.stt_ms,
                eou_ms=t.eou_ms, brain_ms=t.brain_ms, tool_ms=t.tool_ms, tts_ms=t.tts_ms) for t in turns])


@router.get("/{session_id}/recording", responses={**ERRORS, 200: {"content": {"audio/ogg": {}},
                                                                  "description": "The call's audio"}})
async def recording(session_id: SessionPath, request: Request, gw: GatewayDep, actor: CurrentActor
                    ) -> StreamingResponse:
    """A phone call's recording (stereo ogg/opus: the caller left, the agent right), decrypted for the owner
    and the office; kept per RECORDING_RETENTION_DAYS."""
    import asyncio

    from ....calls.recording import RecordingError, decrypt_chunks, path_of

    request.state.session_id = session_id
    if not actor.sees_all_jobs:
        raise ApiError(403, "forbidden", "Only the owner and the office can listen to call recordings.")
    row = await _find(gw, actor, session_id)
    if not row.recording_ref:
        raise NotFound("That session has no recording (not a recorded call, or past its retention).")
    try:
        path = path_of(gw.settings, row.recording_ref)
        if not path.exists():
            raise NotFound("That session's recording is no longer kept.")
        chunks = decrypt_chunks(path, attach(gw.store))
        first = await asyncio.to_thread(next, chunks, b"")  # a key that no longer opens it fails here, not mid-stream
    except RecordingError as exc:
        raise ApiError(409, "recording_unreadable", str(exc)) from None

    def body() -> Any:
        yield first
        yield from chunks

    return StreamingResponse(body(), media_type="audio/ogg",
                             headers={"Content-Disposition": f'attachment; filename="{session_id}.ogg"'})
