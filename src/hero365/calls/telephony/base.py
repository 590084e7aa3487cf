"""The telephony interface the dialer and the receptionist use, whatever the trunk behind it.

A trunk dials a number and hands back a `CallLeg` once the callee answers (or raises `CallNotConnected` with
the final state: busy, no answer, failed). A leg either carries audio (local SIP, Twilio: the caller's voice
in and the agent's voice out as LiveKit `io.AudioInput`/`io.AudioOutput` at 16 kHz, so an `AgentSession` runs
on it here) or not (LiveKit SIP: the agent runs in a LiveKit worker in the call's room, and the leg only
reports the call's life)."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.agents.voice import io


class CallState(enum.StrEnum):
    """An attempt's state machine (one row per attempt in the database)."""

    QUEUED = "queued"
    DIALING = "dialing"
    RINGING = "ringing"
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    COMPLETED = "completed"

    @property
    def final(self) -> bool:
        return self in (CallState.VOICEMAIL, CallState.NO_ANSWER, CallState.BUSY, CallState.FAILED,
                        CallState.COMPLETED)


@dataclass(frozen=True)
class DialRequest:
    """One call to place. `to` is an E.164 number or a SIP URI; `metadata` travels to the agent."""

    attempt_id: int
    business_id: int
    to: str
    caller_id: str | None = None
    agent: str = "support"
    purpose: str = "appointment_reminder"
    contact_id: int | None = None
    ring_timeout_s: float = 30.0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallEvent:
    """A change in a call's life, as the trunk saw it (SIP code and reason where there is one)."""

    state: CallState
    at: float
    sip_code: int | None = None
    reason: str | None = None


StateCallback = Callable[[CallEvent], Awaitable[None] | None]
DtmfCallback = Callable[[str], Awaitable[None] | None]


class CallNotConnected(Exception):
    """The call ended before anyone answered: `event.state` is BUSY, NO_ANSWER or FAILED."""

    def __init__(self, event: CallEvent) -> None:
        super().__init__(f"{event.state.value}" + (f" ({event.sip_code} {event.reason})" if event.sip_code else ""))
        self.event = event


class CallLeg(ABC):
    """An answered call. `audio_input`/`audio_output` are None when the agent runs elsewhere (LiveKit)."""

    call_id: str
    remote: str
    audio_input: io.AudioInput | None = None
    audio_output: io.AudioOutput | None = None

    def on_dtmf(self, callback: DtmfCallback) -> None:
        """Receive keypad digits (RFC 4733 or SIP INFO; Twilio's dtmf event)."""
        self._dtmf = callback

    @abstractmethod
    async def hangup(self, reason: str = "normal") -> None:
        """End the call from our side (idempotent)."""

    @abstractmethod
    async def wait_ended(self) -> CallEvent:
        """Block until either side ends the call; the final event (COMPLETED, or FAILED on a dropped line)."""

    async def transfer(self, to: str) -> None:
        """Hand the call to a human (SIP REFER or the trunk's own transfer); not every trunk can."""
        raise NotImplementedError(f"{type(self).__name__} cannot transfer calls")


InboundHandler = Callable[[CallLeg], Awaitable[None]]


def kind_for(purpose: Any, agent: str | None = None) -> Any:
    """The calling agent (voice.state.AgentKind) a call needs: the one named (`support`, `hero365-sales`), else
    sales for marketing purposes and support for the customer's own business. The dispatch rules refuse a
    named agent that doesn't fit the purpose."""
    from ...voice.state import AgentKind, Purpose

    name = (agent or "").removeprefix("hero365-")
    if name in {k.value for k in AgentKind}:
        return AgentKind(name)
    return AgentKind.SALES if Purpose(purpose).is_marketing else AgentKind.SUPPORT


class Trunk(ABC):
    """A way to reach the phone network."""

    name: str

    @abstractmethod
    async def dial(self, request: DialRequest, on_state: StateCallback | None = None) -> CallLeg:
        """Place the call; report DIALING/RINGING through `on_state`; return once answered, or raise
        `CallNotConnected`."""

    async def serve_inbound(self, handler: InboundHandler) -> None:
        """Answer incoming calls with `handler` until cancelled (trunks without inbound raise)."""
        raise NotImplementedError(f"{type(self).__name__} does not take inbound calls")

    async def aclose(self) -> None:
        """Release sockets and tasks (nothing to release by default)."""
        return None
