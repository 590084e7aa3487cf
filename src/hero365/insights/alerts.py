"""Alerts for a business's owner: agents failing, agents slow, the dialer failing.

Three rules, each over a window of the recent past (thresholds, windows and minimum samples from settings):
- `error_rate`: tool calls answered with an error / tool calls (conversation turns) > ALERT_ERROR_RATE (5%);
- `response_p95`: the 95th percentile (nearest rank) of the agent's response time per turn (the user's message
  to the agent's first reply) > ALERT_RESPONSE_P95_SECONDS (2 s);
- `dialer_failures`: call attempts that failed / call attempts that finished on the line (completed,
  voicemail, no answer, busy, failed) > ALERT_DIALER_FAILURE_RATE; skipped while there is no `call_attempts`.
A rule with fewer samples than its minimum in the window is not firing (one failure in two calls is not an
incident).

A rule's state per business is a row in `alerts` (the table is here, created by migration 0006). Moving it
from ok to firing (or back) is a conditional UPDATE in the same transaction as the owner's notification in the
outbox, so a notice goes out exactly once per firing: a second evaluation, a restarted gateway or a second
gateway racing this one finds the state already moved and writes nothing. Each firing is an `episode`; its
notices carry `related = "alert:<rule>:<episode>:firing|resolved"`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..background import running
from ..config import Settings
from ..erp.domain.messages import Channel, OutboxMessage
from ..erp.domain.tenancy import Role
from ..erp.store import tables as t
from ..erp.store.db import Store
from ..erp.store.tables import UTCDateTime, metadata

log = logging.getLogger(__name__)
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("business_id", Id, sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),  # "firing" | "ok"
    sa.Column("episode", sa.Integer, nullable=False),  # how many times it has fired
    sa.Column("value", sa.Float), sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("samples", sa.Integer, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("notified_to", sa.String(200)),
    sa.UniqueConstraint("business_id", "rule", name="uq_alerts_business_rule"),
)

FIRING, OK = "firing", "ok"
#: Call attempts that reached an end on the line (queued, cancelled and skipped ones never dialled).
DIALLED_FINAL = ("completed", "voicemail", "no_answer", "busy", "failed")


@dataclass(frozen=True)
class Rule:
    name: str
    threshold: float
    window: timedelta
    min_samples: int
    #: How the value reads in a notice ("12.0%" or "2.40 s").
    unit: str

    def show(self, value: float) -> str:
        return f"{value * 100:.1f}%" if self.unit == "%" else f"{value:.2f} s"


def rules(settings: Settings) -> list[Rule]:
    s = settings
    return [Rule("error_rate", s.alert_error_rate, timedelta(minutes=s.alert_error_window_minutes),
                 s.alert_error_min_calls, "%"),
            Rule("response_p95", s.alert_response_p95_seconds, timedelta(minutes=s.alert_response_window_minutes),
                 s.alert_response_min_turns, "s"),
            Rule("dialer_failures", s.alert_dialer_failure_rate, timedelta(minutes=s.alert_dialer_window_minutes),
                 s.alert_dialer_min_attempts, "%")]


WHAT = {"error_rate": "agents' tool errors", "response_p95": "agents' response time (p95)",
        "dialer_failures": "failed outbound calls"}


@dataclass
class Reading:
    """One rule measured for one business over its window."""

    business_id: int
    rule: Rule
    value: float | None
    samples: int

    @property
    def firing(self) -> bool:
        return self.value is not None and self.samples >= self.rule.min_samples and self.value > self.rule.threshold


@dataclass
class Change:
    """A state change this evaluation made (and the notice it queued, if the owner can be reached)."""

    business_id: int
    rule: str
    state: str
    episode: int
    value: float | None
    samples: int
    notified_to: str | None


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile: the smallest value with at least 95% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


async def measure(store: Store, settings: Settings, now: datetime, calls_table: str = "call_attempts"
                  ) -> list[Reading]:
    """Every rule for every business with samples in the rule's window (ending at `now`). The calling issue's
    table is described here by the three columns read, so the rule works whether or not it is mapped."""
    from .tables import conversation_turns as ct

    by_name = {r.name: r for r in rules(settings)}
    out: list[Reading] = []
    async with store.engine.connect() as conn:
        rule = by_name["error_rate"]
        rows = await conn.execute(
            sa.select(ct.c.business_id, sa.func.sum(ct.c.tool_calls), sa.func.sum(ct.c.tool_errors))
            .where(ct.c.at > now - rule.window, ct.c.at <= now).group_by(ct.c.business_id))
        for biz, calls, errors in rows:
            calls, errors = int(calls or 0), int(errors or 0)
            out.append(Reading(int(biz), rule, errors / calls if calls else None, calls))

        rule = by_name["response_p95"]
        timed = await conn.execute(
            sa.select(ct.c.business_id, ct.c.response_ms)
            .where(ct.c.at > now - rule.window, ct.c.at <= now, ct.c.response_ms.is_not(None)))
        times: dict[int, list[float]] = defaultdict(list)
        for biz, ms in timed:
            times[int(biz)].append(float(ms) / 1000)
        out += [Reading(biz, rule, p95(values), len(values)) for biz, values in times.items()]

        rule = by_name["dialer_failures"]
        if await conn.run_sync(lambda sync: sa.inspect(sync).has_table(calls_table)):
            ca = sa.table(calls_table, sa.column("business_id", Id), sa.column("state", sa.String),
                          sa.column("ended_at", UTCDateTime))
            failed = sa.func.sum(sa.case((ca.c.state == "failed", 1), else_=0))
            finished_rows = await conn.execute(
                sa.select(ca.c.business_id, sa.func.count(), failed)
                .where(ca.c.ended_at > now - rule.window, ca.c.ended_at <= now, ca.c.state.in_(DIALLED_FINAL))
                .group_by(ca.c.business_id))
            for biz, finished, fails in finished_rows:
                finished = int(finished)
                out.append(Reading(int(biz), rule, int(fails or 0) / finished if finished else None, finished))
    return out


async def _owner_contact(session: AsyncSession, business_id: int) -> tuple[Channel, str] | None:
    """Where the owner hears about it: their phone (SMS), their e-mail, else the business's phone or e-mail."""
    m, u, b = t.memberships.c, t.users.c, t.businesses.c
    owner = (await session.execute(
        sa.select(u.phone, u.email).join(t.memberships, m.user_id == u.id)
        .where(m.business_id == business_id, m.role == Role.OWNER, m.active.is_(True))
        .order_by(m.id).limit(1))).first()
    business = (await session.execute(sa.select(b.phone, b.email).where(b.id == business_id))).first()
    for found in (owner, business):
        if found is not None and found.phone:
            return Channel.SMS, found.phone
        if found is not None and found.email:
            return Channel.EMAIL, found.email
    return None


def notice(reading: Reading, firing: bool, minutes: int) -> tuple[str, str]:
    """The owner's notice: subject and body, with the measured value, the sample count and the threshold."""
    rule, what, n = reading.rule, WHAT[reading.rule.name], reading.samples
    above = f"(alert above {rule.show(rule.threshold)})"
    if firing:
        assert reading.value is not None
        return (f"Hero365 alert: {what}", f"Hero365 alert: {what} at {rule.show(reading.value)} over {n} in the "
                                          f"last {minutes} minutes {above}.")
    if reading.value is None or n < rule.min_samples:
        return (f"Hero365 resolved: {what}", f"Hero365 resolved: {what}: only {n} in the last {minutes} minutes, "
                                             f"too few to alert on (minimum {rule.min_samples}).")
    return (f"Hero365 resolved: {what}", f"Hero365 resolved: {what} back to {rule.show(reading.value)} over {n} "
                                         f"in the last {minutes} minutes {above}.")


async def _transition(store: Store, reading: Reading, firing: bool, now: datetime) -> Change | None:
    """Move one business's rule to firing or ok and queue the owner's notice in the outbox, in one transaction;
    None when another evaluator got there first (the state had already moved, and that one notified)."""
    rule, a, biz = reading.rule, alerts.c, reading.business_id
    key = (a.business_id == biz) & (a.rule == rule.name)
    values = {"value": reading.value, "samples": reading.samples, "threshold": rule.threshold, "changed_at": now}
    async with store.uow(biz) as uow:
        s = uow.session
        if firing:
            episode = (await s.execute(sa.update(alerts).where(key, a.state == OK).values(
                state=FIRING, episode=a.episode + 1, **values).returning(a.episode))).scalar_one_or_none()
            if episode is None:
                if (await s.execute(sa.select(a.id).where(key))).first() is not None:
                    return None  # already firing: notified then
                try:
                    async with s.begin_nested():
                        await s.execute(sa.insert(alerts).values(business_id=biz, rule=rule.name, state=FIRING,
                                                                 episode=1, **values))
                except IntegrityError:  # a concurrent evaluator inserted it first (and notified)
                    return None
                episode = 1
        else:
            episode = (await s.execute(sa.update(alerts).where(key, a.state == FIRING).values(
                state=OK, **values).returning(a.episode))).scalar_one_or_none()
            if episode is None:
                return None
        to = await _owner_contact(s, biz)
        if to is None:
            log.warning("alert %s for business %s: the owner has no phone or e-mail to notify", rule.name, biz)
        else:
            subject, body = notice(reading, firing, int(rule.window.total_seconds() // 60))
            uow.outbox.add(OutboxMessage(business_id=biz, channel=to[0], to=to[1], subject=subject, body=body,
                                         related=f"alert:{rule.name}:{episode}:{'firing' if firing else 'resolved'}",
                                         created_at=now))
            await s.execute(sa.update(alerts).where(key).values(notified_to=to[1]))
    return Change(biz, rule.name, FIRING if firing else OK, int(episode), reading.value, reading.samples,
                  to[1] if to else None)


async def states(store: Store) -> dict[tuple[int, str], str]:
    """Every (business, rule) that has ever fired, and its state now."""
    async with store.engine.connect() as conn:
        rows = await conn.execute(sa.select(alerts.c.business_id, alerts.c.rule, alerts.c.state))
        return {(int(b), str(n)): str(st) for b, n, st in rows}


async def evaluate(store: Store, settings: Settings, now: datetime | None = None,
                   measured: list[Reading] | None = None) -> list[Change]:
    """Measure every rule (or take `measured`), fire what crossed its threshold and resolve what came back;
    returns the changes this evaluation made."""
    now = now or store.clock()
    measured = await measure(store, settings, now) if measured is None else measured
    readings = {(r.business_id, r.rule.name): r for r in measured}
    by_name = {r.name: r for r in rules(settings)}
    firing = {key for key, state in (await states(store)).items() if state == FIRING}
    changes: list[Change] = []
    for key in sorted(set(readings) | firing):
        rule = by_name.get(key[1])
        if rule is None:  # a rule this version no longer has
            continue
        reading = readings.get(key) or Reading(key[0], rule, None, 0)
        if reading.firing != (key in firing):
            change = await _transition(store, reading, reading.firing, now)
            if change is not None:
                log.warning("alert %s for business %s: %s (%s over %s samples)", change.rule, change.business_id,
                            change.state, reading.value, reading.samples)
                changes.append(change)
    return changes


async def run_periodically(store: Store, settings: Settings, interval: float,
                           clock: Callable[[], datetime] | None = None) -> None:
    """The gateway's alert loop: evaluate every `interval` seconds (the first after one interval); a failed
    evaluation is logged and retried next time, never the end of the loop."""
    while True:
        await asyncio.sleep(interval)
        try:
            await evaluate(store, settings, clock() if clock else None)
        except Exception:
            log.exception("alert evaluation failed")


def periodic(store: Store, settings: Settings) -> contextlib.AbstractAsyncContextManager[asyncio.Task[None] | None]:
    """Run the alert loop for the life of the block (the gateway's lifespan); off when the interval is 0."""
    every = settings.alerts_interval_seconds
    return running(run_periodically(store, settings, every) if every > 0 else None)
