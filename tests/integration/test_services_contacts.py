"""Contacts through the services on SQLite and PostgreSQL: create, look up by a spoken name (fuzzy, phonetic,
"did you mean"), notes, follow-ups; and nothing half-written when the input is bad."""

from datetime import UTC, datetime

import pytest

from hero365.erp.domain.contacts import ContactKind, InteractionKind
from hero365.erp.domain.errors import Ambiguous, InvalidInput, NotFound, PermissionDenied
from hero365.erp.domain.tasks import TaskKind
from hero365.erp.services import billing, contacts, jobs


async def test_create_contact_stores_the_phone_in_e164_and_the_time_zone_of_the_address(world, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        ann = await contacts.create_contact(uow, world.office, "  Ann   Lee ", "(415) 555-0199", state="NY",
                                            email="ann@lee.test")
        lead = await contacts.create_contact(uow, world.owner, "Sam Park", "212 555 0142", kind=ContactKind.LEAD,
                                             lead_source="yard sign")
        walk_in = await contacts.create_contact(uow, world.owner, "No Phone")
    assert ann.name == "Ann Lee" and ann.primary_phone == "+14155550199"
    assert ann.timezone == "America/New_York"  # the address wins over the phone's area code
    assert lead.timezone == "America/New_York" and lead.lead_status.value == "new"
    assert walk_in.timezone == "America/Chicago" and walk_in.phones == []  # the business's own zone
    assert await rows("contacts") == 3 and await rows("contact_phones") == 2
    assert await rows("activity_log", action="contact.created") == 3


async def test_a_phone_number_already_on_file_is_refused_whatever_way_it_is_written(world, people, rows) -> None:
    with pytest.raises(InvalidInput, match=r"^Bob Johnson already has the number 512-555-0100\.$"):
        async with world.store.uow(world.business_id) as uow:
            await contacts.create_contact(uow, world.office, "Robert Johnson", "512-555-0100")
    assert await rows("contacts") == 3 and await rows("contact_phones") == 3


@pytest.mark.parametrize(("name", "phone", "email", "says"), [
    ("   ", None, None, "What's the contact's name"),
    ("Ann", "12", None, "is not a phone number I can use"),
    ("Ann", None, "ann.example.com", "is not an e-mail address"),
    ("A" * 201, None, None, "too long"),
])
async def test_bad_contact_details_are_refused_and_nothing_is_stored(world, rows, name, phone, email, says) -> None:
    with pytest.raises(InvalidInput, match=says):
        async with world.store.uow(world.business_id) as uow:
            await contacts.create_contact(uow, world.office, name, phone, email=email)
    assert await rows("contacts") == 0 and await rows("contact_phones") == 0


async def test_a_technician_may_not_add_contacts(world, rows) -> None:
    with pytest.raises(PermissionDenied, match=r"can't add contacts"):
        async with world.store.uow(world.business_id) as uow:
            await contacts.create_contact(uow, world.tech, "Ann Lee")
    assert await rows("contacts") == 0


async def test_get_contact_info_gives_phone_address_open_jobs_and_balance(world, people, local) -> None:
    async with world.store.uow(world.business_id) as uow:
        job = await jobs.create_job(uow, world.owner, people.johnson.id, "Fix leak", local(24, 9))
        invoice = await billing.create_invoice(uow, world.owner, job_number=job.number, amount_cents=20000)
        await billing.send_invoice(uow, world.owner, invoice.number)
        await billing.create_invoice(uow, world.owner, customer="johnson", amount_cents=5000, title="Draft")  # draft
        await contacts.add_contact_note(uow, world.office, "johnson", "Prefers mornings")
    async with world.store.uow(world.business_id) as uow:
        info = await contacts.get_contact_info(uow, world.office, "Johnson")
    assert info.contact.name == "Bob Johnson" and info.contact.primary_phone == "+15125550100"
    assert info.contact.address_line == "100 Main St, Austin, TX 78701"
    assert [j.number for j in info.open_jobs] == [job.number]
    assert [i.number for i in info.open_invoices] == [invoice.number]
    assert info.balance_cents == 20000 + 1650  # sent invoice with 8.25% tax; the draft is not owed yet
    assert info.recent[0].summary == "Prefers mornings"


async def test_a_technician_sees_only_their_own_open_jobs_on_a_contact(world, people, local) -> None:
    async with world.store.uow(world.business_id) as uow:
        await jobs.create_job(uow, world.owner, people.johnson.id, "Tom's", local(24, 9),
                              technician_id=world.tech2.user_id)
        mine = await jobs.create_job(uow, world.owner, people.johnson.id, "Tina's", local(24, 13),
                                     technician_id=world.tech.user_id)
    async with world.store.uow(world.business_id) as uow:
        info = await contacts.get_contact_info(uow, world.tech, "johnson")
    assert [j.number for j in info.open_jobs] == [mine.number]


@pytest.mark.parametrize("spoken", ["Bob Johnson", "johnson", "the Johnsons", "Johnson's", "bob", "jonson",
                                    "johnsen", "BOB JOHNSON"])
async def test_a_spoken_name_finds_the_customer_by_letters_or_by_sound(world, people, spoken) -> None:
    async with world.store.uow(world.business_id) as uow:
        info = await contacts.get_contact_info(uow, world.owner, spoken)
    assert info.contact.id == people.johnson.id


async def test_a_company_name_finds_its_contact(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        assert (await contacts.get_contact_info(uow, world.owner, "garcia rentals")).contact.id == people.garcia.id


async def test_an_unknown_customer_near_a_known_name_gets_did_you_mean(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound) as err:
            await contacts.get_contact_info(uow, world.owner, "jonstone")
    assert err.value.message == "I can't find a customer named jonstone. Did you mean Bob Johnson?"
    assert err.value.details["options"] == ["Bob Johnson"]


async def test_an_unknown_customer_with_no_near_name_just_says_so(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(NotFound, match=r"^I can't find a customer named Zebulon\.$"):
            await contacts.get_contact_info(uow, world.owner, "Zebulon")


async def test_two_customers_with_the_name_asks_which_one(world, people) -> None:
    async with world.store.uow(world.business_id) as uow:
        await contacts.create_contact(uow, world.office, "Ann Johnson", "512 555 0177")
    async with world.store.uow(world.business_id) as uow:
        with pytest.raises(Ambiguous) as err:
            await contacts.get_contact_info(uow, world.owner, "johnson")
        assert (await contacts.get_contact_info(uow, world.owner, "ann johnson")).contact.name == "Ann Johnson"
    assert err.value.message == "I found 2 customers called johnson: Bob Johnson or Ann Johnson. Which one?"
    assert err.value.options == ["Bob Johnson", "Ann Johnson"]


async def test_add_contact_note_logs_it_on_the_contact(world, people, rows) -> None:
    async with world.store.uow(world.business_id) as uow:
        note = await contacts.add_contact_note(uow, world.tech, "smith", "  Dog in the yard ")
    assert note.kind == InteractionKind.NOTE and note.summary == "Dog in the yard"
    assert note.contact_id == people.smith.id and note.user_id == world.tech.user_id
    assert await rows("interactions", contact_id=people.smith.id) == 1


async def test_a_note_that_is_empty_or_for_nobody_writes_nothing(world, people, rows) -> None:
    for customer, note, error in (("smith", "  ", InvalidInput), ("Zebulon", "hello", NotFound)):
        with pytest.raises(error):
            async with world.store.uow(world.business_id) as uow:
                await contacts.add_contact_note(uow, world.owner, customer, note)
    assert await rows("interactions") == 0 and await rows("activity_log", action="contact.note") == 0


async def test_schedule_follow_up_creates_a_task_for_the_user_and_the_contact(world, people, local) -> None:
    async with world.store.uow(world.business_id) as uow:
        task = await contacts.schedule_follow_up(uow, world.office, "garcia", local(27, 10))
    assert task.kind == TaskKind.FOLLOW_UP and task.title == "Follow up with Carlos Garcia"
    assert task.contact_id == people.garcia.id and task.user_id == world.office.user_id
    assert task.due_at == local(27, 10)
    async with world.store.uow(world.business_id) as uow:
        assert [t.id for t in await uow.tasks.open_for(contact_id=people.garcia.id)] == [task.id]


async def test_a_follow_up_in_the_past_or_for_nobody_writes_no_task(world, people, local, rows) -> None:
    with pytest.raises(InvalidInput, match="already passed"):
        async with world.store.uow(world.business_id) as uow:
            await contacts.schedule_follow_up(uow, world.office, "garcia", local(20, 10))
    with pytest.raises(NotFound, match="Did you mean Carlos Garcia"):
        async with world.store.uow(world.business_id) as uow:
            await contacts.schedule_follow_up(uow, world.office, "garsiya", datetime(2026, 12, 1, tzinfo=UTC))
    assert await rows("tasks") == 0


async def test_a_contact_of_another_business_is_invisible(world, people) -> None:
    from hero365.erp.services import businesses

    other, owner_b = await businesses.create_business(world.store, "Other Co", owner_name="Bea",
                                                      owner_email="bea@other.test")
    actor_b = await businesses.actor_for(world.store, owner_b.id, other.id)
    async with world.store.uow(other.id) as uow:
        with pytest.raises(NotFound, match=r"^I can't find a customer named johnson\.$"):
            await contacts.get_contact_info(uow, actor_b, "johnson")
        with pytest.raises(NotFound, match="can't find that contact"):
            await contacts.get_contact_info(uow, actor_b, contact_id=people.johnson.id)
        assert await contacts.search_contacts(uow, actor_b, "john") == []
