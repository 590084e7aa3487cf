"""Money as integer cents; never float. Parsing and speaking live here so every layer agrees."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InvalidInput

Cents = int


def to_cents(amount: Decimal | int | str) -> Cents:
    """Dollars (Decimal, int or a string like "1,250.50") to integer cents, rounding half up."""
    if isinstance(amount, float):  # guard: floats lose cents
        raise InvalidInput("Amounts must not be floating point numbers.")
    try:
        value = Decimal(str(amount).replace(",", "").replace("$", "").strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"{amount!r} is not an amount of money.") from exc
    if not value.is_finite():
        raise InvalidInput(f"{amount!r} is not an amount of money.")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents: Cents) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def format_money(cents: Cents) -> str:
    """'$1,250.00' style, for screens and logs."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}" if cents % 100 else f"{sign}${abs(cents) // 100:,}"


def speak_money(cents: Cents) -> str:
    """'1,250 dollars and 50 cents': how a voice should read an amount."""
    dollars, rest = divmod(abs(cents), 100)
    sign = "minus " if cents < 0 else ""
    unit = "dollar" if dollars == 1 else "dollars"
    if rest == 0:
        return f"{sign}{dollars:,} {unit}"
    return f"{sign}{dollars:,} {unit} and {rest} cent{'s' if rest != 1 else ''}"


def tax_on(subtotal: Cents, rate_bp: int) -> Cents:
    """Tax in cents for a rate in basis points (825 = 8.25%), rounded half up."""
    return int((Decimal(subtotal) * rate_bp / Decimal(10000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
