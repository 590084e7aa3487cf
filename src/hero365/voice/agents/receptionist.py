"""The inbound receptionist: knows the caller by their number, makes unknown callers leads, books visits."""

from __future__ import annotations

from livekit.agents import llm

from ...erp.domain.tenancy import Actor, Role
from ...erp.services.contacts import create_lead_from_call, find_by_phone
from ...erp.store.db import Store
from ..state import AgentKind, Purpose, SessionState
from ..tools import customer, dialogue
from .base import Hero365Agent
from .handoff import transfer

RECEPTIONIST_TOOLS = [customer.get_my_appointment, customer.get_my_balance, customer.confirm_appointment,
                      customer.reschedule_appointment, customer.cancel_appointment, customer.book_consultation,
                      customer.ask_price, customer.payment_promise, customer.give_feedback,
                      customer.call_back_later, customer.opt_out, dialogue.confirm_action, dialogue.cancel_action,
                      transfer]


async def identify_caller(store: Store, business_id: int, phone: str | None,
                          channel: str = "phone") -> SessionState:
    """The session for an inbound call: the caller by number, or a new lead when we don't know them (or the
    number is withheld: "anonymous" from a SIP trunk)."""
    from ...erp.domain.contacts import normalize_phone
    from ...erp.domain.errors import InvalidInput

    system = Actor(user_id=None, business_id=business_id, role=Role.CALL_AGENT, name="Receptionist")
    try:
        phone = normalize_phone(phone) if phone else None
    except InvalidInput:
        phone = None
    async with store.uow(business_id) as uow:
        contact = await find_by_phone(uow, phone) if phone else None
        known = contact is not None
        if contact is None:
            contact = await create_lead_from_call(uow, system, phone)
    actor = Actor(user_id=None, business_id=business_id, role=Role.CALL_AGENT, name="Receptionist",
                  contact_id=contact.id)
    return SessionState(store=store, actor=actor, kind=AgentKind.RECEPTIONIST, channel=channel,
                        purpose=Purpose.INBOUND, handoff={"caller_known": known, "caller_name": contact.name,
                                                           "called_number": phone})


class ReceptionistAgent(Hero365Agent):
    role_text = "receptionist"

    def __init__(self, state: SessionState, chat_ctx: llm.ChatContext | None = None) -> None:
        instructions = ("You answer the phone for a home-service business. Help the caller with their own "
                        "appointments and invoices, book visits into free times, give prices from the price list. "
                        "Never discuss other customers or internal figures.")
        super().__init__(state, instructions, RECEPTIONIST_TOOLS, chat_ctx)

    async def on_enter(self) -> None:
        if self.state.handoff.get("greeted"):
            self.ready.set()
            return
        async with self.state.store.uow(self.state.business_id) as uow:
            business = await uow.business()
        self.state.handoff["greeted"] = True
        known = self.state.handoff.get("caller_known")
        name = str(self.state.handoff.get("caller_name", "")).split()[0] if known else ""
        hello = f"Hi {name}, thanks" if name else "Thanks"
        # "may be recorded" only when it is (the phone bridge sets "recorded"; elsewhere CALL_RECORDING decides)
        recorded = self.state.handoff.get("recorded", self.state.store.settings.call_recording)
        note = ", and this call may be recorded" if recorded else ""
        await self.greet(f"{hello} for calling {business.name}. I'm the automated assistant{note}. "
                         "How can I help you today?")
