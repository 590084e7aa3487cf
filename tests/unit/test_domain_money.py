"""Money is integer cents everywhere: parsing, rounding, tax, and how it is written and spoken."""

from decimal import Decimal

import pytest

from hero365.erp.domain.errors import InvalidInput
from hero365.erp.domain.money import format_money, from_cents, speak_money, tax_on, to_cents


@pytest.mark.parametrize(("spoken", "cents"), [
    ("250", 25000), (250, 25000), ("1,250.50", 125050), ("$19.99", 1999), (Decimal("0.005"), 1),
    (Decimal("0.004"), 0), ("  42.1 ", 4210), ("-5", -500),
])
def test_amounts_become_integer_cents_rounding_half_up(spoken, cents) -> None:
    assert to_cents(spoken) == cents
    assert isinstance(to_cents(spoken), int)


def test_floats_are_refused_because_they_lose_cents() -> None:
    with pytest.raises(InvalidInput, match="floating point"):
        to_cents(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("junk", ["twelve", "", "1.2.3", "NaN", "Infinity"])
def test_text_that_is_not_money_is_a_clear_error(junk) -> None:
    with pytest.raises(InvalidInput, match="not an amount of money"):
        to_cents(junk)


def test_cents_back_to_dollars_keeps_two_places() -> None:
    assert from_cents(125050) == Decimal("1250.50")
    assert from_cents(7) == Decimal("0.07")


def test_money_is_written_with_cents_only_when_there_are_some() -> None:
    assert format_money(125000) == "$1,250"
    assert format_money(125050) == "$1,250.50"
    assert format_money(-150) == "-$1.50"
    assert format_money(0) == "$0"


def test_money_is_spoken_in_dollars_and_cents() -> None:
    assert speak_money(100) == "1 dollar"
    assert speak_money(125050) == "1,250 dollars and 50 cents"
    assert speak_money(101) == "1 dollar and 1 cent"
    assert speak_money(-2500) == "minus 25 dollars"


def test_tax_is_a_rate_in_basis_points_rounded_half_up() -> None:
    assert tax_on(10000, 825) == 825
    assert tax_on(1999, 825) == 165  # 164.9175 -> 165
    assert tax_on(1000, 825) == 83  # 82.5 -> 83 (half up, not banker's)
    assert tax_on(12345, 0) == 0
