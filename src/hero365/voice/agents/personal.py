"""The personal assistant: a technician, office manager or owner talking to their business, hands-free."""

from __future__ import annotations

from livekit.agents import llm

from ...erp.domain.tenancy import Role
from ..state import SessionState
from ..tools import billing, dialogue, jobs, work
from .base import Hero365Agent
from .handoff import transfer

PERSONAL_TOOLS = [
    jobs.get_schedule, jobs.list_upcoming_jobs, jobs.get_job_details, jobs.create_job, jobs.update_job_status,
    jobs.reschedule_job, jobs.add_job_note,
    work.get_project_status, work.update_project_progress, work.create_project_milestone,
    billing.create_invoice, billing.get_invoice_status, billing.send_invoice_reminder, billing.record_payment,
    billing.list_overdue_invoices, billing.create_estimate, billing.send_estimate,
    billing.convert_estimate_to_invoice, billing.list_pending_estimates,
    work.get_contact_info, work.create_contact, work.add_contact_note, work.schedule_follow_up,
    work.check_inventory, work.reorder_product, work.set_reminder, work.get_directions, work.get_weather,
    work.switch_business, dialogue.confirm_action, dialogue.cancel_action, transfer,
]


class PersonalAgent(Hero365Agent):
    kind_label = "personal assistant"

    def __init__(self, state: SessionState, chat_ctx: llm.ChatContext | None = None) -> None:
        actor = state.actor
        scope = ("You see and change only the jobs assigned to this technician."
                 if actor.role == Role.TECHNICIAN else "You see all of the business's jobs.")
        driving = ("The user is DRIVING: answer in one or two short sentences; offer to text anything long."
                   if state.driving else "")
        instructions = (f"You are the hands-free assistant of {actor.name or 'a team member'}, "
                        f"{actor.role.value} at a home-service business. {scope} {driving}")
        super().__init__(state, instructions, PERSONAL_TOOLS, chat_ctx)
