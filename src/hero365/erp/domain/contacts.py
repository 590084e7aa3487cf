"""Contacts (customers and leads): phones in E.164, where they live, and what they agreed to."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from phonenumbers import timezone as phone_timezone

from .errors import InvalidInput
from .tenancy import TenantOwned


class ContactKind(enum.StrEnum):
    CUSTOMER = "customer"
    LEAD = "lead"


class LeadStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"


class InteractionKind(enum.StrEnum):
    NOTE = "note"
    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    FEEDBACK = "feedback"
    CONSENT = "consent"
    OPT_OUT = "opt_out"


def normalize_phone(raw: str, region: str = "US") -> str:
    """Any way a person writes a phone number -> E.164 ('+15125550100'), or a clear error."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"{raw!r} is not a phone number I can use.") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(f"{raw!r} is not a phone number I can use.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def speak_phone(e164: str) -> str:
    """'+15125550100' -> '512 555 0100', the way people read numbers aloud."""
    digits = e164[2:] if e164.startswith("+1") and len(e164) == 12 else e164.lstrip("+")
    if len(digits) == 10:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return " ".join(digits)


def timezone_for_phone(e164: str) -> str | None:
    """The single time zone of a number's area code, or None where it spans several."""
    zones = [z for z in phone_timezone.time_zones_for_number(phonenumbers.parse(e164)) if "/" in z]
    return zones[0] if len(zones) == 1 else None


def timezone_for_state(state: str | None) -> str | None:
    """The main time zone of a US state (by abbreviation or name)."""
    if not state:
        return None
    import us  # local: `us` loads a table at import

    found = us.states.lookup(state.strip())
    if found is None or not found.time_zones:
        return None
    return str(found.capital_tz or found.time_zones[0])


@dataclass(eq=False)
class ContactPhone(TenantOwned):
    number: str
    label: str = "mobile"
    business_id: int | None = None
    contact_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Interaction(TenantOwned):
    """A note, call, message or feedback logged against a contact."""

    business_id: int
    contact_id: int
    kind: InteractionKind
    summary: str
    created_at: datetime
    user_id: int | None = None
    channel: str | None = None
    rating: int | None = None
    job_id: int | None = None
    invoice_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Contact(TenantOwned):
    business_id: int
    name: str
    kind: ContactKind = ContactKind.CUSTOMER
    company: str | None = None
    email: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    timezone: str | None = None
    lead_status: LeadStatus | None = None
    lead_source: str | None = None
    marketing_consent: bool = False
    consent_at: datetime | None = None
    consent_source: str | None = None
    do_not_call: bool = False
    dnc_at: datetime | None = None
    dnc_source: str | None = None
    created_at: datetime | None = None
    id: int | None = None
    phones: list[ContactPhone] = field(default_factory=list)

    @property
    def primary_phone(self) -> str | None:
        return self.phones[0].number if self.phones else None

    @property
    def address_line(self) -> str:
        parts = [self.street, self.city, " ".join(p for p in (self.state, self.postal_code) if p)]
        return ", ".join(p for p in parts if p)

    def add_phone(self, raw: str, label: str = "mobile") -> str:
        number = normalize_phone(raw)
        if all(p.number != number for p in self.phones):
            self.phones.append(ContactPhone(number=number, label=label, business_id=self.business_id))
        if self.timezone is None:
            self.timezone = timezone_for_phone(number)
        return number

    def resolve_timezone(self, fallback: str) -> str:
        """Address first, then the phone's area code, then the business's zone."""
        return (
            timezone_for_state(self.state)
            or self.timezone
            or (timezone_for_phone(self.primary_phone) if self.primary_phone else None)
            or fallback
        )

    def give_consent(self, at: datetime, source: str) -> None:
        self.marketing_consent, self.consent_at, self.consent_source = True, at, source

    def revoke_consent(self, at: datetime, source: str) -> None:
        self.marketing_consent, self.consent_at, self.consent_source = False, at, source

    def opt_out(self, at: datetime, source: str) -> None:
        """Do not call again, and no marketing either."""
        self.do_not_call, self.dnc_at, self.dnc_source = True, at, source
        self.revoke_consent(at, source)
