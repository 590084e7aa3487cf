"""Stock, reorders and prices through the services on SQLite and PostgreSQL."""

import pytest

from hero365.erp.domain.errors import Ambiguous, InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.inventory import Product, PurchaseOrderStatus
from hero365.erp.services import inventory


async def test_check_inventory_finds_a_part_by_its_spoken_plural_name(world) -> None:
    async with world.store.uow(world.business_id) as uow:
        product, orders = await inventory.check_inventory(uow, world.tech, "water heaters")
    assert product.sku == "WH-40" and product.stock_on_hand == 3 and not product.low_stock and orders == []
    async with world.store.uow(world.business_id) as uow:
        by_sku, _ = await inventory.check_inventory(uow, world.tech, "pt-12")
        fuzzy, _ = await inventory.check_inventory(uow, world.tech, "pecks tubing")
    assert by_sku.name == "pex tubing" and fuzzy.sku == "PT-12"


async def test_check_inventory_for_something_not_stocked_says_so(world) -> None:
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match=r"^I can't find a product called sump pump\.$"):
            await inventory.check_inventory(uow, world.owner, "sump pump")
        with pytest.raises(NotFound, match="product called drain cleaning"):  # a service has no stock
            await inventory.check_inventory(uow, world.owner, "drain cleaning")
        with pytest.raises(InvalidInput, match="Which product"):
            await inventory.check_inventory(uow, world.owner, "  ")
        with pytest.raises(PermissionDenied):
            await inventory.check_inventory(uow, world.call_agent(1), "pex tubing")


async def test_two_products_that_fit_the_name_asks_which(world) -> None:
    async with world.store.uow(world.business_id) as uow:
        uow.products.add(Product(business_id=world.business_id, sku="WH-50", name="50 gallon water heater",
                                 unit_price_cents=109900, stock_on_hand=1))
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(Ambiguous) as err:
            await inventory.check_inventory(uow, world.owner, "water heater")
        assert (await inventory.check_inventory(uow, world.owner, "50 gallon water heater"))[0].sku == "WH-50"
    assert set(err.value.options) == {"40 gallon water heater", "50 gallon water heater"}
    assert err.value.message.startswith("Which one: ")


async def test_reorder_product_raises_a_purchase_order_that_check_inventory_then_shows(world, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        po = await inventory.reorder_product(uow, world.tech, "water heater")
    assert (po.number, po.quantity, po.unit_cost_cents, po.supplier) == (1, 4, 52000, "Ferguson")
    assert po.total_cents == 208000 and po.status == PurchaseOrderStatus.ORDERED and po.user_id == world.tech.user_id
    async with world.store.uow(world.business_id) as uow:
        second = await inventory.reorder_product(uow, world.owner, "pex tubing", 1000)
        product, orders = await inventory.check_inventory(uow, world.owner, "water heater")
    assert second.number == 2 and second.quantity == 1000
    assert [o.number for o in orders] == [po.number] and product.stock_on_hand == 3
    async with world.store.uow(world.business_id) as uow:
        received = await inventory.receive_purchase_order(uow, world.owner, po.number)
    assert received.status == PurchaseOrderStatus.RECEIVED
    async with world.store.uow(world.business_id) as uow:
        product, orders = await inventory.check_inventory(uow, world.owner, "water heater")
    assert product.stock_on_hand == 7 and orders == []
    assert await rows("purchase_orders") == 2


@pytest.mark.parametrize(("product", "quantity", "error", "says"), [
    ("water heater", 0, InvalidInput, "between 1 and 10,000 40 gallon water heater, not 0"),
    ("water heater", 20000, InvalidInput, "not 20000"),
    ("drain cleaning", 1, NotFound, "product called drain cleaning"),
    ("unobtainium", 1, NotFound, "product called unobtainium"),
])
async def test_a_bad_reorder_writes_no_purchase_order(world, rows, product, quantity, error, says) -> None:
    with pytest.raises(error, match=says):
        async with world.store.uow(world.business_id) as uow:
            await inventory.reorder_product(uow, world.owner, product, quantity)
    assert await rows("purchase_orders") == 0
    async with world.store.uow(world.business_id) as uow:
        assert (await inventory.reorder_product(uow, world.owner, "pex tubing")).number == 1  # no number was used


async def test_ask_price_tells_a_caller_what_a_service_costs(world, people) -> None:
    agent = world.call_agent(people.johnson.id)
    async with world.store.uow(world.business_id) as uow:
        (drain,) = await inventory.ask_price(uow, agent, "drain cleaning")
        listed = await inventory.ask_price(uow, agent)
    assert drain.name == "drain cleaning" and drain.unit_price_cents == 18900
    assert [p.name for p in listed] == ["drain cleaning"]
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match=r"^I can't find a service called roof repair\.$"):
            await inventory.ask_price(uow, agent, "roof repair")
        with pytest.raises(NotFound, match="service called pex tubing"):  # parts are not priced as services
            await inventory.ask_price(uow, agent, "pex tubing")


async def test_a_product_of_another_business_is_invisible(world) -> None:
    from hero365.erp.services import businesses

    other, owner_b = await businesses.create_business(world.store, "Other Co", owner_name="Bea",
                                                      owner_email="bea@other.test")
    actor_b = await businesses.actor_for(world.store, owner_b.id, other.id)
    async with world.store.uow(other.id) as uow:
        with pytest.raises(NotFound):
            await inventory.check_inventory(uow, actor_b, "WH-40")
        with pytest.raises(NotFound):
            await inventory.receive_purchase_order(uow, actor_b, 1)
