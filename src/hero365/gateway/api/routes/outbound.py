"""Outbound calls and campaigns over HTTP: the calls use cases (`calls.campaigns`) behind the gateway's auth.

A call or a started campaign is a set of queued attempt rows, handed to the Redis dialer queue (`hero365 dialer`
workers place them). Without REDIS_URL nothing in the gateway dials: the response says so (`dispatch`), and
the attempts wait in the database for `hero365 campaign run` or a dialer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path
from pydantic import Field, model_validator

from ....calls import campaigns as svc
from ....calls.attempts import VoicemailPolicy
from ....calls.audiences import Audience, AudienceKind
from ....voice.state import Purpose
from ...errors import ApiError
from ..deps import CallPlacer, GatewayDep
from ..schemas import ErrorOut, Hour, InitiateCallIn, RecordId, Strict

router = APIRouter(prefix="/api/v1/voice-agents/outbound", tags=["outbound calls"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422, 429)}
CampaignId = Annotated[int, Path(ge=1, le=2**53)]
AttemptId = Annotated[int, Path(ge=1, le=2**53)]


class CampaignCreate(Strict):
    """Either `contact_ids` or an `audience` rule (jobs tomorrow, invoices N+ days overdue, ...)."""

    name: str = Field(min_length=1, max_length=120)
    purpose: Purpose
    contact_ids: list[RecordId] = Field(default_factory=list, max_length=5000)
    audience: AudienceKind | None = None
    days: int = Field(7, ge=0, le=365)
    agent: Literal["sales", "support"] | None = None
    starts_at: datetime | None = None
    calling_hours: tuple[Hour, Hour] = Field((9, 20), description="Local hours of the contact, [start, end)")
    max_attempts: int = Field(3, ge=1, le=10)
    backoff: dict[Literal["busy", "no_answer", "failed", "voicemail"], Annotated[int, Field(ge=0, le=2592000)]] \
        | None = None
    voicemail: VoicemailPolicy = VoicemailPolicy.LEAVE_MESSAGE

    @model_validator(mode="after")
    def _who(self) -> CampaignCreate:
        if self.audience in (None, AudienceKind.CONTACTS) and not self.contact_ids:
            raise ValueError("give contact_ids or an audience")
        if self.audience not in (None, AudienceKind.CONTACTS) and self.contact_ids:
            raise ValueError("give contact_ids or an audience rule, not both")
        return self

    def audience_spec(self) -> Audience:
        if self.audience in (None, AudienceKind.CONTACTS):
            return Audience(kind=AudienceKind.CONTACTS, contact_ids=list(self.contact_ids))
        return Audience(kind=self.audience, days=self.days)


def _queue(gw: GatewayDep) -> Any:
    from ....calls.queue import ArqQueue

    s = gw.settings
    return ArqQueue(s.redis_url, s.dialer_queue_name) if s.redis_url else None


class _Hold:
    """No queue configured: attempts stay queued in the database (said in the response)."""

    async def enqueue(self, *a: Any, **k: Any) -> None:
        return None


def _dispatch(gw: GatewayDep) -> str:
    return "redis" if gw.settings.redis_url else "database: no REDIS_URL; a `hero365 dialer` polling it places the call"


@router.post("/initiate-call", status_code=202, responses=RESPONSES)
async def initiate_call(body: InitiateCallIn, gw: GatewayDep, actor: CallPlacer,
                        idempotency_key: Annotated[str | None, Header(max_length=100)] = None) -> dict[str, Any]:
    """Call one contact with a calling agent. 202 with the queued attempt; 422 when the rules refuse for good
    (do-not-call, consent, relationship), 409 when only the time is wrong (with `next_allowed_at`)."""
    job_id = invoice_id = None
    if body.job_number or body.invoice_number:
        async with gw.store.uow(actor.business_id) as uow:
            if body.job_number:
                job = await uow.jobs.by_number(body.job_number)
                if job is None or job.contact_id != body.contact_id:
                    raise ApiError(404, "not_found", f"There is no job {body.job_number} for that contact.")
                job_id = job.id
            if body.invoice_number:
                inv = await uow.invoices.by_number(body.invoice_number)
                if inv is None or inv.contact_id != body.contact_id:
                    raise ApiError(404, "not_found", f"There is no invoice {body.invoice_number} for that contact.")
                invoice_id = inv.id
    try:
        aid = await svc.place_call(gw.store, actor, purpose=body.purpose, contact_id=body.contact_id,
                                   agent=body.agent, idempotency_key=idempotency_key, job_id=job_id,
                                   invoice_id=invoice_id)
    except svc.ComplianceRefused as refused:
        d = refused.decision
        raise ApiError(422 if d.reason.permanent else 409, "compliance_refused", refused.message,
                       reason=d.reason.value,
                       next_allowed_at=d.next_allowed_at.isoformat() if d.next_allowed_at else None) from None
    queue = _queue(gw)
    if queue is not None:
        try:
            await queue.enqueue(actor.business_id, aid)
        finally:
            await queue.aclose()
    return {"attempt_id": aid, "state": "queued", "dispatch": _dispatch(gw)}


@router.get("/calls/{attempt_id}", responses=RESPONSES)
async def call_detail(attempt_id: AttemptId, gw: GatewayDep, actor: CallPlacer) -> dict[str, Any]:
    """One attempt's state, outcome, SIP code and times."""
    return await svc.attempt_view(gw.store, actor, attempt_id)


@router.get("/campaigns", responses=RESPONSES)
async def list_campaigns(gw: GatewayDep, actor: CallPlacer) -> dict[str, Any]:
    return {"campaigns": await svc.list_campaigns(gw.store, actor)}


@router.post("/campaigns", status_code=201, responses=RESPONSES)
async def create_campaign(body: CampaignCreate, gw: GatewayDep, actor: CallPlacer) -> dict[str, Any]:
    """A calling campaign (draft until started); each contact is checked to be this business's."""
    cid = await svc.create_campaign(
        gw.store, actor, name=body.name, purpose=body.purpose, audience=body.audience_spec(), agent=body.agent,
        hours=body.calling_hours, max_attempts=body.max_attempts,
        backoff=dict(body.backoff) if body.backoff is not None else None, voicemail=body.voicemail,
        starts_at=body.starts_at)
    return (await svc.campaign_status(gw.store, actor, cid)).as_dict()


@router.get("/campaigns/{campaign_id}", responses=RESPONSES)
async def campaign_detail(campaign_id: CampaignId, gw: GatewayDep, actor: CallPlacer) -> dict[str, Any]:
    """State and counts by attempt state and outcome."""
    return (await svc.campaign_status(gw.store, actor, campaign_id)).as_dict()


@router.post("/campaigns/{campaign_id}/{action}", responses=RESPONSES)
async def campaign_action(campaign_id: CampaignId, action: Annotated[str, Path(pattern="^(start|pause|cancel)$")],
                          gw: GatewayDep, actor: CallPlacer) -> dict[str, Any]:
    """Start (or resume), pause or cancel a campaign."""
    if action == "start":
        queue = _queue(gw)
        try:
            status = await svc.start_campaign(gw.store, actor, campaign_id, queue or _Hold())
        finally:
            if queue is not None:
                await queue.aclose()
        return {**status.as_dict(), "dispatch": _dispatch(gw)}
    fn = svc.pause_campaign if action == "pause" else svc.cancel_campaign
    return (await fn(gw.store, actor, campaign_id)).as_dict()
