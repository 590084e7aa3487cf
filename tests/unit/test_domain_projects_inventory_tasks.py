"""Projects (progress, milestones, budget), stock and reorders, and reminders: the rules without I/O."""

from datetime import UTC, date, datetime, timedelta

import pytest

from hero365.erp.domain.errors import IllegalTransition, InvalidInput
from hero365.erp.domain.inventory import Product, ProductKind, PurchaseOrder, check_reorder_quantity
from hero365.erp.domain.projects import Project, ProjectStatus
from hero365.erp.domain.tasks import Task

AT = datetime(2026, 11, 23, 14, tzinfo=UTC)


def project() -> Project:
    return Project(business_id=1, number=3, name="Kitchen remodel", contact_id=1, budget_cents=1_000_000)


def test_progress_is_a_percentage_and_100_completes_the_project() -> None:
    p = project()
    p.set_progress(40, AT)
    assert p.percent_complete == 40 and p.status == ProjectStatus.ACTIVE
    for bad in (-1, 101):
        with pytest.raises(InvalidInput, match=f"not {bad}"):
            p.set_progress(bad, AT)
    assert p.percent_complete == 40
    p.set_progress(100, AT)
    assert p.status == ProjectStatus.COMPLETED
    with pytest.raises(InvalidInput, match="its progress is final"):
        p.set_progress(50, AT)


def test_milestones_need_a_name_and_are_unique_per_project_ignoring_case() -> None:
    p = project()
    p.add_milestone("Rough-in", date(2026, 12, 1), AT)
    p.add_milestone("Inspection", None, AT)
    with pytest.raises(InvalidInput, match="already has a milestone called rough-in"):
        p.add_milestone("rough-in", None, AT)
    with pytest.raises(InvalidInput, match="needs a name"):
        p.add_milestone("  ", None, AT)
    assert [m.title for m in p.milestones] == ["Rough-in", "Inspection"]
    assert p.next_milestone().title == "Rough-in"  # type: ignore[union-attr]


def test_budget_remaining_and_over_budget() -> None:
    p = project()
    p.spent_cents = 400_000
    assert p.remaining_cents == 600_000 and not p.over_budget
    p.spent_cents = 1_000_001
    assert p.over_budget


def part(**kw) -> Product:
    fields = dict(business_id=1, sku="WH-40", name="water heater", stock_on_hand=3, reorder_point=2,
                  reorder_quantity=4, unit_cost_cents=52000)
    fields.update(kw)
    return Product(**fields)  # type: ignore[arg-type]


def test_stock_never_goes_below_zero_and_services_have_none() -> None:
    p = part()
    p.adjust_stock(-3)
    assert p.stock_on_hand == 0 and p.low_stock
    with pytest.raises(InvalidInput, match="Only 0 water heater in stock"):
        p.adjust_stock(-1)
    with pytest.raises(InvalidInput, match="is a service"):
        part(kind=ProductKind.SERVICE).adjust_stock(1)


def test_reorder_quantity_defaults_to_the_usual_and_is_bounded() -> None:
    assert check_reorder_quantity(part(), None) == 4
    assert check_reorder_quantity(part(), 10) == 10
    with pytest.raises(InvalidInput, match="How many water heater should I order"):
        check_reorder_quantity(part(reorder_quantity=0), None)
    for bad in (0, -2, 10_001):
        with pytest.raises(InvalidInput, match="between 1 and 10,000"):
            check_reorder_quantity(part(), bad)
    with pytest.raises(InvalidInput, match="nothing to order"):
        check_reorder_quantity(part(kind=ProductKind.SERVICE), 1)


def test_receiving_a_purchase_order_adds_stock_once() -> None:
    p = part()
    po = PurchaseOrder(business_id=1, number=1, product_id=1, quantity=4, unit_cost_cents=52000)
    assert po.total_cents == 208000
    po.receive(p, AT)
    assert p.stock_on_hand == 7
    with pytest.raises(IllegalTransition, match="already received"):
        po.receive(p, AT)
    assert p.stock_on_hand == 7


def test_a_reminder_needs_text_a_zone_and_a_future_time() -> None:
    Task.check("call the supplier", AT + timedelta(hours=1), AT)
    with pytest.raises(InvalidInput, match="What should I remind you about"):
        Task.check(" ", AT + timedelta(hours=1), AT)
    with pytest.raises(InvalidInput, match="needs a time zone"):
        Task.check("x", datetime(2026, 11, 24, 9), AT)
    with pytest.raises(InvalidInput, match="already passed"):
        Task.check("x", AT - timedelta(minutes=1), AT)
