"""Estimates and invoices: line items, tax, totals, statuses, payments; money in cents."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from .errors import Conflict, IllegalTransition, InvalidInput
from .money import speak_money, tax_on
from .tenancy import TenantOwned


@dataclass(eq=False)
class LineItem(TenantOwned):
    description: str
    quantity: Decimal
    unit_price_cents: int
    product_id: int | None = None
    business_id: int | None = None
    id: int | None = None

    @property
    def total_cents(self) -> int:
        return int((self.quantity * self.unit_price_cents).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(eq=False)
class EstimateLine(LineItem):
    estimate_id: int | None = None


@dataclass(eq=False)
class InvoiceLine(LineItem):
    invoice_id: int | None = None


def _check_line(description: str, quantity: Decimal, unit_price_cents: int) -> None:
    if not description.strip():
        raise InvalidInput("Each line needs a description.")
    if quantity <= 0:
        raise InvalidInput("A line's quantity must be more than zero.")
    if unit_price_cents < 0:
        raise InvalidInput("A line's price can't be negative.")


class _Totals:
    lines: list
    tax_rate_bp: int

    @property
    def subtotal_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def tax_cents(self) -> int:
        return tax_on(self.subtotal_cents, self.tax_rate_bp)

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.tax_cents


class EstimateStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


@dataclass(eq=False)
class Estimate(_Totals, TenantOwned):
    business_id: int
    number: int
    contact_id: int
    title: str
    tax_rate_bp: int = 0
    status: EstimateStatus = EstimateStatus.DRAFT
    job_id: int | None = None
    valid_until: date | None = None
    sent_at: datetime | None = None
    decided_at: datetime | None = None
    invoice_id: int | None = None
    created_at: datetime | None = None
    id: int | None = None
    lines: list[EstimateLine] = field(default_factory=list)

    def add_line(self, description: str, quantity: Decimal, unit_price_cents: int,
                 product_id: int | None = None) -> EstimateLine:
        if self.status != EstimateStatus.DRAFT:
            raise IllegalTransition(f"Estimate {self.number} is {self.status.value}; its lines can't change.")
        _check_line(description, quantity, unit_price_cents)
        line = EstimateLine(description=description.strip(), quantity=quantity,
                            unit_price_cents=unit_price_cents, product_id=product_id,
                            business_id=self.business_id)
        self.lines.append(line)
        return line

    def status_on(self, today: date) -> EstimateStatus:
        if self.status in (EstimateStatus.DRAFT, EstimateStatus.SENT) and self.valid_until and today > self.valid_until:
            return EstimateStatus.EXPIRED
        return self.status

    def mark_sent(self, at: datetime) -> None:
        if self.status not in (EstimateStatus.DRAFT, EstimateStatus.SENT):
            raise IllegalTransition(f"Estimate {self.number} is {self.status.value}; it can't be sent.")
        if not self.lines:
            raise InvalidInput(f"Estimate {self.number} has no lines yet; add what it's for first.")
        self.status, self.sent_at = EstimateStatus.SENT, at

    def decide(self, accepted: bool, at: datetime) -> None:
        if self.status_on(at.date()) == EstimateStatus.EXPIRED:
            raise IllegalTransition(f"Estimate {self.number} has expired.")
        if self.status not in (EstimateStatus.DRAFT, EstimateStatus.SENT):
            raise IllegalTransition(f"Estimate {self.number} is already {self.status.value}.")
        self.status = EstimateStatus.ACCEPTED if accepted else EstimateStatus.DECLINED
        self.decided_at = at

    def check_convertible(self) -> None:
        if self.invoice_id is not None:
            raise Conflict(f"Estimate {self.number} was already turned into an invoice.",
                           invoice_id=self.invoice_id)
        if self.status in (EstimateStatus.DECLINED, EstimateStatus.EXPIRED):
            raise IllegalTransition(f"Estimate {self.number} is {self.status.value}; it can't be invoiced.")
        if not self.lines:
            raise InvalidInput(f"Estimate {self.number} has no lines to invoice.")


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


@dataclass(eq=False)
class Payment(TenantOwned):
    amount_cents: int
    received_at: datetime
    method: str = "other"
    reference: str | None = None
    user_id: int | None = None
    invoice_id: int | None = None
    business_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class InvoiceReminder(TenantOwned):
    sent_at: datetime
    channel: str
    invoice_id: int | None = None
    business_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class PaymentPromise(TenantOwned):
    """A customer said when they'd pay (from a call)."""

    promised_date: date
    created_at: datetime
    amount_cents: int | None = None
    invoice_id: int | None = None
    business_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class Invoice(_Totals, TenantOwned):
    business_id: int
    number: int
    contact_id: int
    title: str
    due_date: date
    tax_rate_bp: int = 0
    #: Stored status is draft/sent/partially_paid/paid/void; "overdue" is derived from the due date.
    status: InvoiceStatus = InvoiceStatus.DRAFT
    job_id: int | None = None
    estimate_id: int | None = None
    issued_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime | None = None
    id: int | None = None
    lines: list[InvoiceLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    reminders: list[InvoiceReminder] = field(default_factory=list)
    promises: list[PaymentPromise] = field(default_factory=list)

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.payments)

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.paid_cents

    def status_on(self, today: date) -> InvoiceStatus:
        if self.status in (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID) and today > self.due_date:
            return InvoiceStatus.OVERDUE
        return self.status

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_date).days) if self.status_on(today) == InvoiceStatus.OVERDUE else 0

    def add_line(self, description: str, quantity: Decimal, unit_price_cents: int,
                 product_id: int | None = None) -> InvoiceLine:
        if self.status != InvoiceStatus.DRAFT:
            raise IllegalTransition(f"Invoice {self.number} is {self.status.value}; its lines can't change.")
        _check_line(description, quantity, unit_price_cents)
        line = InvoiceLine(description=description.strip(), quantity=quantity,
                           unit_price_cents=unit_price_cents, product_id=product_id,
                           business_id=self.business_id)
        self.lines.append(line)
        return line

    def mark_sent(self, at: datetime) -> None:
        if self.status == InvoiceStatus.VOID:
            raise IllegalTransition(f"Invoice {self.number} is void.")
        if not self.lines:
            raise InvalidInput(f"Invoice {self.number} has no lines yet.")
        if self.status == InvoiceStatus.DRAFT:
            self.status = InvoiceStatus.SENT
            self.issued_at = self.issued_at or at
        self.sent_at = at

    def record_payment(self, amount_cents: int, at: datetime, method: str = "other",
                       reference: str | None = None, user_id: int | None = None) -> Payment:
        if self.status == InvoiceStatus.VOID:
            raise IllegalTransition(f"Invoice {self.number} is void; it can't take payments.")
        if self.balance_cents <= 0:  # first: "pay the rest" on a paid invoice must hear that it is paid
            raise Conflict(f"Invoice {self.number} is already paid in full.")
        if amount_cents <= 0:
            raise InvalidInput("A payment must be more than zero.")
        if amount_cents > self.balance_cents:
            raise InvalidInput(
                f"That's more than invoice {self.number}'s balance of {speak_money(self.balance_cents)}.",
                balance_cents=self.balance_cents)
        payment = Payment(amount_cents=amount_cents, received_at=at, method=method, reference=reference,
                          user_id=user_id, business_id=self.business_id)
        self.payments.append(payment)
        self.issued_at = self.issued_at or at
        self.status = InvoiceStatus.PAID if self.balance_cents == 0 else InvoiceStatus.PARTIALLY_PAID
        return payment

    def remind(self, at: datetime, channel: str) -> InvoiceReminder:
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID, InvoiceStatus.PAID):
            raise IllegalTransition(f"Invoice {self.number} is {self.status.value.replace('_', ' ')}; "
                                    "there's nothing to remind about.")
        reminder = InvoiceReminder(sent_at=at, channel=channel, business_id=self.business_id)
        self.reminders.append(reminder)
        return reminder

    def void(self) -> None:
        if self.payments:
            raise IllegalTransition(f"Invoice {self.number} has payments; it can't be voided.")
        self.status = InvoiceStatus.VOID
