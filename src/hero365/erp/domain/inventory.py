"""Products and services the business sells, stock on hand, and purchase orders."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .errors import IllegalTransition, InvalidInput
from .tenancy import TenantOwned


class ProductKind(enum.StrEnum):
    PART = "part"
    SERVICE = "service"


@dataclass(eq=False)
class Product(TenantOwned):
    business_id: int
    sku: str
    name: str
    kind: ProductKind = ProductKind.PART
    unit: str = "each"
    unit_price_cents: int = 0
    unit_cost_cents: int = 0
    stock_on_hand: int = 0
    reorder_point: int = 0
    reorder_quantity: int = 0
    supplier: str | None = None
    id: int | None = None

    @property
    def low_stock(self) -> bool:
        return self.kind == ProductKind.PART and self.stock_on_hand <= self.reorder_point

    def adjust_stock(self, delta: int) -> None:
        if self.kind == ProductKind.SERVICE:
            raise InvalidInput(f"{self.name} is a service; it has no stock.")
        if self.stock_on_hand + delta < 0:
            raise InvalidInput(f"Only {self.stock_on_hand} {self.name} in stock.")
        self.stock_on_hand += delta


class PurchaseOrderStatus(enum.StrEnum):
    ORDERED = "ordered"
    RECEIVED = "received"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class PurchaseOrder(TenantOwned):
    """One product reordered from its supplier; stock rises when it is received."""

    business_id: int
    number: int
    product_id: int
    quantity: int
    unit_cost_cents: int
    supplier: str | None = None
    status: PurchaseOrderStatus = PurchaseOrderStatus.ORDERED
    created_at: datetime | None = None
    received_at: datetime | None = None
    user_id: int | None = None
    id: int | None = None

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cost_cents

    def receive(self, product: Product, at: datetime) -> None:
        if self.status != PurchaseOrderStatus.ORDERED:
            raise IllegalTransition(f"Purchase order {self.number} is already {self.status.value}.")
        product.adjust_stock(self.quantity)
        self.status, self.received_at = PurchaseOrderStatus.RECEIVED, at


def check_reorder_quantity(product: Product, quantity: int | None) -> int:
    """The quantity asked for, else the product's usual reorder quantity."""
    if product.kind == ProductKind.SERVICE:
        raise InvalidInput(f"{product.name} is a service; there's nothing to order.")
    qty = quantity if quantity is not None else (product.reorder_quantity or None)
    if qty is None:
        raise InvalidInput(f"How many {product.name} should I order?")
    if not 0 < qty <= 10_000:
        raise InvalidInput(f"I can order between 1 and 10,000 {product.name}, not {qty}.")
    return qty
