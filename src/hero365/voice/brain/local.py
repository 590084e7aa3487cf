"""The local brain as a LiveKit `llm.LLM`: deterministic, offline, milliseconds.

Each call sees the chat so far. After a user message it decides (policy.py) and emits either one tool
call or a sentence; after a tool's output it speaks the tool's `say`. The tools do the work and enforce
the rules; the brain only understands.
"""

from __future__ import annotations

import inspect
import json
import time
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from livekit.agents import llm
from livekit.agents.llm import ChatChunk, ChoiceDelta, FunctionToolCall
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from ..state import SessionState
from .nlu import Lexicon
from .policy import Decision, Policy, ToolArgs
from .registry import BY_TOOL
from .understand import warm


def _tool_name(tool: Any) -> str:
    info = getattr(tool, "info", None)
    return str(getattr(info, "name", None) or getattr(tool, "id", "") or "")


@cache
def _arguments(tool: Any) -> frozenset[str]:
    """The arguments a tool's signature takes (read once per tool, not on every turn)."""
    try:
        params = inspect.signature(tool).parameters
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(p for p in params if p not in ("context", "ctx", "self"))


def tool_args(tools: list[Any]) -> ToolArgs:
    """Each tool's name and the arguments its signature takes (never a hand-kept copy)."""
    return {_tool_name(tool): _arguments(tool) for tool in tools}


def speaker_of(tools: ToolArgs) -> str:
    """'customer' when the session has a tool only a customer's intents use (a calling agent), else 'personal'."""
    customer_only = any((i := BY_TOOL.get(t)) is not None and i.speakers == ("customer",) for t in tools)
    return "customer" if customer_only else "personal"


class LocalBrain(llm.LLM):
    """One per session: it keeps that conversation's dialogue state."""

    def __init__(self, state: Callable[[], SessionState]) -> None:
        super().__init__()
        self._state = state
        self.policy = Policy()
        warm()  # the model loads once per process, when the first session starts, not on its first turn
        self._lexicon: tuple[float, int, Lexicon] | None = None
        self._zone: tuple[int, ZoneInfo] | None = None
        #: The last turn's decision time (ms), for metrics and the benchmark.
        self.last_decide_ms = 0.0

    @property
    def model(self) -> str:
        return "hero365-local"

    @property
    def provider(self) -> str:
        return "hero365"

    def chat(self, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool] | None = None,
             conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
             tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
             extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN) -> LocalBrainStream:
        return LocalBrainStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    async def lexicon(self, state: SessionState) -> Lexicon:
        """The business's names (customers, products, technicians), refreshed from the cache each minute."""
        cached = self._lexicon
        if cached and cached[1] == state.business_id and time.monotonic() - cached[0] < 60:
            return cached[2]
        from ...erp.services.common import contact_index
        from ...erp.services.inventory import product_index

        async with state.store.uow(state.business_id) as uow:
            contacts = await contact_index(uow)
            products = await product_index(uow)
            members = await uow.members.all()
            business = await uow.business()
        lex = Lexicon(
            customers=frozenset(n.lower() for row in contacts for n in (row["name"], row["company"]) if n),
            products=frozenset(r["name"].lower() for r in products if r["kind"] == "part"),
            services=frozenset(r["name"].lower() for r in products if r["kind"] == "service"),
            technicians=frozenset(m.user.name.lower() for m in members if m.user),
            businesses=frozenset({business.name.lower()}))
        self._lexicon = (time.monotonic(), state.business_id, lex)
        return lex

    async def decide(self, text: str, tools: ToolArgs) -> Decision:
        state = self._state()
        if self._zone is None or self._zone[0] != state.business_id:
            async with state.store.uow(state.business_id) as uow:
                self._zone = (state.business_id, ZoneInfo((await uow.business()).timezone))
        now = state.store.clock().astimezone(self._zone[1])
        speaker = speaker_of(tools)
        names = await self.lexicon(state)
        started = time.perf_counter()
        offer = state.handoff.pop("offer", None)  # an agent's own yes/no question holds for one turn only
        decision = self.policy.decide(text, speaker, now, tools, state.focus, names, has_pending=bool(state.pending),
                                      offer=offer)
        self.last_decide_ms = (time.perf_counter() - started) * 1000
        if decision.keep_offer and offer:
            state.handoff["offer"] = offer
        if state.recorder is not None:
            state.recorder.intent(decision.intent)
        return decision


class LocalBrainStream(llm.LLMStream):
    def __init__(self, brain: LocalBrain, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool],
                 conn_options: APIConnectOptions) -> None:
        super().__init__(brain, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._brain = brain

    def _say(self, text: str) -> None:
        self._brain.policy.said(text)
        self._event_ch.send_nowait(ChatChunk(id=f"say_{uuid.uuid4().hex[:8]}",
                                             delta=ChoiceDelta(role="assistant", content=text)))

    async def _run(self) -> None:
        items = [i for i in self._chat_ctx.items if i.type in ("message", "function_call", "function_call_output")]
        last = items[-1] if items else None
        if last is None:
            return
        if last.type == "function_call_output":
            try:
                output = json.loads(last.output)
            except (TypeError, ValueError):
                output = {"say": str(last.output)}
            if not isinstance(output, dict):
                output = {"say": str(output)}
            if last.is_error:
                output = {"say": "Sorry, something went wrong on my side. Please try again.", "error": "tool_error"}
            self._say(self._brain.policy.observe(last.name, output))
            return
        if last.type != "message" or last.role != "user":
            return
        spoken = [i for i in items[:-1] if i.type == "message" and i.role == "assistant" and i.text_content]
        if spoken:  # what the agent said last, greetings included ("repeat that", "this is she" need it)
            self._brain.policy.said(spoken[-1].text_content or "")
        decision = await self._brain.decide(last.text_content or "", tool_args(self._tools))
        if decision.tool is not None:
            call = FunctionToolCall(name=decision.tool, arguments=json.dumps(decision.args),
                                    call_id=f"call_{uuid.uuid4().hex[:16]}")
            self._event_ch.send_nowait(ChatChunk(id=call.call_id, delta=ChoiceDelta(role="assistant",
                                                                                     tool_calls=[call])))
        else:
            self._say(decision.say or "Sorry?")


