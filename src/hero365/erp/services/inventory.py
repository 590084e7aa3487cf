"""Stock checks, prices, and reorders."""

from __future__ import annotations

from typing import Any

from ..domain.errors import Ambiguous, InvalidInput, NotFound
from ..domain.inventory import Product, ProductKind, PurchaseOrder, check_reorder_quantity
from ..domain.tenancy import Actor, Permission, Role
from ..store.uow import UnitOfWork
from .common import log, now, rank_names


async def product_index(uow: UnitOfWork) -> list[dict[str, Any]]:
    return await uow.cached(("products",), "product_index", uow.products.index)


def _singular(text: str) -> str:
    words = text.lower().replace("-", " ").split()
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


async def find_product(uow: UnitOfWork, name: str, kind: ProductKind | None = None) -> Product:
    """A product by SKU or spoken name ("water heaters" = "40 gal water heater" if that's the only one)."""
    query = _singular(name.strip())
    if not query:
        raise InvalidInput("Which product?")
    index = [row for row in await product_index(uow) if kind is None or row["kind"] == kind.value]
    for row in index:
        if row["sku"].lower() == name.strip().lower():
            return await _get(uow, row["id"])
    names = {row["id"]: _singular(row["name"]) for row in index}
    contains = [k for k, v in names.items() if query in v or v in query]
    if len(contains) == 1:
        return await _get(uow, contains[0])
    pool = {k: names[k] for k in contains} if contains else names
    ranked = [m for m in rank_names(query, pool) if m[2] >= 70]
    display = {row["id"]: row["name"] for row in index}
    if ranked and (len(ranked) == 1 or ranked[0][2] - ranked[1][2] >= 6):
        return await _get(uow, ranked[0][0])
    if len(ranked) > 1:
        options = [display[k] for k, _, _ in ranked[:3]]
        raise Ambiguous(f"Which one: {', '.join(options[:-1])} or {options[-1]}?", options)
    what = "service" if kind == ProductKind.SERVICE else "product"
    raise NotFound(f"I can't find a {what} called {name}.")


async def _get(uow: UnitOfWork, product_id: int) -> Product:
    product = await uow.products.get(product_id)
    if product is None:
        raise NotFound("That product no longer exists.")
    return product


async def check_inventory(uow: UnitOfWork, actor: Actor, product: str) -> tuple[Product, list[PurchaseOrder]]:
    """Stock on hand and any open orders for it."""
    actor.require(Permission.INVENTORY_VIEW, "see stock")
    found = await find_product(uow, product, ProductKind.PART)
    return found, await uow.purchase_orders.open_for_product(found.id or 0)


async def reorder_product(uow: UnitOfWork, actor: Actor, product: str, quantity: int | None = None) -> PurchaseOrder:
    actor.require(Permission.INVENTORY_REORDER, "order stock")
    found = await find_product(uow, product, ProductKind.PART)
    qty = check_reorder_quantity(found, quantity)
    order = uow.purchase_orders.add(PurchaseOrder(
        business_id=actor.business_id, number=await uow.next_number("purchase_order"), product_id=found.id or 0,
        quantity=qty, unit_cost_cents=found.unit_cost_cents, supplier=found.supplier, created_at=now(uow),
        user_id=actor.user_id))
    await uow.flush()
    log(uow, actor, "inventory.reorder", "purchase_order", order.id, f"PO {order.number}: {qty} x {found.name}")
    return order


async def receive_purchase_order(uow: UnitOfWork, actor: Actor, number: int) -> PurchaseOrder:
    actor.require(Permission.INVENTORY_REORDER, "receive stock")
    order = await uow.purchase_orders.by_number(number)
    if order is None:
        raise NotFound(f"There's no purchase order {number}.")
    product = await _get(uow, order.product_id)
    order.receive(product, now(uow))
    log(uow, actor, "inventory.received", "purchase_order", order.id, f"PO {number} received")
    return order


async def ask_price(uow: UnitOfWork, actor: Actor, service: str | None = None) -> list[Product]:
    """What a service costs (the business's own price list; callers see prices, never costs)."""
    if actor.role != Role.CALL_AGENT:
        actor.require(Permission.INVENTORY_VIEW, "see prices")
    if not service:
        services = [row for row in await product_index(uow) if row["kind"] == ProductKind.SERVICE.value]
        return [await _get(uow, row["id"]) for row in services[:5]]
    return [await find_product(uow, service, ProductKind.SERVICE)]
