"""Outbound calling agents: they phone one contact for one purpose, and say who they are first."""

from __future__ import annotations

from livekit.agents import llm

from ..state import SessionState
from ..tools import customer, dialogue
from .base import Hero365Agent
from .handoff import transfer

CUSTOMER_COMMON = [customer.get_my_appointment, customer.get_my_balance, customer.ask_price,
                   customer.call_back_later, customer.not_interested, customer.opt_out, customer.wrong_number,
                   dialogue.confirm_action, dialogue.cancel_action, transfer]
SUPPORT_TOOLS = [customer.confirm_appointment, customer.reschedule_appointment, customer.cancel_appointment,
                 customer.payment_promise, customer.give_feedback, customer.book_consultation, *CUSTOMER_COMMON]
SALES_TOOLS = [customer.book_consultation, customer.give_feedback, *CUSTOMER_COMMON]


def disclosure(state: SessionState, business: str, callback: str | None, contact_first_name: str) -> str:
    """Who we are, that this is automated, why we call, recording, callback number, and how to opt out."""
    purpose = state.purpose.spoken if state.purpose else ""
    back = f" You can reach us at {callback}." if callback else ""
    return (f"Hi {contact_first_name}, this is the automated assistant for {business}, calling {purpose}. "
            f"This call may be recorded.{back} If you'd rather we didn't call, just say stop calling at any time.")


class _CallingAgent(Hero365Agent):
    role_text = ""

    def __init__(self, state: SessionState, tools: list, chat_ctx: llm.ChatContext | None = None) -> None:
        purpose = state.purpose.value.replace("_", " ") if state.purpose else "a call"
        instructions = (f"You are the automated {self.role_text} assistant of a home-service business, on a phone "
                        f"call with one of its customers about {purpose}. You can only discuss this customer's own "
                        "appointments, estimates and invoices; never anyone else's, never internal figures. "
                        "If asked to stop calling, call opt_out at once.")
        super().__init__(state, instructions, tools, chat_ctx)

    async def on_enter(self) -> None:
        if self.state.handoff.get("greeted"):
            await self.greet(f"Hi, this is the {self.role_text} assistant. How can I help?")
            return
        from ...erp.domain.contacts import speak_phone

        async with self.state.store.uow(self.state.business_id) as uow:
            business = await uow.business()
            contact = await uow.contacts.get(self.state.actor.contact_id or 0)
        first = contact.name.split()[0] if contact else "there"
        self.state.handoff["greeted"] = True
        await self.greet(disclosure(self.state, business.name,
                                          speak_phone(business.phone) if business.phone else None, first))


class SupportAgent(_CallingAgent):
    """Reminders, rescheduling, payment reminders and feedback."""

    role_text = "support"

    def __init__(self, state: SessionState, chat_ctx: llm.ChatContext | None = None) -> None:
        super().__init__(state, SUPPORT_TOOLS, chat_ctx)


class SalesAgent(_CallingAgent):
    """Estimate follow-ups and lead qualification."""

    role_text = "sales"

    def __init__(self, state: SessionState, chat_ctx: llm.ChatContext | None = None) -> None:
        super().__init__(state, SALES_TOOLS, chat_ctx)


