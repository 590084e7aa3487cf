"""Tenancy lives in the store: a business's session never reads another's rows, whatever the query, and
never writes into another business. On SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from hero365.erp.domain.billing import Invoice
from hero365.erp.domain.contacts import Contact, ContactPhone
from hero365.erp.domain.jobs import Job, JobNote
from hero365.erp.services import billing, businesses, contacts, jobs
from hero365.erp.store.db import TenantViolation


@pytest.fixture
async def two(world, people, local):
    """Business A (the world) with a job and an invoice, and an empty business B with its own owner."""
    async with world.store.uow(world.business_id) as uow:
        job = await jobs.create_job(uow, world.owner, people.johnson.id, "Fix leak", local(24, 9))
        inv = await billing.create_invoice(uow, world.owner, job_number=job.number, amount_cents=10000)
    other, owner_b = await businesses.create_business(world.store, "Other Co", owner_name="Bea",
                                                      owner_email="bea@other.test")
    actor_b = await businesses.actor_for(world.store, owner_b.id, other.id)
    return {"a": world.business_id, "b": other.id, "job": job, "invoice": inv, "actor_b": actor_b}


@pytest.mark.parametrize("model", [Job, Contact, Invoice, ContactPhone])
async def test_a_raw_orm_select_in_business_b_reads_none_of_as_rows(world, two, model) -> None:
    async with world.store.uow(two["b"]) as uow:
        assert (await uow.session.execute(sa.select(model))).scalars().all() == []
        assert (await uow.session.execute(sa.select(model).where(model.id == 1))).scalars().all() == []
        assert (await uow.session.execute(sa.select(model.id))).scalars().all() == []
        assert (await uow.session.execute(sa.select(sa.func.count(model.id)))).scalar_one() == 0
        assert await uow.session.get(model, 1) is None
    async with world.store.uow(two["a"]) as uow:
        assert (await uow.session.execute(sa.select(model))).scalars().all() != []


async def test_joins_and_subqueries_are_scoped_too(world, two) -> None:
    async with world.store.uow(two["b"]) as uow:
        joined = sa.select(Contact).join(Job, Job.contact_id == Contact.id)
        assert (await uow.session.execute(joined)).scalars().all() == []
        sub = sa.select(Job.contact_id).scalar_subquery()
        assert (await uow.session.execute(sa.select(Contact).where(Contact.id.in_(sub)))).scalars().all() == []
        assert await uow.jobs.by_number(two["job"].number) is None
        assert await uow.invoices.by_number(two["invoice"].number) is None
        assert await uow.contacts.name_index() == []


async def test_an_orm_update_or_delete_in_business_b_leaves_as_rows_alone(world, two) -> None:
    async with world.store.uow(two["b"]) as uow:
        await uow.session.execute(sa.update(Job).values(title="pwned"))
        await uow.session.execute(sa.delete(JobNote))
        await uow.session.execute(sa.update(Contact).values(do_not_call=True))
    async with world.store.uow(two["a"]) as uow:
        job = await uow.jobs.by_number(two["job"].number)
        assert job.title == "Fix leak"
        assert not any(c.do_not_call for c in (await uow.session.execute(sa.select(Contact))).scalars())


async def test_writing_a_row_of_business_a_from_bs_unit_of_work_raises_and_rolls_back(world, two, rows) -> None:
    before = await rows("contacts")
    with pytest.raises(TenantViolation, match=f"Contact of business {two['a']} written from business {two['b']}"):
        async with world.store.uow(two["b"]) as uow:
            await contacts.create_contact(uow, two["actor_b"], "Legit Customer", "512 555 0111")
            uow.contacts.add(Contact(business_id=two["a"], name="Smuggled"))
    assert await rows("contacts") == before  # B's own legitimate contact went with it: one transaction
    assert await rows("contacts", name="Smuggled") == 0 and await rows("contacts", name="Legit Customer") == 0


async def test_moving_a_row_into_another_business_is_a_violation_too(world, two, rows) -> None:
    async with world.store.uow(two["b"]) as uow:
        mine = await contacts.create_contact(uow, two["actor_b"], "Bea's Customer")
    with pytest.raises(TenantViolation):
        async with world.store.uow(two["b"]) as uow:
            contact = await uow.contacts.get(mine.id)
            contact.business_id = two["a"]
            await uow.flush()
    assert await rows("contacts", business_id=two["b"]) == 1


async def test_rows_written_without_a_business_belong_to_the_session_business(world, two) -> None:
    async with world.store.uow(two["b"]) as uow:
        orphan = Contact(business_id=None, name="No Business Given")  # type: ignore[arg-type]
        orphan.phones.append(ContactPhone(number="+15125550123"))
        uow.contacts.add(orphan)
    assert orphan.business_id == two["b"] and orphan.phones[0].business_id == two["b"]


async def test_the_directory_unit_of_work_sees_across_businesses(world, two) -> None:
    async with world.store.directory() as uow:
        assert {b.id for b in await uow.directory.businesses()} == {two["a"], two["b"]}
        assert len((await uow.session.execute(sa.select(Job))).scalars().all()) == 1


@pytest.mark.parametrize("how", ["values", "executemany", "multi-values", "update-set"])
async def test_a_bulk_orm_statement_writing_into_another_business_raises_and_rolls_back(world, two, rows,
                                                                                         how) -> None:
    a, b = two["a"], two["b"]
    row = {"name": "Smuggled", "kind": "customer", "marketing_consent": False, "do_not_call": False}
    before_a, before_b = await rows("contacts", business_id=a), await rows("contacts", business_id=b)
    with pytest.raises(TenantViolation, match=f"Contact of business {a} written from business {b}"):
        async with world.store.uow(b) as uow:
            await contacts.create_contact(uow, two["actor_b"], "Legit Customer")
            if how == "values":
                await uow.session.execute(sa.insert(Contact).values(business_id=a, **row))
            elif how == "executemany":
                await uow.session.execute(sa.insert(Contact), [{"business_id": b, **row}, {"business_id": a, **row}])
            elif how == "multi-values":
                await uow.session.execute(sa.insert(Contact).values([{"business_id": b, **row},
                                                                     {"business_id": a, **row}]))
            else:
                await uow.session.execute(sa.update(Contact).values(business_id=a))
    assert await rows("contacts", business_id=a) == before_a and await rows("contacts", business_id=b) == before_b


async def test_a_bulk_orm_insert_into_the_sessions_own_business_is_fine(world, two, rows) -> None:
    row = {"kind": "customer", "marketing_consent": False, "do_not_call": False}
    async with world.store.uow(two["b"]) as uow:
        await uow.session.execute(sa.insert(Contact), [{"business_id": two["b"], "name": "One", **row},
                                                       {"business_id": two["b"], "name": "Two", **row}])
        await uow.session.execute(sa.update(Contact).where(Contact.name == "One").values(company="Co"))
    assert await rows("contacts", business_id=two["b"]) == 2 and await rows("contacts", company="Co") == 1
