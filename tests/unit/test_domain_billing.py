"""Estimates and invoices: lines, totals and tax in cents, statuses, payments (never more than owed),
reminders, and an estimate that turns into an invoice once."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from hero365.erp.domain.billing import Estimate, EstimateStatus, Invoice, InvoiceStatus
from hero365.erp.domain.errors import Conflict, IllegalTransition, InvalidInput

AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def invoice(*lines: tuple[str, str, int], tax_bp: int = 825, status: InvoiceStatus = InvoiceStatus.DRAFT) -> Invoice:
    inv = Invoice(business_id=1, number=1001, contact_id=1, title="Water heater", due_date=TODAY + timedelta(days=30),
                  tax_rate_bp=tax_bp)
    for desc, qty, price in lines:
        inv.add_line(desc, Decimal(qty), price)
    inv.status = status
    return inv


def estimate(*lines: tuple[str, str, int], valid_until: date | None = None) -> Estimate:
    est = Estimate(business_id=1, number=5, contact_id=1, title="Repipe", tax_rate_bp=825, valid_until=valid_until)
    for desc, qty, price in lines:
        est.add_line(desc, Decimal(qty), price)
    return est


def test_totals_are_the_sum_of_lines_plus_tax_on_the_subtotal() -> None:
    inv = invoice(("40 gallon water heater", "1", 89900), ("pex tubing", "12.5", 150), ("labour", "2", 9500))
    assert [ln.total_cents for ln in inv.lines] == [89900, 1875, 19000]
    assert inv.subtotal_cents == 110775
    assert inv.tax_cents == 9139  # 8.25% of 1,107.75 = 91.389... -> 91.39
    assert inv.total_cents == 119914
    assert all(isinstance(v, int) for v in (inv.subtotal_cents, inv.tax_cents, inv.total_cents))


def test_a_fractional_quantity_rounds_the_line_half_up_to_a_cent() -> None:
    inv = invoice(("pipe", "1.5", 333), tax_bp=0)
    assert inv.lines[0].total_cents == 500  # 499.5 -> 500
    assert inv.total_cents == 500


@pytest.mark.parametrize(("desc", "qty", "price", "says"), [
    ("  ", "1", 100, "needs a description"), ("x", "0", 100, "more than zero"), ("x", "-1", 100, "more than zero"),
    ("x", "1", -1, "can't be negative"),
])
def test_bad_lines_are_refused_and_not_added(desc, qty, price, says) -> None:
    inv = invoice()
    with pytest.raises(InvalidInput, match=says):
        inv.add_line(desc, Decimal(qty), price)
    assert inv.lines == []


def test_a_sent_invoice_lines_are_frozen() -> None:
    inv = invoice(("labour", "1", 10000))
    inv.mark_sent(AT)
    with pytest.raises(IllegalTransition, match="its lines can't change"):
        inv.add_line("more", Decimal(1), 100)
    assert inv.status == InvoiceStatus.SENT and inv.issued_at == AT


def test_an_invoice_without_lines_cannot_be_sent() -> None:
    with pytest.raises(InvalidInput, match="has no lines"):
        invoice().mark_sent(AT)


def test_payments_reduce_the_balance_to_partially_paid_then_paid() -> None:
    inv = invoice(("labour", "1", 10000), tax_bp=0, status=InvoiceStatus.SENT)
    inv.record_payment(4000, AT, "card")
    assert inv.status == InvoiceStatus.PARTIALLY_PAID and inv.balance_cents == 6000 and inv.paid_cents == 4000
    inv.record_payment(6000, AT, "cash")
    assert inv.status == InvoiceStatus.PAID and inv.balance_cents == 0


@pytest.mark.parametrize("amount", [0, -500])
def test_a_payment_must_be_more_than_zero(amount) -> None:
    inv = invoice(("labour", "1", 10000), status=InvoiceStatus.SENT)
    with pytest.raises(InvalidInput, match=r"^A payment must be more than zero\.$"):
        inv.record_payment(amount, AT)
    assert inv.payments == [] and inv.status == InvoiceStatus.SENT


def test_an_overpayment_is_refused_with_the_balance() -> None:
    inv = invoice(("labour", "1", 10000), tax_bp=0, status=InvoiceStatus.SENT)
    with pytest.raises(InvalidInput) as err:
        inv.record_payment(10001, AT)
    assert err.value.message == "That's more than invoice 1001's balance of 100 dollars."
    assert err.value.details["balance_cents"] == 10000
    assert inv.payments == [] and inv.status == InvoiceStatus.SENT


def test_a_paid_invoice_says_so_whatever_amount_is_offered() -> None:
    inv = invoice(("labour", "1", 10000), tax_bp=0, status=InvoiceStatus.SENT)
    inv.record_payment(10000, AT)
    for amount in (100, 0):
        with pytest.raises(Conflict, match=r"^Invoice 1001 is already paid in full\.$"):
            inv.record_payment(amount, AT)
    assert len(inv.payments) == 1


def test_a_void_invoice_takes_no_payment_and_an_invoice_with_payments_cannot_be_voided() -> None:
    inv = invoice(("labour", "1", 10000), status=InvoiceStatus.SENT)
    inv.void()
    with pytest.raises(IllegalTransition, match="void"):
        inv.record_payment(100, AT)
    paid = invoice(("labour", "1", 10000), status=InvoiceStatus.SENT)
    paid.record_payment(100, AT)
    with pytest.raises(IllegalTransition, match="has payments"):
        paid.void()


def test_overdue_is_derived_from_the_due_date_and_only_for_unpaid_sent_invoices() -> None:
    inv = invoice(("labour", "1", 10000), status=InvoiceStatus.SENT)
    due = inv.due_date
    assert inv.status_on(due) == InvoiceStatus.SENT and inv.days_overdue(due) == 0
    assert inv.status_on(due + timedelta(days=3)) == InvoiceStatus.OVERDUE
    assert inv.days_overdue(due + timedelta(days=3)) == 3
    draft = invoice(("labour", "1", 10000))
    assert draft.status_on(due + timedelta(days=3)) == InvoiceStatus.DRAFT


def test_reminders_only_for_invoices_that_are_owed() -> None:
    sent = invoice(("labour", "1", 10000), status=InvoiceStatus.SENT)
    assert sent.remind(AT, "sms").channel == "sms" and len(sent.reminders) == 1
    for status in (InvoiceStatus.DRAFT, InvoiceStatus.PAID, InvoiceStatus.VOID):
        with pytest.raises(IllegalTransition, match="nothing to remind about"):
            invoice(("labour", "1", 10000), status=status).remind(AT, "sms")


def test_an_estimate_is_sent_then_accepted_and_totals_like_an_invoice() -> None:
    est = estimate(("repipe", "1", 250000))
    assert est.total_cents == 250000 + 20625
    est.mark_sent(AT)
    est.decide(True, AT)
    assert est.status == EstimateStatus.ACCEPTED and est.decided_at == AT
    with pytest.raises(IllegalTransition, match="already accepted"):
        est.decide(False, AT)


def test_an_expired_estimate_cannot_be_accepted() -> None:
    est = estimate(("repipe", "1", 250000), valid_until=TODAY - timedelta(days=1))
    assert est.status_on(TODAY) == EstimateStatus.EXPIRED
    with pytest.raises(IllegalTransition, match="has expired"):
        est.decide(True, AT)
    assert est.status == EstimateStatus.DRAFT


def test_an_estimate_converts_to_an_invoice_once() -> None:
    est = estimate(("repipe", "1", 250000))
    est.check_convertible()
    est.invoice_id = 77
    with pytest.raises(Conflict, match=r"^Estimate 5 was already turned into an invoice\.$") as err:
        est.check_convertible()
    assert err.value.details["invoice_id"] == 77


def test_declined_and_empty_estimates_are_not_convertible() -> None:
    declined = estimate(("repipe", "1", 250000))
    declined.decide(False, AT)
    with pytest.raises(IllegalTransition, match="declined; it can't be invoiced"):
        declined.check_convertible()
    with pytest.raises(InvalidInput, match="has no lines"):
        estimate().check_convertible()
    with pytest.raises(InvalidInput, match="has no lines yet"):
        estimate().mark_sent(AT)
