"""Concurrent units of work: distinct numbers, no double-booking, no overpayment. On SQLite (one writer at a
time) and on PostgreSQL (row locks), where it matters most."""

import asyncio

from hero365.erp.domain.errors import Conflict, DomainError
from hero365.erp.services import billing, jobs


async def together(*makers):
    """Run the units of work at once: each opens its transaction and reads, then all write together."""
    ready = asyncio.Barrier(len(makers))
    return await asyncio.gather(*(make(ready) for make in makers), return_exceptions=True)


async def test_concurrent_units_of_work_get_distinct_job_numbers(world, people, local, rows) -> None:
    def booking(i):
        async def run(ready):
            async with world.store.uow(world.business_id) as uow:
                await uow.contacts.get(people.johnson.id)  # a read inside the transaction first
                await ready.wait()
                job = await jobs.create_job(uow, world.owner, people.johnson.id, f"Job {i}", None)
                await asyncio.sleep(0.01)  # hold the transaction open a little while the others wait
                return job.number
        return run

    numbers = await together(*(booking(i) for i in range(8)))
    assert sorted(numbers) == list(range(1, 9)), numbers
    assert await rows("jobs") == 8


async def test_two_concurrent_bookings_of_one_technician_at_one_time_book_once(world, people, local,
                                                                             rows) -> None:
    def booking(contact):
        async def run(ready):
            async with world.store.uow(world.business_id) as uow:
                await uow.contacts.get(contact.id)
                await ready.wait()
                job = await jobs.create_job(uow, world.owner, contact.id, "Fix", local(24, 9),
                                            technician_id=world.tech.user_id)
                await asyncio.sleep(0.05)
                return job.number
        return run

    results = await together(booking(people.johnson), booking(people.smith))
    booked = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(booked) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict) and "Tina Tech is already booked" in refused[0].message
    assert await rows("jobs") == 1


async def test_two_concurrent_full_payments_are_never_both_taken(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        inv = await billing.create_invoice(uow, world.owner, customer="smith", amount_cents=10000, title="Repair")
        await billing.send_invoice(uow, world.owner, inv.number)

    def paying(actor):
        async def run(ready):
            async with world.store.uow(world.business_id) as uow:
                await uow.contacts.get(people.smith.id)
                await ready.wait()
                paid = await billing.record_payment(uow, actor, 10825, inv.number)
                await asyncio.sleep(0.05)
                return paid.paid_cents
        return run

    results = await together(paying(world.owner), paying(world.office))
    assert sorted(map(type, results), key=str) == sorted([int, Conflict], key=str), results
    assert await rows("payments") == 1
    async with world.store.uow(world.business_id) as uow:
        stored = await billing.get_invoice_status(uow, world.owner, inv.number)
    assert stored.paid_cents == 10825 and stored.balance_cents == 0


async def test_concurrent_invoices_get_distinct_numbers(world, people, rows) -> None:
    def invoicing(i):
        async def run(ready):
            async with world.store.uow(world.business_id) as uow:
                await ready.wait()
                return (await billing.create_invoice(uow, world.owner, customer="garcia", amount_cents=100 + i,
                                                     title=f"Part {i}")).number
        return run

    numbers = await together(*(invoicing(i) for i in range(5)))
    assert sorted(numbers) == [1001, 1002, 1003, 1004, 1005], numbers


async def test_a_failed_concurrent_write_leaves_the_counter_for_the_next(world, people, local) -> None:
    async def bad(ready):
        async with world.store.uow(world.business_id) as uow:
            await ready.wait()
            await jobs.create_job(uow, world.owner, people.johnson.id, "x", local(24, 9), 2)  # too short

    async def good(ready):
        async with world.store.uow(world.business_id) as uow:
            await ready.wait()
            return (await jobs.create_job(uow, world.owner, people.smith.id, "Fix", None)).number

    results = await together(bad, good)
    assert isinstance(results[0], DomainError) and "between 5 minutes and a day" in results[0].message
    assert results[1] == 1


async def test_converting_one_estimate_twice_at_once_makes_one_invoice(world, people, rows) -> None:
    from hero365.erp.domain.errors import Conflict as _Conflict

    async with world.store.uow(world.business_id) as uow:
        est = await billing.create_estimate(uow, world.owner, "smith", "Repipe", 250000)

    def converting(actor):
        async def run(ready):
            async with world.store.uow(world.business_id) as uow:
                await uow.contacts.get(people.smith.id)
                await ready.wait()
                inv = await billing.convert_estimate_to_invoice(uow, actor, est.number)
                await asyncio.sleep(0.05)
                return inv.number
        return run

    results = await together(converting(world.owner), converting(world.office))
    assert sorted(map(type, results), key=str) == sorted([int, _Conflict], key=str), results
    assert await rows("invoices") == 1
