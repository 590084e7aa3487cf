"""Handoff with context: personal -> sales/support, sales <-> support, and any customer agent -> a person."""

from __future__ import annotations

from typing import Any

from livekit.agents import function_tool

from ...erp.domain.contacts import InteractionKind
from ...erp.domain.errors import InvalidInput
from ...erp.domain.tasks import TaskKind
from ...erp.domain.tenancy import Actor, Role
from ...erp.services.common import find_contact
from ...erp.services.contacts import log_interaction, schedule_follow_up
from ..state import AgentKind, SessionState
from ..tools.base import Ctx, reply, speakable

TARGETS = {"sales": AgentKind.SALES, "support": AgentKind.SUPPORT, "personal": AgentKind.PERSONAL}


def conversation_summary(ctx: Ctx) -> str:
    lines = []
    for item in ctx.session.history.items:
        if item.type == "message" and item.text_content:
            lines.append(f"{item.role}: {item.text_content}")
        elif item.type == "function_call" and item.name != "transfer":
            lines.append(f"did {item.name} {item.arguments}")
    return "\n".join(lines[-12:])


async def _to_human(ctx: Ctx, summary: str) -> str:
    """A warm transfer: the person gets the summary. With a phone line, the line is transferred (hook);
    without one, the office gets a call-back task with the summary, and the caller is told so honestly."""
    state = ctx.userdata
    hook = state.handoff.get("transfer_hook")
    state.handoff["human_summary"] = summary
    if hook is not None:
        await hook(summary)
        state.ended = "transferred"
        return reply("Of course. I'm connecting you with a member of our team now; I've passed on what we "
                     "discussed.", transferred=True, summary=summary)
    async with state.store.uow(state.business_id) as uow:
        from datetime import timedelta

        due = state.store.clock() + timedelta(minutes=15)
        if state.actor.contact_id is not None:
            contact = await uow.contacts.get(state.actor.contact_id)
            assert contact is not None
            # The task's title is short (a bounded column); the conversation goes on the contact's record.
            await schedule_follow_up(uow, state.actor, contact.name, due, f"Call {contact.name} back (asked for a "
                                     "person)", TaskKind.CALL_BACK, contact=contact)
            await log_interaction(uow, state.actor, contact, InteractionKind.CALL,
                                  f"Asked for a person. Conversation so far:\n{summary}")
    state.ended = "transfer_requested"
    return reply("I can't connect you to a person on this line, so I've asked a member of our team to call you "
                 "back shortly. They'll have the details of our conversation.", transferred=False, summary=summary)


@function_tool
@speakable
async def transfer(context: Ctx, target: str, customer: str | None = None) -> Any:
    """Hand the conversation to another agent or a person, with a summary of what was said.

    Args:
        target: sales, support, human or personal
        customer: for the personal assistant handing a customer over: that customer's name
    """
    from . import agent_for

    state = context.userdata
    summary = conversation_summary(context)
    if target == "human":
        return await _to_human(context, summary)
    kind = TARGETS.get(target)
    if kind is None:
        raise InvalidInput("I can transfer you to sales, support or a person.")
    customer_facing = state.actor.role == Role.CALL_AGENT
    if kind == state.kind:
        return reply(f"You're already talking to the {target} assistant.")
    if customer_facing and kind == AgentKind.PERSONAL:
        raise InvalidInput("I can transfer you to sales, support or a person.")
    new_state = SessionState(**{**state.__dict__})
    new_state.kind, new_state.pending = kind, None
    new_state.handoff = {**state.handoff, "from": state.kind.value, "summary": summary,
                         "focus": dict(state.focus), "greeted": customer_facing}
    if not customer_facing:
        name = customer or state.focus.get("customer")
        if not name:
            raise InvalidInput(f"Which customer should the {target} assistant talk to?")
        async with state.store.uow(state.business_id) as uow:
            contact = await find_contact(uow, state.actor, name)
        new_state.actor = Actor(user_id=None, business_id=state.business_id, role=Role.CALL_AGENT,
                                name=f"{target} assistant", contact_id=contact.id)
        new_state.handoff["handed_over_by"] = state.actor.name
    context.session.userdata = new_state  # type: ignore[misc]
    agent = agent_for(new_state, chat_ctx=context.session.history.copy(exclude_function_call=True))
    return agent, reply(f"Transferring you to the {target} assistant.", target=target)


