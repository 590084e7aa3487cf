"""Contacts: create, look up, notes and interactions, consent and do-not-call, follow-ups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain.billing import Invoice
from ..domain.contacts import Contact, ContactKind, Interaction, InteractionKind, LeadStatus, normalize_phone
from ..domain.errors import InvalidInput
from ..domain.jobs import Job
from ..domain.tasks import Task, TaskKind
from ..domain.tenancy import Actor, Permission, Role
from ..store.uow import UnitOfWork
from .common import find_contact, get_contact, log, now


@dataclass
class ContactInfo:
    contact: Contact
    open_jobs: list[Job] = field(default_factory=list)
    open_invoices: list[Invoice] = field(default_factory=list)
    balance_cents: int = 0
    recent: list[Interaction] = field(default_factory=list)


async def create_contact(uow: UnitOfWork, actor: Actor, name: str, phone: str | None = None, *,
                         email: str | None = None, kind: ContactKind = ContactKind.CUSTOMER,
                         street: str | None = None, city: str | None = None, state: str | None = None,
                         postal_code: str | None = None, company: str | None = None,
                         lead_source: str | None = None) -> Contact:
    actor.require(Permission.CONTACTS_MANAGE, "add contacts")
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("What's the contact's name?")
    if len(name) > 200:
        raise InvalidInput("That name is too long.")
    if email is not None and "@" not in email:
        raise InvalidInput(f"{email!r} is not an e-mail address.")
    contact = Contact(business_id=actor.business_id, name=name, kind=kind, email=email, street=street, city=city,
                      state=state, postal_code=postal_code, company=company, created_at=now(uow),
                      lead_status=LeadStatus.NEW if kind == ContactKind.LEAD else None, lead_source=lead_source)
    if phone:
        number = contact.add_phone(phone)
        duplicates = await uow.contacts.by_phone(number)
        if duplicates:
            raise InvalidInput(f"{duplicates[0].name} already has the number {phone}.")
    contact.timezone = contact.resolve_timezone((await uow.business()).timezone)
    uow.contacts.add(contact)
    await uow.flush()
    log(uow, actor, "contact.created", "contact", contact.id, f"Added {kind.value} {name}")
    return contact


async def create_lead_from_call(uow: UnitOfWork, actor: Actor, phone: str | None,
                                name: str | None = None) -> Contact:
    """An unknown caller becomes a lead (the receptionist's first step); a withheld number gives a lead with
    no phone, so the call is still answered and anything booked on it has a record to live on."""
    number = normalize_phone(phone) if phone else None
    contact = Contact(business_id=actor.business_id, name=name or (f"Caller {number}" if number else
                                                                   "Caller with a withheld number"),
                      kind=ContactKind.LEAD, lead_status=LeadStatus.NEW, lead_source="inbound call",
                      created_at=now(uow))
    if number:
        contact.add_phone(number)
    contact.timezone = contact.resolve_timezone((await uow.business()).timezone)
    uow.contacts.add(contact)
    await uow.flush()
    log(uow, actor, "contact.created", "contact", contact.id, f"New lead from a call: {number or 'number withheld'}")
    return contact


async def find_by_phone(uow: UnitOfWork, phone: str) -> Contact | None:
    """Who is calling: the contact with this number (the oldest if several share it)."""
    found = await uow.contacts.by_phone(normalize_phone(phone))
    return found[0] if found else None


async def get_contact_info(uow: UnitOfWork, actor: Actor, customer: str | None = None,
                           contact_id: int | None = None) -> ContactInfo:
    """Phone, address, open jobs and balance of one contact."""
    if contact_id is not None:
        contact = await get_contact(uow, actor, contact_id)
    elif customer:
        contact = await find_contact(uow, actor, customer)
    else:
        raise InvalidInput("Which customer?")
    assert contact.id is not None
    jobs = await uow.jobs.for_contact(contact.id, open_only=True)
    if not actor.sees_all_jobs and actor.role != Role.CALL_AGENT:
        jobs = [j for j in jobs if j.technician_id == actor.user_id]
    info = ContactInfo(contact=contact, open_jobs=jobs)
    if actor.can(Permission.INVOICES_VIEW) or actor.role == Role.CALL_AGENT:
        invoices = [i for i in await uow.invoices.for_contact(contact.id) if i.balance_cents > 0
                    and i.status.value not in ("draft", "void")]
        info.open_invoices, info.balance_cents = invoices, sum(i.balance_cents for i in invoices)
    if actor.role != Role.CALL_AGENT:
        info.recent = await uow.contacts.interactions(contact.id, limit=5)
    return info


async def search_contacts(uow: UnitOfWork, actor: Actor, text: str, limit: int = 20) -> list[Contact]:
    actor.require(Permission.CONTACTS_VIEW, "look up customers")
    if not text.strip():
        raise InvalidInput("What name should I search for?")
    return await uow.contacts.search(text, limit)


async def log_interaction(uow: UnitOfWork, actor: Actor, contact: Contact, kind: InteractionKind, summary: str,
                          *, channel: str | None = None, rating: int | None = None, job_id: int | None = None,
                          invoice_id: int | None = None) -> Interaction:
    assert contact.id is not None
    interaction = Interaction(business_id=actor.business_id, contact_id=contact.id, kind=kind,
                              summary=summary.strip(), created_at=now(uow), user_id=actor.user_id,
                              channel=channel, rating=rating, job_id=job_id, invoice_id=invoice_id)
    uow.contacts.add_interaction(interaction)
    return interaction


async def add_contact_note(uow: UnitOfWork, actor: Actor, customer: str, note: str) -> Interaction:
    actor.require(Permission.CONTACTS_NOTE, "add notes to contacts")
    if not note.strip():
        raise InvalidInput("The note is empty. What should it say?")
    contact = await find_contact(uow, actor, customer)
    interaction = await log_interaction(uow, actor, contact, InteractionKind.NOTE, note)
    await uow.flush()
    log(uow, actor, "contact.note", "contact", contact.id, note[:200])
    return interaction


async def schedule_follow_up(uow: UnitOfWork, actor: Actor, customer: str, due_at: datetime,
                             title: str | None = None, kind: TaskKind = TaskKind.FOLLOW_UP,
                             contact: Contact | None = None) -> Task:
    """A task to get back to a contact at a time (a follow-up, or a call back the customer asked for)."""
    actor.require(Permission.TASKS_OWN if actor.role != Role.CALL_AGENT else Permission.CUSTOMER_SELF_SERVICE,
                  "schedule follow-ups")
    contact = contact or await find_contact(uow, actor, customer)
    title = title or f"Follow up with {contact.name}"
    Task.check(title, due_at, now(uow))
    task = uow.tasks.add(Task(business_id=actor.business_id, kind=kind, title=title, due_at=due_at,
                              user_id=actor.user_id, contact_id=contact.id, created_at=now(uow)))
    await uow.flush()
    log(uow, actor, f"task.{kind.value}", "task", task.id, title)
    return task


async def record_consent(uow: UnitOfWork, actor: Actor, contact_id: int, given: bool, source: str) -> Contact:
    """Marketing consent given or revoked, with when and how (what the calling rules check)."""
    actor.require(Permission.CONTACTS_MANAGE, "change consent")
    contact = await get_contact(uow, actor, contact_id)
    at = now(uow)
    (contact.give_consent if given else contact.revoke_consent)(at, source)
    await log_interaction(uow, actor, contact, InteractionKind.CONSENT,
                          f"Marketing consent {'given' if given else 'revoked'} ({source})")
    log(uow, actor, "contact.consent", "contact", contact.id, f"consent={given} via {source}")
    return contact


async def opt_out(uow: UnitOfWork, actor: Actor, contact_id: int, source: str) -> Contact:
    """"Stop calling me": on the do-not-call list at once. Anyone may record it, the caller included."""
    contact = await get_contact(uow, actor, contact_id)
    contact.opt_out(now(uow), source)
    await log_interaction(uow, actor, contact, InteractionKind.OPT_OUT, f"Asked not to be called ({source})")
    log(uow, actor, "contact.opt_out", "contact", contact.id, source)
    return contact


async def set_lead_status(uow: UnitOfWork, actor: Actor, contact_id: int, status: LeadStatus,
                          reason: str | None = None) -> Contact:
    contact = await get_contact(uow, actor, contact_id)
    if contact.kind != ContactKind.LEAD:
        raise InvalidInput(f"{contact.name} is already a customer.")
    contact.lead_status = status
    if status == LeadStatus.WON:
        contact.kind = ContactKind.CUSTOMER
    await log_interaction(uow, actor, contact, InteractionKind.NOTE,
                          f"Lead marked {status.value}" + (f": {reason}" if reason else ""))
    log(uow, actor, "contact.lead_status", "contact", contact.id, status.value)
    return contact
