"""What every agent shares: instructions built from the session, and the handoff tool."""

from __future__ import annotations

import asyncio
from typing import Any

from livekit.agents import Agent, llm

from ..state import SessionState

COMMON_RULES = """
Rules you always follow:
- Use a tool for every fact and every change; never invent names, numbers, dates, amounts or addresses.
- Changes (new jobs, invoices, estimates, payments, cancellations, reschedules, messages) are proposed by the tool
  and happen only when the user then says yes: call confirm_action after a clear yes, cancel_action after a no.
- Speak naturally and briefly: one idea per sentence, dates and amounts as people say them.
- If a tool's reply asks a question (which customer, what time), ask it.
"""


class Hero365Agent(Agent):
    """An Agent that knows its session state (business, user or contact, purpose)."""

    kind_label = "assistant"

    def __init__(self, state: SessionState, instructions: str, tools: list[Any],
                 chat_ctx: llm.ChatContext | None = None) -> None:
        self.state = state
        #: Set once the agent has said its opening line (or has none): callers wait on it before a turn.
        self.ready = asyncio.Event()
        super().__init__(instructions=instructions + COMMON_RULES, tools=tools, chat_ctx=chat_ctx)

    async def on_enter(self) -> None:
        self.ready.set()

    async def greet(self, text: str) -> None:
        """Say the opening line, then mark the agent ready."""
        try:
            await self.session.say(text)
        finally:
            self.ready.set()

    def handoff_summary(self) -> str:
        """What was said and done so far, for the next agent or a person."""
        lines = []
        for item in self.session.history.items if self._activity is not None else []:
            if item.type == "message" and item.text_content:
                lines.append(f"{item.role}: {item.text_content}")
            elif item.type == "function_call":
                lines.append(f"tool {item.name}({item.arguments})")
        return "\n".join(lines[-12:])
