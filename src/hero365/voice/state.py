"""What one conversation carries between turns: who is speaking, for which business, what is pending."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ..erp.domain.tenancy import Actor
from ..erp.store.db import Store


class AgentKind(enum.StrEnum):
    PERSONAL = "personal"
    SALES = "sales"
    SUPPORT = "support"
    RECEPTIONIST = "receptionist"


class Purpose(enum.StrEnum):
    APPOINTMENT_REMINDER = "appointment_reminder"
    RESCHEDULE = "reschedule"
    ESTIMATE_FOLLOW_UP = "estimate_follow_up"
    LEAD_QUALIFICATION = "lead_qualification"
    PAYMENT_REMINDER = "payment_reminder"
    FEEDBACK = "feedback"
    INBOUND = "inbound"

    @property
    def is_marketing(self) -> bool:
        """Sales calls need prior express written consent; the rest are about the customer's own business."""
        return self in (Purpose.ESTIMATE_FOLLOW_UP, Purpose.LEAD_QUALIFICATION)

    @property
    def spoken(self) -> str:
        return {
            "appointment_reminder": "to remind you about your upcoming appointment",
            "reschedule": "about rescheduling your appointment",
            "estimate_follow_up": "to follow up on the estimate we sent you",
            "lead_qualification": "to follow up on your interest in our services",
            "payment_reminder": "about an open balance on your account",
            "feedback": "to ask how our recent visit went",
            "inbound": "",
        }[self.value]


@dataclass
class PendingAction:
    """A change the agent proposed and the user has not yet confirmed."""

    name: str
    args: dict[str, Any]
    question: str
    key: str
    turn: int


@dataclass
class SessionState:
    """The `userdata` of every AgentSession: tools read the acting user and business from here, never from
    what was said, so a caller cannot talk their way into another account."""

    store: Store
    actor: Actor
    kind: AgentKind = AgentKind.PERSONAL
    channel: str = "text"
    driving: bool = False
    purpose: Purpose | None = None
    pending: PendingAction | None = None
    #: Slots and a summary carried across a handoff.
    handoff: dict[str, Any] = field(default_factory=dict)
    #: The entities the conversation is about ("it", "that job").
    focus: dict[str, Any] = field(default_factory=dict)
    #: Outside providers; None means not configured (tools say so).
    directions: Any = None
    weather: Any = None
    #: Set when the conversation should end (opt-out, wrong number, goodbye).
    ended: str | None = None
    session_id: str | None = None
    recorder: Any = None
    outcomes: list[str] = field(default_factory=list)

    @property
    def business_id(self) -> int:
        return self.actor.business_id
