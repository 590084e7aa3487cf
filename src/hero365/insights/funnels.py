"""Outbound campaign funnels: from the dialer's call attempts (issue 7's `call_attempts`, when mapped), else
from the recorded conversations that had a purpose. One GROUP BY per source, never a loop over rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..erp.store.db import Store
from .analytics import count_if, in_window, rate, turns_joined
from .periods import Window
from .tables import conversation_turns, conversations, map_insights

#: What a campaign's call is for, by purpose: the actions that count as its goal reached.
GOALS: dict[str, tuple[str, ...]] = {
    "appointment_reminder": ("confirm_appointment", "reschedule_appointment", "cancel_appointment"),
    "reschedule": ("reschedule_appointment",),
    "estimate_follow_up": ("book_consultation", "create_job"),
    "lead_qualification": ("book_consultation", "create_job"),
    "payment_reminder": ("payment_promise", "record_payment"),
    "feedback": ("give_feedback",),
}
#: Call attempt outcomes (calls.attempts.Outcome) that mean the call reached its goal.
CONVERTED_OUTCOMES = ("confirmed", "rescheduled", "promised_payment", "booked", "feedback")
NOT_DIALED = ("queued", "skipped", "cancelled")


async def funnels(store: Store, business_id: int, win: Window) -> dict[str, Any]:
    """Outbound campaign funnels: from the dialer's call attempts when that table exists, else from the
    conversations that had a purpose (calls the dialer made but nobody answered are then not counted)."""
    import contextlib

    from ..erp.store.tables import metadata

    with contextlib.suppress(ImportError):  # the dialer's tables (the calls package), when installed
        from ..calls import tables as _calls_tables  # noqa: F401
    attempts = metadata.tables.get("call_attempts")
    needed = {"business_id", "campaign_id", "contact_id", "state", "outcome", "answered_at", "created_at"}
    if attempts is not None and needed <= set(attempts.c.keys()):
        return await _attempt_funnels(store, business_id, win, attempts)
    return await conversation_funnels(store, business_id, win)


async def conversation_funnels(store: Store, business_id: int, win: Window) -> dict[str, Any]:
    """Per purpose, from the recorded conversations: calls connected, reached (the person spoke), resolved,
    converted (the purpose's goal action completed, see GOALS), opted out."""
    map_insights()
    c, t = conversations.c, conversation_turns.c
    where = [*in_window(business_id, win, None), c.purpose.is_not(None), c.purpose != "inbound"]
    goal = sa.or_(*(sa.and_(c.purpose == purpose, t.action.in_(acts)) for purpose, acts in GOALS.items()))
    out: dict[str, dict[str, Any]] = {}
    async with store.engine.connect() as conn:
        for purpose, n, reached, resolved, opted in await conn.execute(sa.select(
                c.purpose, sa.func.count(c.id), count_if(c.turns > 0), count_if(c.resolved == sa.true()),
                count_if(c.outcome == "opt_out")).where(*where).group_by(c.purpose)):
            out[purpose] = {"purpose": purpose, "calls": n, "reached": int(reached or 0),
                            "resolved": int(resolved or 0), "converted": 0, "opted_out": int(opted or 0)}
        for purpose, n in await conn.execute(
                sa.select(c.purpose, sa.func.count(sa.distinct(c.id))).select_from(turns_joined())
                .where(*where, goal).group_by(c.purpose)):
            out[purpose]["converted"] = n
    for f in out.values():
        f["conversion_rate"] = rate(f["converted"], f["calls"])
    return {"source": "conversations",
            "note": "Funnels from recorded conversations with a purpose: calls that were never answered are not "
                    "in the conversation store, so the first stage counts connected calls only.",
            "funnels": sorted(out.values(), key=lambda f: f["purpose"])}


async def _attempt_funnels(store: Store, business_id: int, win: Window, attempts: sa.Table) -> dict[str, Any]:
    """Per campaign (attempts created in the window): contacts, attempts, blocked by the compliance rules,
    dialed, answered, voicemail / no answer / busy / failed, converted (an outcome in CONVERTED_OUTCOMES)."""
    from ..erp.store.tables import metadata

    a = attempts.c
    answered = sa.or_(a.answered_at.is_not(None), a.state.in_(("answered", "completed")))
    cols = [a.campaign_id, sa.func.count(), sa.func.count(sa.distinct(a.contact_id)),
            count_if(a.state == "skipped"), count_if(a.state.not_in(NOT_DIALED)), count_if(answered),
            sa.func.count(sa.distinct(sa.case((answered, a.contact_id), else_=None))),
            *(count_if(a.state == s) for s in ("voicemail", "no_answer", "busy", "failed")),
            count_if(a.outcome.in_(CONVERTED_OUTCOMES)), sa.func.count(sa.distinct(sa.case(
                (a.outcome.in_(CONVERTED_OUTCOMES), a.contact_id), else_=None)))]
    stmt = sa.select(*cols).where(a.business_id == business_id, a.created_at >= win.start,
                                  a.created_at < win.end).group_by(a.campaign_id)
    names: dict[Any, tuple[str, str]] = {}
    out = []
    async with store.engine.connect() as conn:
        campaigns = metadata.tables.get("campaigns")
        if campaigns is not None:
            names = {cid: (name, purpose) for cid, name, purpose in await conn.execute(sa.select(
                campaigns.c.id, campaigns.c.name, campaigns.c.purpose).where(campaigns.c.business_id == business_id))}
        for row in await conn.execute(stmt):
            (campaign, n, contacts, skipped, dialed, answered_n, reached, vm, na, busy, failed, converted,
             converted_contacts) = row
            name, purpose = names.get(campaign, ("single calls" if campaign is None else f"campaign {campaign}", None))
            out.append({"campaign_id": campaign, "name": name, "purpose": purpose, "contacts": contacts,
                        "attempts": n, "blocked": int(skipped or 0), "dialed": int(dialed or 0),
                        "answered": int(answered_n or 0), "contacts_reached": reached, "voicemail": int(vm or 0),
                        "no_answer": int(na or 0), "busy": int(busy or 0), "failed": int(failed or 0),
                        "converted": int(converted or 0), "contacts_converted": converted_contacts,
                        "conversion_rate": rate(converted_contacts, contacts)})
    return {"source": "call_attempts",
            "note": "Funnels from the dialer's call attempts created in the window, per campaign (conversion: "
                    "the contact confirmed, rescheduled, promised a payment, booked or gave feedback).",
            "funnels": sorted(out, key=lambda f: (f["campaign_id"] is None, f["campaign_id"] or 0))}
