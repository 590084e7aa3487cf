"""The personal assistant: a technician, office manager or owner talking to their business, hands-free."""

from __future__ import annotations

from livekit.agents import llm

from ...erp.domain.tenancy import Role
from ..state import SessionState
from .base import Hero365Agent
from .catalogue import tools_for

#: One tool per personal intent of the registry, plus confirm/cancel and transfer (dialogue intents).
PERSONAL_TOOLS = tools_for("personal")


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
