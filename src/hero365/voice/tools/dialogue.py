"""Confirm or drop the pending action: the only way a proposed change is carried out."""

from __future__ import annotations

from livekit.agents import function_tool

from .base import ACTIONS, Ctx, perform, reply, speakable, user_turn


@function_tool
@speakable
async def confirm_action(context: Ctx) -> str:
    """Carry out the change the user has just said yes to."""
    state = context.userdata
    pending = state.pending
    if pending is None:
        return reply("There's nothing waiting for a yes right now.", error="nothing_pending")
    if user_turn(context) <= pending.turn:
        return reply(f"{pending.question} Please say yes to confirm.", error="not_confirmed",
                     pending={"action": pending.name, "summary": pending.question})
    state.pending = None
    data = await perform(state, pending.name, pending.args, pending.key)
    state.focus.update({k: v for k, v in data.items() if k in ("job", "customer", "invoice", "estimate", "project")})
    state.outcomes.append(pending.name)
    return reply(ACTIONS[pending.name].done(data), done={"action": pending.name}, data=data)


@function_tool
@speakable
async def cancel_action(context: Ctx) -> str:
    """Drop the change that is waiting for confirmation (the user said no or cancel)."""
    state = context.userdata
    if state.pending is None:
        return reply("Okay.")
    name, state.pending = state.pending.name, None
    return reply("Okay, I won't do that.", dropped={"action": name})
