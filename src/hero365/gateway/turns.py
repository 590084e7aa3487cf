"""Text turns for send-command: open a member's text session (recorded and audited), run one turn, and
report what the agent said, which tools it called and what waits for a yes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING, Any

from ..erp.domain.tenancy import Actor
from .sessions import AuditingRecorder, LiveSession

if TYPE_CHECKING:
    from .api.deps import Gateway

TURN_TIMEOUT_S = 30.0


async def open_agent(gw: Gateway, live: LiveSession, session: Any, channel: str) -> None:
    """Record the session (recorder wrapped for the audit), start the member's agent, wait for its greeting."""
    from ..insights.recorder import record
    from ..voice.agents import agent_for

    live.session = session
    recorder = await record(session, live.state)
    live.recorder = recorder
    live.state.recorder = AuditingRecorder(recorder, gw.audit, live.actor, live.id, channel)
    live.agent = agent_for(live.state)
    await session.start(live.agent)
    await asyncio.wait_for(live.agent.ready.wait(), 15)


async def open_text_session(gw: Gateway, actor: Actor) -> LiveSession:
    from ..voice.session import text_session
    from ..voice.state import SessionState

    live = LiveSession(id=gw.sessions.new_id(), user_id=actor.user_id, business_id=actor.business_id, kind="text",
                       actor=actor)

    async def opener(live: LiveSession) -> None:
        live.state = SessionState(store=gw.store, actor=actor, channel="text", session_id=live.id)
        await open_agent(gw, live, text_session(live.state, gw.settings), "text")

    await gw.sessions.add(live, opener)
    return live


def pending_of(state: Any) -> dict[str, Any] | None:
    p = getattr(state, "pending", None)
    return {"action": p.name, "summary": p.question} if p is not None else None


def tool_report(call: Any, output: Any) -> dict[str, Any]:
    """One tool call as the API shows it: name, arguments, what it said, error code, and whether it proposed."""
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        arguments = call.arguments
    out: dict[str, Any] = {}
    if output is not None:
        with contextlib.suppress(ValueError, TypeError):
            parsed = json.loads(output.output)
            out = parsed if isinstance(parsed, dict) else {}
        if not out and getattr(output, "output", None):
            out = {"say": str(output.output)[:500]}
    return {"name": call.name, "arguments": arguments, "say": out.get("say"), "error": out.get("error"),
            "proposed": bool(out.get("pending")), "replayed": bool(out.get("replayed"))}


async def run_text_turn(live: LiveSession, text: str) -> dict[str, Any]:
    """One user turn through the session; the session's lock keeps its turns in order."""
    async with live.lock:
        result = await asyncio.wait_for(live.session.run(user_input=text), TURN_TIMEOUT_S)
        live.touch()
    calls: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    said: list[str] = []
    for event in result.events:
        item = event.item
        if event.type == "function_call":
            calls[item.call_id] = item
        elif event.type == "function_call_output":
            outputs[item.call_id] = item
        elif event.type == "message" and item.role == "assistant" and item.text_content:
            said.append(item.text_content)
    state = live.state
    return {"session_id": live.id, "reply": " ".join(said), "tool_calls": [
        tool_report(call, outputs.get(cid)) for cid, call in calls.items()], "pending": pending_of(state),
        "ended": getattr(state, "ended", None)}
