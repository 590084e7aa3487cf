"""The dialer: one attempt row -> one call, exactly once, compliant at the moment of dialling.

Per attempt: in ONE transaction the compliance rules are checked (and the decision logged) and the row is
claimed by a conditional UPDATE (queued -> dialing, with this worker's id and a lease). Only the winner dials.
While the call lives, the lease is renewed; a worker that dies leaves its row in dialing/ringing/answered with
an expired lease, and `reap_lost` marks it failed ("worker_lost"): it is never dialled again. The retry policy
may then queue a NEW attempt row, only when no INVITE went out (`invite_at`, written when the trunk reports
DIALING, which the local SIP trunk does right before sending it), so nobody is rung twice for a lost call.
Endings (busy, no answer, failed, voicemail) go through the campaign's retry policy; answered calls write their
outcome to the contact's interactions, linked to the job / invoice the call was about."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa

from ..config import Settings
from ..erp.domain.contacts import Interaction, InteractionKind
from ..erp.store.db import Store
from ..voice.state import Purpose
from . import repo
from . import tables as t
from .attempts import ACTION_OUTCOMES, AttemptState, IllegalTransition, Outcome, RetryPolicy, VoicemailPolicy
from .checks import check_call
from .compliance import Window
from .dnc import opt_out_number
from .telephony.base import CallEvent, CallLeg, CallNotConnected, CallState, DialRequest, Trunk

log = logging.getLogger(__name__)
S = AttemptState
T = TypeVar("T")


@dataclass(frozen=True)
class CallContext:
    """What the conversation on an answered call needs to know (and may not widen)."""

    attempt_id: int
    business_id: int
    contact_id: int | None
    to: str
    purpose: Purpose
    agent: str
    voicemail: VoicemailPolicy
    job_id: int | None = None
    invoice_id: int | None = None
    estimate_id: int | None = None


@dataclass
class CallResult:
    """How an answered call went: `outcomes` are the customer tools' actions (confirm_appointment, opt_out...)."""

    voicemail: bool = False
    voicemail_left: bool = False
    outcomes: list[str] = field(default_factory=list)
    error: str | None = None


class Conversation(Protocol):
    async def __call__(self, leg: CallLeg, call: CallContext) -> CallResult: ...


class LineCheck:
    """No agent: answer, hold the line `hold_s`, hang up. What the benchmark and the queue tests measure
    (the dialer's own work), and a way to test a trunk; says so in every attempt's outcome."""

    def __init__(self, hold_s: float = 0.0) -> None:
        self.hold_s = hold_s

    async def __call__(self, leg: CallLeg, call: CallContext) -> CallResult:
        if self.hold_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(leg.wait_ended(), self.hold_s)
        await leg.hangup("line check done")
        return CallResult()


@dataclass
class AttemptReport:
    attempt_id: int
    state: AttemptState | None
    detail: str = ""
    retry_at: datetime | None = None
    retry_id: int | None = None
    next_check_at: datetime | None = None


Enqueue = Callable[[int, int, datetime], Awaitable[None]]


async def transaction(store: Store, business_id: int, work: Callable[[Any], Awaitable[T]], tries: int = 8) -> T:
    """`work(uow)` in one transaction, run again when SQLite reports a transient lock (a write racing another
    writer's commit: SQLITE_BUSY). Each run starts afresh, and the conditional UPDATEs make re-running safe."""
    from sqlalchemy.exc import OperationalError

    for n in range(tries):
        try:
            async with store.uow(business_id) as uow:
                return await work(uow)
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or n == tries - 1:
                raise
            await asyncio.sleep(0.01 * (2 ** n))
    raise AssertionError("unreachable")


def retry_key(key: str, attempt_no: int) -> str:
    """'campaign:3:contact:7' -> 'campaign:3:contact:7#2': one key per try, stable across workers."""
    return re.sub(r"#\d+$", "", key) + f"#{attempt_no}"


async def policy_of(store: Store, business_id: int, campaign_id: int | None) -> tuple[RetryPolicy, VoicemailPolicy,
                                                                                     Window | None, str | None]:
    """A campaign's retry policy, voicemail policy, calling hours and state (one-off calls: defaults)."""
    if campaign_id is None:
        return RetryPolicy(max_attempts=1), VoicemailPolicy.LEAVE_MESSAGE, None, None
    import json

    c = t.campaigns.c
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.select(t.campaigns).where(c.id == campaign_id, c.business_id == business_id))
               ).mappings().first()
    if row is None:
        return RetryPolicy(max_attempts=1), VoicemailPolicy.LEAVE_MESSAGE, None, "cancelled"
    return (RetryPolicy(row["max_attempts"], json.loads(row["backoff"])), VoicemailPolicy(row["voicemail"]),
            Window(row["window_start"], row["window_end"]), row["state"])


class Dialer:
    """Runs attempts on one trunk. `enqueue(business_id, attempt_id, at)` puts retries and reschedules back
    on whichever queue feeds this dialer."""

    def __init__(self, store: Store, trunk: Trunk, *, worker_id: str, conversation: Conversation,
                 enqueue: Enqueue | None = None, settings: Settings | None = None,
                 ring_timeout_s: float = 30.0) -> None:
        self.store = store
        self.trunk = trunk
        self.worker_id = worker_id
        self.conversation = conversation
        self.enqueue = enqueue
        self.settings = settings or store.settings
        self.lease = timedelta(seconds=self.settings.dialer_lease_seconds)
        self.ring_timeout_s = ring_timeout_s
        #: Compliance check cost per attempt (seconds), for the benchmark.
        self.check_seconds: list[float] = []
        #: Called after every state this dialer writes: (attempt id, new state, the values written).
        self.watch: Callable[[int, AttemptState, dict[str, Any]], None] | None = None
        self.setup_seconds: list[float] = []

    def now(self) -> datetime:
        return self.store.clock()

    async def run(self, business_id: int, attempt_id: int) -> AttemptReport:
        """Check, claim, dial, converse, record: the whole life of one attempt on this worker."""
        row, policy, vm_policy, window, camp_state = await self._load(business_id, attempt_id)
        if row is None:
            return AttemptReport(attempt_id, None, "no such attempt")
        if row["state"] != S.QUEUED.value:
            return AttemptReport(attempt_id, S(row["state"]), "already handled")
        if camp_state in ("paused", "draft"):
            return AttemptReport(attempt_id, S.QUEUED, f"campaign {camp_state}")
        if camp_state == "cancelled":
            async with self.store.uow(business_id) as uow:
                await repo.cancel_queued(uow, campaign_id=row["campaign_id"], reason="campaign cancelled")
            return AttemptReport(attempt_id, S.CANCELLED, "campaign cancelled")
        claimed = await self._check_and_claim(business_id, row, window)
        if claimed is not None:
            return claimed
        return await self._call(business_id, row, policy, vm_policy)

    async def _load(self, business_id: int, attempt_id: int) -> tuple[Any, ...]:
        async with self.store.uow(business_id) as uow:
            row = await repo.attempt(uow, attempt_id)
        if row is None:
            return None, None, None, None, None
        return (row, *await policy_of(self.store, business_id, row["campaign_id"]))

    async def _check_and_claim(self, business_id: int, row: dict[str, Any], window: Window | None
                               ) -> AttemptReport | None:
        """None when this worker now owns the call; otherwise why it won't be dialled now."""
        import time

        aid = row["id"]
        now = self.now()

        async def work(uow: Any) -> tuple[AttemptReport | None, Any]:
            contact = await uow.contacts.get(row["contact_id"]) if row["contact_id"] else None
            started = time.perf_counter()
            decision = await check_call(uow, self.settings, to=row["to_number"], purpose=Purpose(row["purpose"]),
                                        contact=contact, stage="dial", at=now, attempt_id=aid,
                                        campaign_window=window)
            self.check_seconds.append(time.perf_counter() - started)
            if not decision.allowed and decision.reason.permanent:
                await repo.move(uow, aid, S.QUEUED, S.SKIPPED, outcome=decision.reason.value,
                                error=decision.detail[:500], ended_at=now)
                return AttemptReport(aid, S.SKIPPED, decision.detail), None
            if not decision.allowed:
                assert decision.next_allowed_at is not None
                await repo.reschedule(uow, aid, decision.next_allowed_at)
                return (AttemptReport(aid, S.QUEUED, decision.detail, next_check_at=decision.next_allowed_at),
                        decision.next_allowed_at)
            if not await repo.claim(uow, aid, self.worker_id, now + self.lease, now):
                return AttemptReport(aid, None, "claimed by another worker or not due yet"), None
            return None, None

        report, later = await transaction(self.store, business_id, work)
        if report is None:
            self._seen(aid, S.DIALING, {"worker_id": self.worker_id})
        elif report.state in (S.SKIPPED, S.QUEUED):
            self._seen(aid, report.state, {"error": report.detail, "scheduled_for": later})
        if later is not None and self.enqueue is not None:
            await self.enqueue(business_id, aid, later)
        return report

    async def _move(self, business_id: int, aid: int, expected: AttemptState, new: AttemptState,
                    **values: Any) -> None:
        await transaction(self.store, business_id, lambda uow: repo.move(uow, aid, expected, new, **values))
        self._seen(aid, new, values)

    def _seen(self, aid: int, state: AttemptState, values: dict[str, Any]) -> None:
        if self.watch is not None:
            self.watch(aid, state, values)

    async def _call(self, business_id: int, row: dict[str, Any], policy: RetryPolicy,
                    vm_policy: VoicemailPolicy) -> AttemptReport:
        import time

        aid = row["id"]
        state = S.DIALING
        guard = asyncio.Lock()  # a trunk may report RINGING from its own task, racing the answer
        heartbeat = asyncio.get_running_loop().create_task(self._renew(business_id, aid))
        try:
            async def on_state(event: CallEvent) -> None:
                nonlocal state
                async with guard:
                    if event.state == CallState.DIALING and state == S.DIALING:  # awaited before the INVITE
                        await transaction(self.store, business_id,
                                          lambda uow: repo.mark_invite(uow, aid, self.now()))
                    if event.state == CallState.RINGING and state == S.DIALING:
                        await self._move(business_id, aid, S.DIALING, S.RINGING)
                        state = S.RINGING

            request = DialRequest(attempt_id=aid, business_id=business_id, to=row["to_number"],
                                  caller_id=self.settings.caller_id, agent=row["agent"], purpose=row["purpose"],
                                  contact_id=row["contact_id"], ring_timeout_s=self.ring_timeout_s,
                                  metadata={"job_id": row["job_id"], "invoice_id": row["invoice_id"],
                                            "estimate_id": row["estimate_id"], "campaign_id": row["campaign_id"]})
            started = time.perf_counter()
            try:
                leg = await self.trunk.dial(request, on_state)
            except CallNotConnected as exc:
                ended = S(exc.event.state.value)
                async with guard:
                    state, previous = ended, state
                await self._move(business_id, aid, previous, ended, sip_code=exc.event.sip_code,
                                 error=(exc.event.reason or "")[:500] or None, ended_at=self.now(),
                                 outcome=ended.value)
                return await self._retry(business_id, row, ended, policy, str(exc))
            except Exception as exc:  # a trunk bug or a network error: the attempt failed, nothing is lost
                log.exception("dial of attempt %s failed", aid)
                async with guard:
                    state, previous = S.FAILED, state
                await self._move(business_id, aid, previous, S.FAILED, error=f"{type(exc).__name__}: {exc}"[:500],
                                 ended_at=self.now(), outcome="failed")
                return await self._retry(business_id, row, S.FAILED, policy, str(exc))
            self.setup_seconds.append(time.perf_counter() - started)
            async with guard:
                state, previous = S.ANSWERED, state
            await self._move(business_id, aid, previous, S.ANSWERED, answered_at=self.now(), sip_code=200)
            return await self._converse(business_id, row, leg, policy, vm_policy)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _renew(self, business_id: int, aid: int) -> None:
        """Keep the lease alive while this worker holds the call (a dead worker stops renewing)."""
        while True:
            await asyncio.sleep(max(0.5, self.lease.total_seconds() / 3))
            try:
                await self._extend(business_id, aid)
            except Exception:  # a busy database: try again next beat (the lease has room for two misses)
                log.warning("lease renewal of attempt %s failed; retrying", aid, exc_info=True)

    async def _extend(self, business_id: int, aid: int) -> None:
        a = t.call_attempts.c
        async with self.store.engine.begin() as conn:
            await conn.execute(sa.update(t.call_attempts).where(
                a.id == aid, a.business_id == business_id, a.worker_id == self.worker_id,
                a.state.in_([S.DIALING.value, S.RINGING.value, S.ANSWERED.value])
            ).values(lease_until=self.now() + self.lease))

    async def _converse(self, business_id: int, row: dict[str, Any], leg: CallLeg, policy: RetryPolicy,
                        vm_policy: VoicemailPolicy) -> AttemptReport:
        aid = row["id"]
        number = row["to_number"]

        def dtmf(digit: str) -> Awaitable[None] | None:
            if digit != "9":
                return None
            return self._dtmf_opt_out(business_id, row, leg)

        leg.on_dtmf(dtmf)
        call = CallContext(attempt_id=aid, business_id=business_id, contact_id=row["contact_id"], to=number,
                           purpose=Purpose(row["purpose"]), agent=row["agent"], voicemail=vm_policy,
                           job_id=row["job_id"], invoice_id=row["invoice_id"], estimate_id=row["estimate_id"])
        try:
            result = await self.conversation(leg, call)
        except Exception as exc:
            log.exception("conversation on attempt %s failed", aid)
            result = CallResult(error=f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(Exception):
            await leg.hangup("call done")
        if getattr(leg, "_opted_out", False) and "opt_out" not in result.outcomes:
            result.outcomes.append("opt_out")  # keypad 9: already on the list, recorded as the call's outcome
        elif "opt_out" in result.outcomes:
            await opt_out_number(self.store, business_id, number, "asked on a call", row["contact_id"])
        outcome = self.outcome_of(result)
        final = S.VOICEMAIL if result.voicemail else (S.FAILED if result.error and not result.outcomes
                                                      else S.COMPLETED)
        async def finish(uow: Any) -> None:
            await repo.move(uow, aid, S.ANSWERED, final, outcome=outcome.value, ended_at=self.now(),
                            error=result.error[:500] if result.error else None)
            if row["contact_id"] is not None:
                await self._record(uow, row, outcome)

        await transaction(self.store, business_id, finish)
        self._seen(aid, final, {"outcome": outcome.value, "error": result.error})
        if final in (S.VOICEMAIL, S.FAILED):
            return await self._retry(business_id, row, final, policy, outcome.value)
        return AttemptReport(aid, final, outcome.value)

    async def _dtmf_opt_out(self, business_id: int, row: dict[str, Any], leg: CallLeg) -> None:
        """Keypad 9: off the list at once (queued calls cancelled), then a polite goodbye by hanging up."""
        leg._opted_out = True  # type: ignore[attr-defined]
        await opt_out_number(self.store, business_id, row["to_number"], "pressed 9 on a call", row["contact_id"])
        await leg.hangup("opted out by keypad")

    @staticmethod
    def outcome_of(result: CallResult) -> Outcome:
        """The call's headline outcome: an opt-out or wrong number outranks whatever else was done."""
        if result.voicemail:
            return Outcome.VOICEMAIL_LEFT if result.voicemail_left else Outcome.NO_RESULT
        done = [ACTION_OUTCOMES[a] for a in result.outcomes if a in ACTION_OUTCOMES]
        for first in (Outcome.OPT_OUT, Outcome.WRONG_NUMBER):
            if first in done:
                return first
        return done[-1] if done else Outcome.NO_RESULT

    async def _record(self, uow: Any, row: dict[str, Any], outcome: Outcome) -> None:
        purpose = row["purpose"].replace("_", " ")
        uow.contacts.add_interaction(Interaction(
            business_id=row["business_id"], contact_id=row["contact_id"], kind=InteractionKind.CALL,
            summary=f"Automated {purpose} call: {outcome.value.replace('_', ' ')}", created_at=self.now(),
            channel="phone", job_id=row["job_id"], invoice_id=row["invoice_id"]))

    async def _retry(self, business_id: int, row: dict[str, Any], ended: AttemptState, policy: RetryPolicy,
                     detail: str) -> AttemptReport:
        report = AttemptReport(row["id"], ended, detail)
        at = policy.next_try(ended, row["attempt_no"], self.now())
        if at is None:
            return report
        report.retry_at = at
        report.retry_id = await queue_retry(self.store, business_id, row, at)
        if self.enqueue is not None and report.retry_id is not None:
            await self.enqueue(business_id, report.retry_id, at)
        return report


async def queue_retry(store: Store, business_id: int, row: dict[str, Any], at: datetime) -> int | None:
    """The next attempt row for the same call (idempotent: one row per try number)."""
    n = row["attempt_no"] + 1
    fields = {k: row[k] for k in ("campaign_id", "contact_id", "to_number", "purpose", "agent", "job_id",
                                  "invoice_id", "estimate_id")}
    async with store.uow(business_id) as uow:
        retry_id, _ = await repo.add_attempt(uow, **fields, attempt_no=n, scheduled_for=at,
                                             idempotency_key=retry_key(row["idempotency_key"], n))
    return retry_id


async def reap_lost(store: Store, grace: timedelta = timedelta(0)) -> list[tuple[int, int, int | None]]:
    """Attempts whose worker stopped renewing the lease: failed ('worker_lost'), never dialled again. Those lost
    before any INVITE went out get a retry row per their campaign's policy; ([business, attempt, retry id])."""
    a = t.call_attempts.c
    now = store.clock()
    async with store.engine.connect() as conn:
        lost = (await conn.execute(sa.select(t.call_attempts).where(
            a.state.in_([S.DIALING.value, S.RINGING.value, S.ANSWERED.value]),
            a.lease_until < now - grace))).mappings().all()
    out: list[tuple[int, int, int | None]] = []
    for row in lost:
        async with store.uow(row["business_id"]) as uow:
            try:
                await repo.move(uow, row["id"], row["state"], S.FAILED, outcome=Outcome.WORKER_LOST.value,
                                error=f"worker {row['worker_id']} stopped during {row['state']}", ended_at=now)
            except IllegalTransition:
                continue  # it finished meanwhile
        retry_id = None
        if row["state"] == S.DIALING.value and row["invite_at"] is None:  # the line never rang: safe to retry
            policy, *_ = await policy_of(store, row["business_id"], row["campaign_id"])
            at = policy.next_try(S.FAILED, row["attempt_no"], now)
            if at is not None:
                retry_id = await queue_retry(store, row["business_id"], dict(row), at)
        out.append((row["business_id"], row["id"], retry_id))
    return out


async def due_attempts(store: Store, horizon: timedelta, limit: int = 5000) -> list[tuple[int, int, datetime]]:
    """Queued attempts due within `horizon` whose campaign (if any) is running: what a sweep (re-)enqueues, so
    an enqueue lost between the database commit and Redis costs a delay, never a call."""
    a, c = t.call_attempts.c, t.campaigns.c
    stmt = (sa.select(a.business_id, a.id, a.scheduled_for)
            .select_from(t.call_attempts.outerjoin(t.campaigns, c.id == a.campaign_id))
            .where(a.state == S.QUEUED.value, a.scheduled_for <= store.clock() + horizon,
                   sa.or_(a.campaign_id.is_(None), c.state == "running"))
            .order_by(a.scheduled_for, a.id).limit(limit))
    async with store.engine.connect() as conn:
        return [(r.business_id, r.id, r.scheduled_for) for r in (await conn.execute(stmt)).all()]
