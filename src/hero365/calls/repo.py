"""Queries on the calling tables, always inside a business's unit of work and always naming that business.

Attempt state changes are conditional UPDATEs (`WHERE state = <expected>`): two workers, or a worker and a
cancel, can race for the same row and exactly one wins; the loser learns it from the row count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..erp.store.uow import UnitOfWork
from . import tables as t
from .attempts import AttemptState, IllegalTransition, check_transition
from .compliance import Decision

A = t.call_attempts.c


def insert_ignore(uow: UnitOfWork, table: sa.Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on either database (what makes imports and opt-outs idempotent)."""
    return (sqlite.insert(table) if uow.store.is_sqlite else postgresql.insert(table)).on_conflict_do_nothing()


def _bid(uow: UnitOfWork) -> int:
    if uow.business_id is None:
        raise RuntimeError("calls need a business's unit of work")
    return uow.business_id


async def add_attempt(uow: UnitOfWork, **values: Any) -> tuple[int, bool]:
    """A new queued attempt, or the one already made under the same idempotency key: (id, created)."""
    key = values["idempotency_key"]
    found = await uow.session.execute(sa.select(A.id, A.business_id).where(A.idempotency_key == key))
    row = found.first()
    if row is not None:
        if row.business_id != _bid(uow):
            raise IllegalTransition("that idempotency key belongs to another business's call")
        return int(row.id), False
    values = {"state": AttemptState.QUEUED.value, "attempt_no": 1, "business_id": _bid(uow),
              "created_at": uow.store.clock(), **values}
    result = await uow.session.execute(sa.insert(t.call_attempts).values(**values).returning(A.id))
    return int(result.scalar_one()), True


async def attempt(uow: UnitOfWork, attempt_id: int) -> Mapping[str, Any] | None:
    stmt = sa.select(t.call_attempts).where(A.id == attempt_id, A.business_id == _bid(uow))
    row = (await uow.session.execute(stmt)).mappings().first()
    return dict(row) if row else None


async def attempts(uow: UnitOfWork, *, campaign_id: int | None = None, number: str | None = None,
                   states: Iterable[AttemptState] | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
    stmt = sa.select(t.call_attempts).where(A.business_id == _bid(uow))
    if campaign_id is not None:
        stmt = stmt.where(A.campaign_id == campaign_id)
    if number is not None:
        stmt = stmt.where(A.to_number == number)
    if states is not None:
        stmt = stmt.where(A.state.in_([s.value for s in states]))
    rows = (await uow.session.execute(stmt.order_by(A.id).limit(limit))).mappings().all()
    return [dict(r) for r in rows]


async def move(uow: UnitOfWork, attempt_id: int, expected: AttemptState | str, new: AttemptState | str,
               **values: Any) -> None:
    """expected -> new, guarded by the state machine and by the row still being in `expected`."""
    state = check_transition(expected, new)
    stmt = (sa.update(t.call_attempts)
            .where(A.id == attempt_id, A.business_id == _bid(uow), A.state == AttemptState(expected).value)
            .values(state=state.value, **values))
    if (await uow.session.execute(stmt)).rowcount != 1:
        raise IllegalTransition(f"attempt {attempt_id} is no longer {AttemptState(expected).value}")


async def claim(uow: UnitOfWork, attempt_id: int, worker_id: str, lease_until: datetime, now: datetime) -> bool:
    """queued -> dialing for this worker, if nobody else did it first and the attempt is due."""
    check_transition(AttemptState.QUEUED, AttemptState.DIALING)
    stmt = (sa.update(t.call_attempts)
            .where(A.id == attempt_id, A.business_id == _bid(uow), A.state == AttemptState.QUEUED.value,
                   A.scheduled_for <= now)
            .values(state=AttemptState.DIALING.value, worker_id=worker_id, lease_until=lease_until, started_at=now))
    return (await uow.session.execute(stmt)).rowcount == 1


async def mark_invite(uow: UnitOfWork, attempt_id: int, at: datetime) -> None:
    """The INVITE is about to go out (after this, a lost call may have rung: it is never retried blindly)."""
    await uow.session.execute(sa.update(t.call_attempts).where(
        A.id == attempt_id, A.business_id == _bid(uow), A.state == AttemptState.DIALING.value).values(invite_at=at))


async def reschedule(uow: UnitOfWork, attempt_id: int, at: datetime) -> bool:
    """A queued attempt waits until `at` (a time refusal); False if it is no longer queued."""
    stmt = (sa.update(t.call_attempts)
            .where(A.id == attempt_id, A.business_id == _bid(uow), A.state == AttemptState.QUEUED.value)
            .values(scheduled_for=at))
    return (await uow.session.execute(stmt)).rowcount == 1


async def cancel_queued(uow: UnitOfWork, *, number: str | None = None, campaign_id: int | None = None,
                        reason: str) -> list[int]:
    """Every still-queued attempt to a number (or of a campaign) -> cancelled; their ids."""
    cond = [A.business_id == _bid(uow), A.state == AttemptState.QUEUED.value]
    if number is not None:
        cond.append(A.to_number == number)
    if campaign_id is not None:
        cond.append(A.campaign_id == campaign_id)
    ids = [int(i) for i in (await uow.session.execute(sa.select(A.id).where(*cond))).scalars()]
    if ids:
        await uow.session.execute(sa.update(t.call_attempts).where(A.id.in_(ids), *cond).values(
            state=AttemptState.CANCELLED.value, outcome="cancelled", error=reason[:500],
            ended_at=uow.store.clock()))
    return ids


async def log_decision(uow: UnitOfWork, decision: Decision, *, number: str, purpose: str, stage: str,
                       at: datetime, attempt_id: int | None = None, contact_id: int | None = None) -> None:
    """Every verdict, allowed or not, in the audit table (in the same transaction as what it decided)."""
    await uow.session.execute(sa.insert(t.call_decisions).values(
        business_id=_bid(uow), attempt_id=attempt_id, contact_id=contact_id, to_number=number[:200],
        purpose=purpose, stage=stage, at=at, allowed=decision.allowed, reason=decision.reason.value,
        detail=decision.detail[:300], next_allowed_at=decision.next_allowed_at))


async def decisions(uow: UnitOfWork, *, number: str | None = None, attempt_id: int | None = None
                    ) -> list[dict[str, Any]]:
    c = t.call_decisions.c
    stmt = sa.select(t.call_decisions).where(c.business_id == _bid(uow))
    if number is not None:
        stmt = stmt.where(c.to_number == number)
    if attempt_id is not None:
        stmt = stmt.where(c.attempt_id == attempt_id)
    return [dict(r) for r in (await uow.session.execute(stmt.order_by(c.id))).mappings().all()]


async def on_business_dnc(uow: UnitOfWork, number: str) -> bool:
    c = t.dnc_numbers.c
    stmt = sa.select(c.id).where(c.business_id == _bid(uow), c.number == number).limit(1)
    return (await uow.session.execute(stmt)).first() is not None


async def on_national_dnc(uow: UnitOfWork, number: str) -> bool:
    stmt = sa.select(t.national_dnc.c.number).where(t.national_dnc.c.number == number).limit(1)
    return (await uow.session.execute(stmt)).first() is not None


async def add_business_dnc(uow: UnitOfWork, number: str, source: str) -> None:
    await uow.session.execute(insert_ignore(uow, t.dnc_numbers).values(
        business_id=_bid(uow), number=number, source=source[:200], added_at=uow.store.clock()))


async def settings_row(uow: UnitOfWork) -> dict[str, Any] | None:
    row = (await uow.session.execute(sa.select(t.call_settings).where(
        t.call_settings.c.business_id == _bid(uow)))).mappings().first()
    return dict(row) if row else None
