"""Records a live session into the conversation store: messages, tool calls (with timing and errors),
intents, handoffs and the outcome. Events are buffered in memory and written at the end of each turn, so
recording never sits on the path between the user's words and the agent's reply."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa

from ..erp.store.db import Store
from .model import Conversation, ConversationEvent
from .tables import conversations, map_insights

log = logging.getLogger(__name__)


class ConversationRecorder:
    def __init__(self, store: Store, state: Any) -> None:
        map_insights()
        self.store, self.state = store, state
        self.session_id = state.session_id or uuid.uuid4().hex
        state.session_id = self.session_id
        self.conversation_id: int | None = None
        self._buffer: list[ConversationEvent] = []
        self._seq = 0
        self._counts = {"turns": 0, "tool_calls": 0, "tool_errors": 0}
        self._pending_intent: str | None = None
        self._last_change: str | None = None
        self._flushing: asyncio.Task[None] | None = None

    async def start(self, session: Any) -> None:
        """Open the conversation row and follow the session's items."""
        s = self.state
        async with self.store.uow(s.business_id) as uow:
            row = Conversation(business_id=s.business_id, session_id=self.session_id, agent=s.kind.value,
                               channel=s.channel, started_at=self.store.clock(), user_id=s.actor.user_id,
                               contact_id=s.actor.contact_id, purpose=s.purpose.value if s.purpose else None)
            uow.session.add(row)
            await uow.flush()
            self.conversation_id = row.id
        session.on("conversation_item_added", self._on_item)

    def _add(self, kind: str, **fields: Any) -> None:
        if self.conversation_id is None:
            return
        self._seq += 1
        self._buffer.append(ConversationEvent(business_id=self.state.business_id,
                                              conversation_id=self.conversation_id, seq=self._seq,
                                              at=self.store.clock(), kind=kind, **fields))

    def intent(self, intent: str | None) -> None:
        """The brain's reading of the user's last turn."""
        self._pending_intent = intent

    def tool(self, name: str, arguments: str, output: Any, error: str | None, seconds: float) -> None:
        """A tool call: the arguments exactly as the brain sent them, what it said, and how long it took."""
        self._counts["tool_calls"] += 1
        self._counts["tool_errors"] += bool(error)
        say, parsed = None, {}
        if isinstance(output, str):
            try:
                parsed = json.loads(output)
                say = parsed.get("say")
            except (ValueError, AttributeError):
                say = output[:500]
        if not error and isinstance(parsed, dict) and not parsed.get("pending"):
            done = (parsed.get("done") or {}).get("action") if name == "confirm_action" else None
            if done or (name in _changes() and name != "cancel_action"):
                self._last_change = done or name
        self._add("tool", tool=name, arguments=arguments, error=error, text=say,
                  duration_ms=round(seconds * 1000, 2))

    def _on_item(self, ev: Any) -> None:
        item = ev.item
        if getattr(item, "type", None) != "message" or not item.text_content:
            return
        if item.role == "user":
            self._counts["turns"] += 1
            self._add("user", text=item.text_content)
        elif item.role == "assistant":
            self._add("assistant", text=item.text_content, intent=self._pending_intent)
            self._pending_intent = None
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        """Write buffered events and the running counts (one transaction)."""
        if self.conversation_id is None:
            return
        events, self._buffer = self._buffer, []
        try:
            async with self.store.uow(self.state.business_id) as uow:
                for event in events:
                    uow.session.add(event)
                await uow.session.execute(sa.update(conversations).where(
                    conversations.c.id == self.conversation_id).values(**self._counts))
        except Exception:  # recording must never break a live conversation; keep the events for the next try
            log.exception("could not record conversation events")
            self._buffer = events + self._buffer

    async def close(self) -> None:
        """End the conversation: flush, then stamp the end time and the outcome."""
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self.flush()
        if self.conversation_id is None:
            return
        s = self.state
        outcome = s.ended or self._last_change or "completed"
        async with self.store.uow(s.business_id) as uow:
            await uow.session.execute(sa.update(conversations).where(
                conversations.c.id == self.conversation_id).values(ended_at=self.store.clock(), outcome=outcome))


def _changes() -> set[str]:
    from ..voice.tools.base import ACTIONS

    return set(ACTIONS)


async def record(session: Any, state: Any) -> ConversationRecorder:
    """Start recording a session (before `session.start`); close the recorder when the session ends."""
    recorder = ConversationRecorder(state.store, state)
    state.recorder = recorder
    await recorder.start(session)
    return recorder
