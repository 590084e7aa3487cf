"""The store keeps each business's data to itself and numbers jobs per business."""

from datetime import UTC, datetime

from hero365.erp.services import businesses, contacts, jobs


async def test_job_numbers_are_per_business_and_invisible_to_others(world) -> None:
    store = world.store
    async with store.uow(world.business_id) as uow:
        c = await contacts.create_contact(uow, world.owner, "Bob Johnson", "512-555-0100", state="TX")
        job = await jobs.create_job(uow, world.owner, c.id, "Fix sink", datetime(2026, 11, 24, 15, tzinfo=UTC))
    assert job.number == 1
    other, _owner = await businesses.create_business(store, "Other Co", owner_name="X", owner_email="x@other.test")
    async with store.uow(other.id) as uow:
        assert await uow.jobs.by_number(1) is None
        assert await uow.contacts.search("johnson") == []
