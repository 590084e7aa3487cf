"""Every session is recorded: its turns, tool calls with outcome and timing, intents, and how it ended."""

from __future__ import annotations

import sqlalchemy as sa

from hero365.insights.model import Conversation, ConversationEvent
from hero365.insights.recorder import record
from hero365.voice.agents import agent_for
from hero365.voice.session import text_session
from hero365.voice.state import AgentKind, Purpose, SessionState


async def test_a_support_call_is_recorded_with_its_tool_calls_and_outcome(world, people) -> None:
    state = SessionState(store=world.store, actor=world.call_agent(people["Bob Johnson"]), kind=AgentKind.SUPPORT,
                         purpose=Purpose.APPOINTMENT_REMINDER, channel="phone")
    session = text_session(state)
    recorder = await record(session, state)
    async with session:
        agent = agent_for(state)
        await session.start(agent)
        await agent.ready.wait()
        await session.run(user_input="can we move it to thursday at ten")
        await session.run(user_input="yes")
    await recorder.close()

    async with world.store.uow(world.business_id) as uow:
        conv = (await uow.session.execute(sa.select(Conversation))).scalar_one()
        events = list((await uow.session.execute(
            sa.select(ConversationEvent).order_by(ConversationEvent.seq))).scalars())  # type: ignore[attr-defined]
    assert (conv.agent, conv.channel, conv.purpose, conv.contact_id) == ("support", "phone", "appointment_reminder",
                                                                         people["Bob Johnson"])
    assert conv.turns == 2 and conv.tool_calls == 2 and conv.tool_errors == 0
    assert conv.outcome == "reschedule_appointment" and conv.ended_at is not None
    kinds = [e.kind for e in events]
    assert kinds[0] == "assistant" and "automated assistant" in events[0].text  # the disclosure is on record
    assert kinds[1:] == ["user", "tool", "assistant", "user", "tool", "assistant"]
    tools = [e for e in events if e.kind == "tool"]
    assert [t.tool for t in tools] == ["reschedule_appointment", "confirm_action"]
    assert tools[0].duration_ms is not None and '"time": "10:00"' in tools[0].arguments
    assert [e.intent for e in events if e.kind == "assistant"][1:] == ["reschedule_appointment", "confirm"]


async def test_a_failed_tool_call_counts_as_a_tool_error(world, people) -> None:
    state = SessionState(store=world.store, actor=world.owner)
    session = text_session(state)
    recorder = await record(session, state)
    async with session:
        agent = agent_for(state)
        await session.start(agent)
        await session.run(user_input="tell me about job 999")
    await recorder.close()
    async with world.store.uow(world.business_id) as uow:
        conv = (await uow.session.execute(sa.select(Conversation))).scalar_one()
        tool = (await uow.session.execute(sa.select(ConversationEvent).where(
            ConversationEvent.kind == "tool"))).scalar_one()  # type: ignore[arg-type]
    assert conv.tool_errors == 1 and tool.error == "not_found" and "no job 999" in tool.text
    assert conv.outcome == "completed"
