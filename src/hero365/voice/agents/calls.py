"""Outbound calling agents: they phone one contact for one purpose, and say who they are first."""

from __future__ import annotations

from livekit.agents import llm

from ..state import Purpose, SessionState
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
    purpose = f", calling {state.purpose.spoken}" if state.purpose and state.purpose.spoken else ""
    back = f" You can reach us at {callback}." if callback else ""
    # said only when it is true: the phone bridge sets "recorded"; elsewhere the CALL_RECORDING setting decides
    recorded = state.handoff.get("recorded", state.store.settings.call_recording)
    note = " This call may be recorded." if recorded else ""
    return (f"Hi {contact_first_name}, this is the automated assistant for {business}{purpose}."
            f"{note}{back} If you'd rather we didn't call, just say stop calling at any time.")


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
        hello = disclosure(self.state, business.name, speak_phone(business.phone) if business.phone else None, first)
        await self.greet(hello + await self._reminder_question())

    async def _reminder_question(self) -> str:
        """On an appointment reminder: when it is, and whether it still works; a bare yes then confirms it and
        a bare no asks for another time (the brain reads `handoff["offer"]` for that one answer)."""
        if self.state.purpose != Purpose.APPOINTMENT_REMINDER or "confirm_appointment" not in self.tool_names:
            return ""
        from ...erp.domain.errors import DomainError
        from ...erp.domain.jobs import JobStatus
        from ...erp.services.common import local_now
        from ...erp.services.customers import my_job
        from ..say import speak_when

        async with self.state.store.uow(self.state.business_id) as uow:
            try:
                job = await my_job(uow, self.state.actor)
            except DomainError:
                return ""
            now = await local_now(uow)
        if job.status != JobStatus.SCHEDULED or job.scheduled_start is None:
            return ""
        self.state.handoff["offer"] = {"confirm": "confirm_appointment", "deny": "reschedule_appointment"}
        when = speak_when(job.scheduled_start.astimezone(now.tzinfo), now.date())
        what = job.title[:1].lower() + job.title[1:]
        return f" Your appointment for {what} is {when}. Does that still work for you?"

    @property
    def tool_names(self) -> set[str]:
        return {str(getattr(t, "id", "")) for t in self.tools}


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


