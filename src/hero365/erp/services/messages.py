"""The outbox: messages are written with the change that caused them, then delivered by senders."""

from __future__ import annotations

from collections.abc import Mapping

from ..domain.contacts import Contact, InteractionKind
from ..domain.errors import InvalidInput
from ..domain.messages import Channel, OutboxMessage, Sender
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


async def deliver_outbox(store: Store, business_id: int, senders: Mapping[Channel, Sender], limit: int = 100) -> int:
    """Send what is queued through the configured senders; channels without one stay queued (not faked)."""
    sent = 0
    async with store.uow(business_id) as uow:
        for message in await uow.outbox.queued(limit):
            sender = senders.get(message.channel)
            if sender is None:
                continue
            try:
                await sender.send(message)
            except Exception as exc:  # a sender's failure is recorded, then retried later
                message.failed(f"{type(exc).__name__}: {exc}")
                continue
            message.delivered(now(uow))
            sent += 1
    return sent
