"""Every tool by name, so an agent's tool list can be derived from the intent registry."""

from __future__ import annotations

from livekit.agents import llm

from ..brain.registry import for_speaker
from ..tools import billing, customer, dialogue, jobs, work
from .handoff import transfer

_MODULES = (jobs, work, billing, customer, dialogue)


def tool(name: str) -> llm.FunctionTool:
    """The tool called `name` (KeyError when there is none)."""
    if name == "transfer":
        return transfer
    for module in _MODULES:
        found = getattr(module, name, None)
        if isinstance(found, llm.FunctionTool):
            return found
    raise KeyError(f"no tool named {name!r}")


def tools_for(speaker: str) -> list[llm.FunctionTool]:
    """The tools of every intent the speaker can have, in registry order, each once."""
    names = dict.fromkeys(i.tool for i in for_speaker(speaker) if i.tool)
    return [tool(name) for name in names]
