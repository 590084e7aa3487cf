"""The compliance service: load what the rules need about one call (the business's calling rules, the callee's
zone, lists, consent, relationship), decide with `compliance.decide`, and log the decision for audit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import phonenumbers
import sqlalchemy as sa
from phonenumbers import timezone as phone_timezone

from ..config import Settings
from ..erp.domain.contacts import Contact, timezone_for_state
from ..erp.store import tables as et
from ..erp.store.uow import UnitOfWork
from ..voice.state import Purpose
from . import repo
from . import tables as t
from .compliance import US_ZONES, CallFacts, Decision, Window, decide, holiday_days

_SIP_USER = re.compile(r"^sips?:(\+?\d{7,15})@", re.IGNORECASE)


@dataclass(frozen=True)
class CallRules:
    """A business's calling rules: its zone and window, the holidays it observes, who it says it is."""

    zone: str
    window: Window
    holidays: str
    legal: Window
    caller_id: str | None
    callback_number: str | None


async def rules_for(uow: UnitOfWork, settings: Settings) -> CallRules:
    business = await uow.business()
    row = await repo.settings_row(uow)
    days = frozenset(int(d) for d in (row["days"] if row else settings.business_call_days) if d.isdigit())
    window = (Window(row["window_start"], row["window_end"], days) if row else
              Window(settings.business_call_hours_start, settings.business_call_hours_end, days))
    return CallRules(zone=business.timezone, window=window,
                     holidays=row["holidays"] if row else settings.calling_holidays,
                     legal=Window(settings.calling_hours_start, settings.calling_hours_end),
                     caller_id=(row and row["caller_id"]) or settings.caller_id or business.phone,
                     callback_number=(row and row["callback_number"]) or settings.callback_number or business.phone)


async def set_rules(uow: UnitOfWork, *, window_start: int, window_end: int, days: str = "0123456",
                    holidays: str = "US", caller_id: str | None = None, callback_number: str | None = None) -> None:
    """The business's own calling window and holidays (validated before anything is written)."""
    Window(window_start, window_end, frozenset(int(d) for d in days))
    holiday_days(holidays, [2026])
    values = {"window_start": window_start, "window_end": window_end, "days": days, "holidays": holidays,
              "caller_id": caller_id, "callback_number": callback_number}
    table = t.call_settings
    updated = await uow.session.execute(sa.update(table).where(table.c.business_id == uow.business_id)
                                        .values(**values))
    if updated.rowcount == 0:
        await uow.session.execute(sa.insert(table).values(business_id=uow.business_id, **values))


@lru_cache(maxsize=64)
def _holidays(spec: str, year: int) -> frozenset:
    return holiday_days(spec, range(year - 1, year + 2))


def judged_number(to: str, contact: Contact | None) -> str:
    """The E.164 number the rules judge: `to` itself, the user part of a SIP URI, else the contact's phone."""
    if to.startswith("+") and to[1:].isdigit():
        return to
    found = _SIP_USER.match(to)
    if found:
        user = found.group(1)
        return user if user.startswith("+") else "+" + user
    if contact is not None and contact.primary_phone:
        return contact.primary_phone
    return to


def callee_zones(number: str, contact: Contact | None) -> tuple[str, ...]:
    """Address first, then the contact's recorded zone, then every zone the area code can be in; all US zones
    when nothing says (the rules then require the window to hold in each)."""
    if contact is not None:
        zone = timezone_for_state(contact.state) or contact.timezone
        if zone:
            return (zone,)
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return US_ZONES
    zones = tuple(z for z in phone_timezone.time_zones_for_number(parsed) if "/" in z and not z.startswith("Etc/"))
    return zones or US_ZONES


async def has_relationship(uow: UnitOfWork, contact_id: int) -> bool:
    """A job, invoice or estimate with this contact: what makes an informational call expected."""
    bid = uow.business_id
    for table in (et.jobs, et.invoices, et.estimates):
        stmt = sa.select(table.c.id).where(table.c.business_id == bid, table.c.contact_id == contact_id).limit(1)
        if (await uow.session.execute(stmt)).first() is not None:
            return True
    return False


async def check_call(uow: UnitOfWork, settings: Settings, *, to: str, purpose: Purpose, contact: Contact | None,
                     stage: str, at: datetime, attempt_id: int | None = None,
                     campaign_window: Window | None = None, rules: CallRules | None = None) -> Decision:
    """Decide one call and log the decision (same transaction as the caller's change)."""
    rules = rules or await rules_for(uow, settings)
    number = judged_number(to, contact)
    facts = CallFacts(
        number=number, marketing=purpose.is_marketing, zones=callee_zones(number, contact),
        business_zone=rules.zone, business_window=rules.window, legal_window=rules.legal,
        campaign_window=campaign_window, holidays=_holidays(rules.holidays, at.year),
        on_business_dnc=await repo.on_business_dnc(uow, number),
        on_national_dnc=await repo.on_national_dnc(uow, number),
        opted_out=bool(contact and contact.do_not_call),
        written_consent=bool(contact and contact.marketing_consent and contact.consent_at is not None),
        relationship=bool(contact and contact.id is not None and await has_relationship(uow, contact.id)))
    decision = decide(facts, at)
    await repo.log_decision(uow, decision, number=number, purpose=purpose.value, stage=stage, at=at,
                            attempt_id=attempt_id, contact_id=contact.id if contact else None)
    return decision
