"""The notification outbox: SMS and e-mail written in the same transaction as the change that caused them,
then delivered by a sender. Nothing is sent that the data doesn't say happened."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .tenancy import TenantOwned


class Channel(enum.StrEnum):
    SMS = "sms"
    EMAIL = "email"


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    #: Claimed by one deliverer until `lease_until` (a deliverer that dies leaves it to expire, then it is retried).
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

#: Tries before a message is given up as failed.
MAX_ATTEMPTS = 5


@dataclass(eq=False)
class OutboxMessage(TenantOwned):
    business_id: int
    channel: Channel
    to: str
    body: str
    subject: str | None = None
    status: MessageStatus = MessageStatus.QUEUED
    contact_id: int | None = None
    related: str | None = None
    attempts: int = 0
    error: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    lease_until: datetime | None = None
    id: int | None = None

    def delivered(self, at: datetime) -> None:
        self.status, self.sent_at, self.error, self.lease_until = MessageStatus.SENT, at, None, None
        self.attempts += 1

    def failed(self, error: str) -> None:
        """A try that did not get through: queued again for a later try, failed for good after MAX_ATTEMPTS."""
        self.attempts += 1
        self.error = error
        self.lease_until = None
        self.status = MessageStatus.FAILED if self.attempts >= MAX_ATTEMPTS else MessageStatus.QUEUED


class Sender(Protocol):
    """Delivers one message (an SMTP server, an SMS gateway). Raises on failure."""

    channel: Channel

    async def send(self, message: OutboxMessage) -> None: ...


@dataclass(eq=False)
class ActivityEntry(TenantOwned):
    """Who did what to which record: the business-facing activity log."""

    business_id: int
    at: datetime
    action: str
    entity: str
    entity_id: int | None
    summary: str
    user_id: int | None = None
    id: int | None = None


@dataclass(eq=False)
class IdempotencyRecord(TenantOwned):
    """The stored result of a mutating call, under the caller's key (e.g. a tool call id)."""

    business_id: int
    key: str
    operation: str
    result: str
    created_at: datetime
    id: int | None = None


@dataclass(eq=False)
class Counter(TenantOwned):
    """The next per-business number for jobs, invoices, estimates, projects, purchase orders."""

    business_id: int
    kind: str
    value: int = 0
