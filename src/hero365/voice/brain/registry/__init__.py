"""The intent registry: the one place an intent is defined (speakers, slots asked for, tool, help, phrasings).

Everything else derives from it: the dialogue's questions and help line, which tools a speaker's agent has,
the training data and the model's labels, and the speech recogniser's corpus. Adding an intent means an
entry here, its tool and its tests.
"""

from __future__ import annotations

from functools import cache

from .customer import CUSTOMER
from .dialogue import DIALOGUE, OUT_OF_SCOPE
from .personal import PERSONAL
from .spec import BOTH, Ask, Intent, Speaker

INTENTS: tuple[Intent, ...] = (*PERSONAL, *CUSTOMER, *DIALOGUE, OUT_OF_SCOPE)
BY_NAME: dict[str, Intent] = {i.name: i for i in INTENTS}
BY_TOOL: dict[str, Intent] = {i.tool: i for i in INTENTS if i.tool and i.tool != "cancel_action"}
#: Dialogue replies: answered by the dialogue, not a business action.
CONTROL = frozenset(i.name for i in DIALOGUE) | {OUT_OF_SCOPE.name}

__all__ = ["BOTH", "BY_NAME", "BY_TOOL", "CONTROL", "INTENTS", "Ask", "Intent", "Speaker", "asks", "for_speaker",
           "help_line", "labels"]


@cache
def for_speaker(speaker: str) -> tuple[Intent, ...]:
    """The intents a speaker can have, in registry order."""
    return tuple(i for i in INTENTS if speaker in i.speakers)


@cache
def labels(speaker: str) -> tuple[str, ...]:
    return tuple(i.name for i in for_speaker(speaker))


def asks(tool: str) -> tuple[Ask, ...]:
    """The required slots of the intent a tool serves, in the order they are asked."""
    intent = BY_TOOL.get(tool)
    return intent.asks if intent else ()


@cache
def help_line(speaker: str) -> str:
    """What the agent says to "help": built from the speaker's intents' help phrases."""
    phrases = [i.help for i in for_speaker(speaker) if i.help and i.name not in CONTROL]
    lead = "You can ask me about " if speaker == "personal" else "I can help you "
    tail = ("Changes are read back to you before I make them." if speaker == "personal"
            else "Or ask for a person at any time.")
    return f"{lead}{', '.join(phrases[:-1])} or {phrases[-1]}. {tail}"
