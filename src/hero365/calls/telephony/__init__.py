"""Telephony trunks behind one interface (`base.Trunk`): local SIP, LiveKit SIP, Twilio Media Streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import CallEvent, CallLeg, CallNotConnected, CallState, DialRequest, Trunk

if TYPE_CHECKING:
    from ...config import Settings

__all__ = ["CallEvent", "CallLeg", "CallNotConnected", "CallState", "DialRequest", "Trunk", "make_trunk"]


def make_trunk(settings: Settings | None = None) -> Trunk:
    """The trunk the settings choose (TELEPHONY=local|livekit|twilio); the local SIP trunk by default.

    Imports are deferred so a process only loads the carrier it uses."""
    from ...config import get_settings

    settings = settings or get_settings()
    if settings.telephony == "livekit":
        from .livekit_sip import LiveKitSipTrunk

        return LiveKitSipTrunk(settings)
    if settings.telephony == "twilio":
        from .twilio_outbound import TwilioTrunk

        return TwilioTrunk(settings)
    from .local_sip import LocalSipTrunk

    return LocalSipTrunk(settings)
