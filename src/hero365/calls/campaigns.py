"""Campaigns and one-off calls: the use cases behind the CLI and the gateway.

A campaign = purpose + audience + agent + calling hours + retry policy + voicemail policy. Starting it resolves
the audience into one attempt row per contact (idempotent keys, so starting twice adds nobody twice), each
checked against the rules at once (refusals logged and skipped, out-of-hours ones scheduled for the next
allowed time), then hands them to the queue. The same rules run again right before each dial."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..erp.domain.errors import DomainError, InvalidInput, NotFound
from ..erp.domain.tenancy import Actor, Permission
from ..erp.store.db import Store
from ..voice.state import Purpose
from . import repo
from . import tables as t
from .attempts import AttemptState, RetryPolicy, VoicemailPolicy
from .audiences import Audience, related_record, resolve
from .checks import check_call, rules_for
from .compliance import Decision, Window
from .queue import CallQueue

S = AttemptState
C = t.campaigns.c


class CampaignState:
    DRAFT, RUNNING, PAUSED, CANCELLED, COMPLETED = "draft", "running", "paused", "cancelled", "completed"


class ComplianceRefused(DomainError):
    """A call the rules don't allow (the decision is logged); `decision.next_allowed_at` when waiting helps."""

    code = "compliance_refused"

    def __init__(self, decision: Decision) -> None:
        when = f" Next allowed: {decision.next_allowed_at.isoformat()}." if decision.next_allowed_at else ""
        super().__init__(f"This call isn't allowed: {decision.detail}.{when}", reason=decision.reason.value,
                         next_allowed_at=decision.next_allowed_at.isoformat() if decision.next_allowed_at else None)
        self.decision = decision


def agent_for(purpose: Purpose) -> str:
    return "sales" if purpose.is_marketing else "support"


@dataclass
class CampaignStatus:
    id: int
    name: str
    purpose: str
    state: str
    audience: str
    total: int
    by_state: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def contacts(self) -> int:
        return self.total

    @property
    def finished(self) -> int:
        return sum(n for s, n in self.by_state.items() if S(s).final)

    @property
    def in_flight(self) -> int:
        return sum(n for s, n in self.by_state.items() if not S(s).final)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "purpose": self.purpose, "state": self.state,
                "audience": self.audience, "attempts": self.total, "finished": self.finished,
                "in_flight": self.in_flight, "by_state": self.by_state, "by_outcome": self.by_outcome}


async def create_campaign(store: Store, actor: Actor, *, name: str, purpose: Purpose, audience: Audience,
                          agent: str | None = None, hours: tuple[int, int] = (9, 20), max_attempts: int = 3,
                          backoff: dict[str, int] | None = None, voicemail: VoicemailPolicy =
                          VoicemailPolicy.LEAVE_MESSAGE, starts_at: datetime | None = None) -> int:
    actor.require(Permission.CALLS_PLACE, "run calling campaigns")
    if not name.strip():
        raise InvalidInput("A campaign needs a name.")
    try:
        Window(*hours)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    policy = RetryPolicy(max_attempts, backoff) if backoff is not None else RetryPolicy(max_attempts)
    agent = agent or agent_for(purpose)
    if agent not in ("sales", "support"):
        raise InvalidInput("A campaign's agent is sales or support.")
    if starts_at is not None and starts_at.tzinfo is None:
        raise InvalidInput("A start time needs its time zone.")
    async with store.uow(actor.business_id) as uow:
        if audience.kind.value == "contacts":
            await resolve(uow, audience, store.clock())  # every contact must be this business's
        result = await uow.session.execute(sa.insert(t.campaigns).values(
            business_id=actor.business_id, name=name.strip()[:120], purpose=purpose.value, agent=agent,
            audience=audience.model_dump_json(), state=CampaignState.DRAFT, window_start=hours[0],
            window_end=hours[1], max_attempts=policy.max_attempts, backoff=policy.dumps(),
            voicemail=voicemail.value, starts_at=starts_at, created_at=store.clock(),
            created_by=actor.user_id).returning(C.id))
        return int(result.scalar_one())


async def _campaign(store: Store, actor: Actor, campaign_id: int) -> dict[str, Any]:
    actor.require(Permission.CALLS_PLACE, "run calling campaigns")
    async with store.uow(actor.business_id) as uow:
        row = (await uow.session.execute(sa.select(t.campaigns).where(
            C.id == campaign_id, C.business_id == actor.business_id))).mappings().first()
    if row is None:
        raise NotFound(f"There is no campaign {campaign_id}.")
    return dict(row)


async def start_campaign(store: Store, actor: Actor, campaign_id: int, queue: CallQueue) -> CampaignStatus:
    """draft -> running (attempts created and queued) or paused -> running (queued attempts re-enqueued)."""
    camp = await _campaign(store, actor, campaign_id)
    if camp["state"] in (CampaignState.CANCELLED, CampaignState.COMPLETED):
        raise InvalidInput(f"Campaign {campaign_id} is {camp['state']}; create a new one.")
    bid = actor.business_id
    now = store.clock()
    if camp["state"] == CampaignState.DRAFT:
        await _create_attempts(store, actor, camp, now)
    async with store.uow(bid) as uow:
        await uow.session.execute(sa.update(t.campaigns).where(C.id == campaign_id, C.business_id == bid).values(
            state=CampaignState.RUNNING, started_at=camp["started_at"] or now))
        queued = await repo.attempts(uow, campaign_id=campaign_id, states=[S.QUEUED])
    tag = f":r{int(now.timestamp() * 1000)}"
    for a in queued:
        await queue.enqueue(bid, a["id"], a["scheduled_for"] if a["scheduled_for"] > now else None, tag=tag)
    return await campaign_status(store, actor, campaign_id)


async def _create_attempts(store: Store, actor: Actor, camp: dict[str, Any], now: datetime) -> None:
    purpose = Purpose(camp["purpose"])
    audience = Audience.model_validate_json(camp["audience"])
    start = max(now, camp["starts_at"]) if camp["starts_at"] else now
    window = Window(camp["window_start"], camp["window_end"])
    async with store.uow(actor.business_id) as uow:
        targets = await resolve(uow, audience, now)
        rules = await rules_for(uow, store.settings)
        contacts = await uow.contacts.get_many([x.contact_id for x in targets])
        for target in targets:
            key = f"campaign:{camp['id']}:contact:{target.contact_id}#1"
            number = target.number or ""
            aid, created = await repo.add_attempt(
                uow, campaign_id=camp["id"], contact_id=target.contact_id, to_number=number or "(no phone)",
                purpose=purpose.value, agent=camp["agent"], scheduled_for=start, idempotency_key=key,
                job_id=target.job_id, invoice_id=target.invoice_id, estimate_id=target.estimate_id)
            if not created:
                continue
            decision = await check_call(uow, store.settings, to=number or "(no phone)", purpose=purpose,
                                        contact=contacts.get(target.contact_id), stage="queue", at=start,
                                        attempt_id=aid, campaign_window=window, rules=rules)
            if not decision.allowed and decision.reason.permanent:
                await repo.move(uow, aid, S.QUEUED, S.SKIPPED, outcome=decision.reason.value,
                                error=decision.detail[:500], ended_at=now)
            elif not decision.allowed and decision.next_allowed_at is not None:
                await repo.reschedule(uow, aid, decision.next_allowed_at)


async def pause_campaign(store: Store, actor: Actor, campaign_id: int) -> CampaignStatus:
    """Queued calls wait (dialers leave them); calls on the line finish."""
    camp = await _campaign(store, actor, campaign_id)
    if camp["state"] != CampaignState.RUNNING:
        raise InvalidInput(f"Campaign {campaign_id} is {camp['state']}, not running.")
    async with store.uow(actor.business_id) as uow:
        await uow.session.execute(sa.update(t.campaigns).where(
            C.id == campaign_id, C.business_id == actor.business_id).values(state=CampaignState.PAUSED))
    return await campaign_status(store, actor, campaign_id)


async def cancel_campaign(store: Store, actor: Actor, campaign_id: int) -> CampaignStatus:
    """Every queued attempt cancelled at once; calls on the line finish."""
    camp = await _campaign(store, actor, campaign_id)
    if camp["state"] in (CampaignState.CANCELLED, CampaignState.COMPLETED):
        return await campaign_status(store, actor, campaign_id)
    async with store.uow(actor.business_id) as uow:
        await uow.session.execute(sa.update(t.campaigns).where(
            C.id == campaign_id, C.business_id == actor.business_id).values(state=CampaignState.CANCELLED,
                                                                             ended_at=store.clock()))
        await repo.cancel_queued(uow, campaign_id=campaign_id, reason="campaign cancelled")
    return await campaign_status(store, actor, campaign_id)


async def campaign_status(store: Store, actor: Actor, campaign_id: int) -> CampaignStatus:
    """Counts by attempt state and outcome; a running campaign with nothing left to do becomes completed."""
    camp = await _campaign(store, actor, campaign_id)
    a = t.call_attempts.c
    async with store.uow(actor.business_id) as uow:
        rows = (await uow.session.execute(sa.select(a.state, a.outcome, sa.func.count()).where(
            a.business_id == actor.business_id, a.campaign_id == campaign_id).group_by(a.state, a.outcome))).all()
        by_state: Counter[str] = Counter()
        by_outcome: Counter[str] = Counter()
        for state, outcome, n in rows:
            by_state[state] += n
            if outcome:
                by_outcome[outcome] += n
        total = sum(by_state.values())
        live = sum(n for s, n in by_state.items() if not S(s).final)
        if camp["state"] == CampaignState.RUNNING and live == 0:
            await uow.session.execute(sa.update(t.campaigns).where(
                C.id == campaign_id, C.business_id == actor.business_id, C.state == CampaignState.RUNNING
            ).values(state=CampaignState.COMPLETED, ended_at=store.clock()))
            camp["state"] = CampaignState.COMPLETED
    audience = Audience.model_validate_json(camp["audience"]).describe()
    return CampaignStatus(id=camp["id"], name=camp["name"], purpose=camp["purpose"], state=camp["state"],
                          audience=audience, total=total, by_state=dict(by_state), by_outcome=dict(by_outcome))


async def list_campaigns(store: Store, actor: Actor) -> list[dict[str, Any]]:
    actor.require(Permission.CALLS_PLACE, "run calling campaigns")
    async with store.uow(actor.business_id) as uow:
        rows = (await uow.session.execute(sa.select(t.campaigns).where(C.business_id == actor.business_id)
                                          .order_by(C.id.desc()).limit(200))).mappings().all()
    return [{"id": r["id"], "name": r["name"], "purpose": r["purpose"], "agent": r["agent"], "state": r["state"],
             "audience": json.loads(r["audience"]), "calling_hours": [r["window_start"], r["window_end"]],
             "max_attempts": r["max_attempts"], "created_at": r["created_at"].isoformat()} for r in rows]


async def place_call(store: Store, actor: Actor, *, purpose: Purpose, contact_id: int | None, to: str | None = None,
                     agent: str | None = None, idempotency_key: str | None = None, job_id: int | None = None,
                     invoice_id: int | None = None) -> int:
    """One compliant call: the decision is logged either way; a refusal raises ComplianceRefused and creates
    nothing; an allowed call becomes a queued attempt (the same key returns the same attempt), linked to the
    job / invoice / estimate it is about (the purpose's natural one when not given)."""
    import uuid

    actor.require(Permission.CALLS_PLACE, "place calls")
    agent = agent or agent_for(purpose)
    now = store.clock()
    async with store.uow(actor.business_id) as uow:
        contact = await uow.contacts.get(contact_id) if contact_id is not None else None
        if contact_id is not None and contact is None:
            raise NotFound(f"There is no contact {contact_id} in this business.")
        target = to or (contact.primary_phone if contact else None)
        if not target:
            raise InvalidInput("That contact has no phone number to call.")
        decision = await check_call(uow, store.settings, to=target, purpose=purpose, contact=contact,
                                    stage="request", at=now)
        about = {} if job_id or invoice_id or contact_id is None else await related_record(
            uow, purpose.value, contact_id, now)
    if not decision.allowed:
        raise ComplianceRefused(decision)
    key = idempotency_key or f"call:{uuid.uuid4().hex}"
    async with store.uow(actor.business_id) as uow:
        refs = {"job_id": job_id, "invoice_id": invoice_id, **about}
        aid, _ = await repo.add_attempt(uow, contact_id=contact_id, to_number=target, purpose=purpose.value,
                                        agent=agent, scheduled_for=now, idempotency_key=f"b{actor.business_id}:{key}",
                                        **refs)
    return aid


async def attempt_view(store: Store, actor: Actor, attempt_id: int) -> dict[str, Any]:
    actor.require(Permission.CALLS_PLACE, "see calls")
    async with store.uow(actor.business_id) as uow:
        row = await repo.attempt(uow, attempt_id)
    if row is None:
        raise NotFound(f"There is no call attempt {attempt_id}.")
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()
            if k not in ("worker_id", "lease_until")}
