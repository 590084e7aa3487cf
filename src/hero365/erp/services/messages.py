"""The outbox: messages are written with the change that caused them, then delivered by senders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from ..domain.contacts import Contact, InteractionKind
from ..domain.errors import InvalidInput
from ..domain.messages import Channel, MessageStatus, OutboxMessage, Sender
from ..domain.tenancy import Actor
from ..store.db import Store
from ..store.uow import UnitOfWork
from .common import now


async def queue_message(uow: UnitOfWork, actor: Actor, contact: Contact, body: str, *, subject: str | None = None,
                        channel: Channel | None = None, related: str | None = None) -> OutboxMessage:
    """Queue an SMS (or e-mail when there's no phone) to a contact, logged on the contact."""
    from .contacts import log_interaction

    if channel is None:
        channel = Channel.SMS if contact.primary_phone else Channel.EMAIL
    to = contact.primary_phone if channel == Channel.SMS else contact.email
    if not to:
        raise InvalidInput(f"{contact.name} has no {'phone number' if channel == Channel.SMS else 'e-mail'} on file.")
    message = uow.outbox.add(OutboxMessage(business_id=actor.business_id, channel=channel, to=to, body=body,
                                           subject=subject, contact_id=contact.id, related=related,
                                           created_at=now(uow)))
    await log_interaction(uow, actor, contact, InteractionKind.SMS if channel == Channel.SMS else InteractionKind.EMAIL,
                          subject or body[:200], channel=channel.value)
    return message


@dataclass
class Delivery:
    """What one delivery pass did; `waiting` counts queued messages on channels with no sender configured."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: dict[str, int] = field(default_factory=dict)


async def deliver_outbox(store: Store, business_id: int, senders: Mapping[Channel, Sender], limit: int = 100,
                         lease: timedelta = timedelta(minutes=5)) -> Delivery:
    """Claim, send, settle, one message at a time.

    The claim is its own short transaction (queued -> sending with a lease; a conditional UPDATE, so of two
    deliverers exactly one wins); the send holds no database lock (a slow SMTP server blocks nobody); the settle
    marks it sent, or queues it again with the error (failed for good after MAX_ATTEMPTS). A deliverer that dies
    mid-send leaves a lease that runs out, and the message is tried again: at least once, never twice at the same
    time. Channels without a sender stay queued and are counted, never faked as sent."""
    report = Delivery()
    async with store.uow(business_id) as uow:
        ids = await uow.outbox.due(now(uow), [c.value for c in senders], limit)
        report.waiting = {ch: n for ch, n in (await uow.outbox.waiting()).items()
                          if ch not in {c.value for c in senders}}
    for message_id in ids:
        async with store.uow(business_id) as uow:
            at = now(uow)
            if not await uow.outbox.claim(message_id, at, at + lease):
                continue  # another deliverer has it
            message = await uow.outbox.get(message_id)
        if message is None:
            continue
        error: str | None = None
        try:
            await senders[message.channel].send(message)
        except Exception as exc:  # a sender's failure is recorded on the message, then retried later
            error = f"{type(exc).__name__}: {exc}"[:500]
        async with store.uow(business_id) as uow:
            settled = await uow.outbox.get(message_id)
            if settled is None:
                continue
            if error is None:
                settled.delivered(now(uow))
                report.sent += 1
            else:
                settled.failed(error)
                report.retrying += settled.status == MessageStatus.QUEUED
                report.failed += settled.status == MessageStatus.FAILED
    return report


async def deliver_all(store: Store, senders: Mapping[Channel, Sender], limit: int = 100) -> dict[int, Delivery]:
    """One delivery pass over every business with mail waiting."""
    async with store.directory() as uow:
        businesses = await uow.directory.businesses_with_mail()
    return {b: await deliver_outbox(store, b, senders, limit) for b in businesses}
