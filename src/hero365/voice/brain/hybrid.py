"""The hybrid brain: the local command engine first, a hosted LLM only for the turns it is unsure of.

Every user turn is decided locally (milliseconds, no cost). When the local brain would ask a clarifying
question instead of acting (`Decision.unsure`) and an OpenAI-compatible LLM is configured, that one turn goes
to the LLM with the same chat context and the same tools; its text and tool calls are passed on as they come.
The tools enforce confirmation whoever calls them, and a tool's reply goes back through the local policy
(`observe`), so the local brain holds the pending change and takes the user's "yes" (confirm_action) itself:
the dialogue returns to the local brain after each LLM turn. If the LLM fails (refused, timed out, an HTTP
error) or says nothing, the local brain's own question is said. Without an LLM it is the local brain exactly.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from .local import LocalBrain, LocalBrainStream
from .policy import Decision, Frame, ToolArgs

log = logging.getLogger(__name__)


class HybridBrain(llm.LLM):
    """One per session, like the local brain it holds. `hosted` None: the local brain alone."""

    def __init__(self, local: LocalBrain, hosted: llm.LLM | None = None, *, timeout: float = 10.0) -> None:
        super().__init__()
        self.local = local
        self.hosted = hosted
        #: Seconds the hosted LLM may take to answer (one attempt: a failed one falls back, never retries).
        self.timeout = timeout
        #: User turns decided, turns handed to the LLM, and of those the ones that fell back to the local question.
        self.turns = 0
        self.turns_to_llm = 0
        self.llm_failures = 0

    @property
    def model(self) -> str:
        return f"hero365-local+{self.hosted.model}" if self.hosted is not None else self.local.model

    @property
    def provider(self) -> str:
        return self.local.provider

    @property
    def last_decide_ms(self) -> float:
        """The local brain's last decision time (ms), for metrics and the benchmark."""
        return self.local.last_decide_ms

    @property
    def llm_share(self) -> float:
        """The share of user turns that went to the LLM."""
        return self.turns_to_llm / self.turns if self.turns else 0.0

    def chat(self, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool] | None = None,
             conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
             tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
             extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN) -> HybridBrainStream:
        return HybridBrainStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options,
                                 parallel_tool_calls=parallel_tool_calls, tool_choice=tool_choice,
                                 extra_kwargs=extra_kwargs)

    async def aclose(self) -> None:
        if self.hosted is not None:
            await self.hosted.aclose()
        await super().aclose()


class HybridBrainStream(LocalBrainStream):
    """The local brain's own stream (its _run, unchanged), whose user-turn decision may hand the turn to the LLM."""

    def __init__(self, hybrid: HybridBrain, *, chat_ctx: llm.ChatContext, tools: list[llm.Tool],
                 conn_options: APIConnectOptions, parallel_tool_calls: NotGivenOr[bool],
                 tool_choice: NotGivenOr[llm.ToolChoice], extra_kwargs: NotGivenOr[dict[str, Any]]) -> None:
        super().__init__(hybrid.local, chat_ctx=chat_ctx, tools=tools, conn_options=conn_options)
        self._llm = hybrid  # metrics and errors are reported as the session's brain's (read once the tasks run)
        self._hybrid = hybrid
        self._brain = _Handover(self)  # type: ignore[assignment]
        self._hosted_kwargs: dict[str, Any] = {"parallel_tool_calls": parallel_tool_calls,
                                               "tool_choice": tool_choice, "extra_kwargs": extra_kwargs}
        #: The LLM answered this turn: the local brain says nothing more.
        self._answered = False

    def _say(self, text: str) -> None:
        if not self._answered:
            super()._say(text)

    async def _decide(self, text: str, tools: ToolArgs) -> Decision:
        """The local decision, or (unsure, with an LLM) the LLM's answer streamed and an empty decision."""
        hybrid = self._hybrid
        decision = await hybrid.local.decide(text, tools)
        hybrid.turns += 1
        if decision.unsure and hybrid.hosted is not None:
            hybrid.turns_to_llm += 1
            if await self._hosted_turn(hybrid.hosted):
                self._answered = True
                return Decision(intent=decision.intent)
            hybrid.llm_failures += 1
        return decision

    async def _hosted_turn(self, hosted: llm.LLM) -> bool:
        """This turn through the hosted LLM, its chunks passed on. False: it failed before saying anything."""
        policy = self._hybrid.local.policy
        clarify, policy.d.clarify = policy.d.clarify, None  # the LLM answers: no question of ours is open
        said: list[str] = []
        sent = False
        options = dataclasses.replace(self._conn_options, max_retry=0, timeout=self._hybrid.timeout)
        try:
            async with hosted.chat(chat_ctx=self._chat_ctx, tools=self._tools, conn_options=options,
                                   **self._hosted_kwargs) as stream:
                async for chunk in stream:
                    if chunk.delta is not None:
                        if chunk.delta.content:
                            said.append(chunk.delta.content)
                        for call in chunk.delta.tool_calls:
                            # the local policy keeps the call's arguments, to take corrections of it ("no, Friday")
                            policy.d.frame = Frame(call.name, _arguments(call.arguments))
                    if chunk.has_response():
                        sent = True
                    self._event_ch.send_nowait(chunk)
        except Exception as e:  # any failure of the hosted side is answered locally, never raised into the session
            log.warning("hybrid brain: the hosted LLM failed (%s: %s); the local brain asks instead",
                        type(e).__name__, e)
        if said:
            policy.said("".join(said))
        if not sent:
            policy.d.clarify = clarify  # the local question is asked after all: its answer is understood locally
        return sent


class _Handover:
    """The local brain as LocalBrainStream sees it, except that `decide` is the hybrid stream's.

    (A `_decide` hook in LocalBrainStream would make this view unnecessary.)"""

    def __init__(self, stream: HybridBrainStream) -> None:
        self._stream = stream

    async def decide(self, text: str, tools: ToolArgs) -> Decision:
        return await self._stream._decide(text, tools)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream._hybrid.local, name)


def _arguments(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
