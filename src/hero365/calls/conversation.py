"""The calling agent on an answered call: the dialer's `Conversation`, run by the telephony bridge
(`bridge.run_call`: answering-machine check, voicemail per policy, then an AgentSession on the leg's audio)."""

from __future__ import annotations

from ..config import Settings
from ..erp.store.db import Store
from .dialer import CallContext, CallResult
from .telephony.base import CallLeg


class AgentConversation:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self._speech = None

    async def __call__(self, leg: CallLeg, call: CallContext) -> CallResult:
        from .bridge import run_call, shared_speech

        if call.contact_id is None:
            return CallResult(error="an agent call needs a contact (who the agent may talk about)")
        if self._speech is None:
            self._speech = await shared_speech(self.settings)  # type: ignore[assignment]
        report = await run_call(leg, self.store, call.business_id, call.contact_id, call.purpose, call.agent,
                                self.settings, voicemail=call.voicemail.value, speech=self._speech)
        outcomes = list(report.outcomes)
        if report.opted_out_by_keypad and "opt_out" not in outcomes:
            outcomes.append("opt_out")
        return CallResult(voicemail=report.voicemail, voicemail_left=report.voicemail_left, outcomes=outcomes,
                          error=report.error)
