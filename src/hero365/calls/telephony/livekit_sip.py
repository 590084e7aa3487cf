"""LiveKit SIP (production): the phone call joins a LiveKit room where an agent worker talks to it.

Outbound: the calling agent is dispatched into a fresh room with the call's metadata (business, contact,
purpose: all the worker will trust), then the callee is dialled into that room through the outbound trunk
with `wait_until_answered`, so busy / no answer / failure come back as the SIP status of the request.
Inbound: a trunk for the business's numbers and a dispatch rule that puts each caller in a room of their
own with the receptionist (the worker recognises the caller from the participant's `sip.phoneNumber`).
The leg carries no audio here: it reports the call's life, hangs up and transfers through the server API.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Sequence

from google.protobuf.duration_pb2 import Duration
from livekit import api as lk

from ...config import Settings
from ...erp.domain.errors import NotConfigured
from ...voice.dispatch import (
    AGENT_NAMES,
    DispatchMetadata,
    dispatch_agent,
    livekit_api,
    room_name_for,
)
from ...voice.state import AgentKind, Purpose
from .base import CallEvent, CallLeg, CallNotConnected, CallState, DialRequest, StateCallback, Trunk, kind_for
from .local_sip import final_state

log = logging.getLogger(__name__)
#: How often a leg asks the server whether the phone participant is still in the room.
POLL_S = 2.0


async def _emit(callback: StateCallback | None, event: CallEvent) -> None:
    if callback is not None:
        out = callback(event)
        if inspect.isawaitable(out):
            await out


def _not_found(exc: Exception) -> bool:
    return isinstance(exc, lk.TwirpError) and exc.code == lk.TwirpErrorCode.NOT_FOUND


class LiveKitSipLeg(CallLeg):
    """A phone participant in a LiveKit room (the agent runs in the worker, not here)."""

    def __init__(self, api: lk.LiveKitAPI, room: str, identity: str, remote: str, sip_call_id: str,
                 poll_s: float = POLL_S, session_id: str | None = None) -> None:
        self.api, self.room, self.identity, self.remote = api, room, identity, remote
        #: The worker records the conversation under this id (the dispatch metadata's session_id).
        self.session_id = session_id
        self.call_id = sip_call_id or f"{room}/{identity}"
        self.poll_s = poll_s
        self._ended: CallEvent | None = None

    async def hangup(self, reason: str = "normal") -> None:
        if self._ended is not None:
            return
        try:
            await self.api.room.remove_participant(lk.RoomParticipantIdentity(room=self.room, identity=self.identity))
        except lk.TwirpError as exc:
            if not _not_found(exc):
                raise
        self._ended = CallEvent(CallState.COMPLETED, time.time(), reason=f"local hangup: {reason}")

    async def wait_ended(self) -> CallEvent:
        while self._ended is None:
            try:
                await self.api.room.get_participant(lk.RoomParticipantIdentity(room=self.room, identity=self.identity))
            except lk.TwirpError as exc:
                if _not_found(exc):  # the phone left the room: someone hung up
                    self._ended = CallEvent(CallState.COMPLETED, time.time(), reason="participant left")
                    break
                log.warning("checking %s in %s: %s", self.identity, self.room, exc)
            await asyncio.sleep(self.poll_s)
        return self._ended

    async def transfer(self, to: str) -> None:
        """Cold transfer to a person (tel:+1... or sip:...), by the SIP server's REFER."""
        target = to if to.startswith(("tel:", "sip:", "sips:")) else f"tel:{to}"
        response = await self.api.sip.transfer_sip_participant(lk.TransferSIPParticipantRequest(
            participant_identity=self.identity, room_name=self.room, transfer_to=target, play_dialtone=False))
        if response.status == lk.STS_TRANSFER_FAILED:
            raise RuntimeError(f"transfer to {target} failed: {response.reason or response.sip_status}")


class LiveKitSipTrunk(Trunk):
    name = "livekit-sip"

    def __init__(self, settings: Settings, api: lk.LiveKitAPI | None = None, *, poll_s: float = POLL_S) -> None:
        self.settings = settings
        self._api = api
        self.poll_s = poll_s

    @property
    def api(self) -> lk.LiveKitAPI:
        if self._api is None:
            self._api = livekit_api(self.settings)
        return self._api

    async def dial(self, request: DialRequest, on_state: StateCallback | None = None) -> CallLeg:
        trunk_id = self.settings.livekit_sip_trunk_id
        if not trunk_id:
            raise NotConfigured("No LiveKit SIP outbound trunk: set LIVEKIT_SIP_TRUNK_ID (hero365 phone "
                                "setup-livekit makes the inbound side).")
        if request.contact_id is None:
            raise CallNotConnected(CallEvent(CallState.FAILED, time.time(), reason="a call needs its contact"))
        purpose = Purpose(request.purpose)
        kind = kind_for(purpose, request.agent)
        meta = DispatchMetadata.parse({"business_id": request.business_id, "kind": kind.value,
                                       "contact_id": request.contact_id, "purpose": purpose.value,
                                       "channel": "phone", "session_id": f"attempt-{request.attempt_id}"})
        room = room_name_for(meta)
        identity = f"phone-{request.attempt_id}"
        await _emit(on_state, CallEvent(CallState.DIALING, time.time()))
        await dispatch_agent(self.api, room, kind, meta)
        create = lk.CreateSIPParticipantRequest(
            sip_trunk_id=trunk_id, sip_call_to=request.to,
            sip_number=request.caller_id or self.settings.caller_id or "",
            room_name=room, participant_identity=identity, participant_name="Customer",
            participant_attributes={"hero365.attempt_id": str(request.attempt_id)},
            ringing_timeout=Duration(seconds=int(request.ring_timeout_s)), play_dialtone=False,
            wait_until_answered=True)
        try:
            info = await self.api.sip.create_sip_participant(create)
        except lk.TwirpError as exc:
            code = getattr(exc, "sip_status_code", None)
            state = final_state(code) if code else CallState.FAILED
            reason = exc.metadata.get("sip_status") or exc.message or exc.code
            event = CallEvent(state, time.time(), sip_code=code, reason=reason)
            await _emit(on_state, event)
            try:
                await self.api.room.delete_room(lk.DeleteRoomRequest(room=room))  # the dispatched agent leaves too
            except lk.TwirpError as cleanup:
                log.warning("could not delete room %s: %s", room, cleanup)
            raise CallNotConnected(event) from None
        await _emit(on_state, CallEvent(CallState.ANSWERED, time.time(), sip_code=200))
        return LiveKitSipLeg(self.api, info.room_name or room, info.participant_identity or identity, request.to,
                             info.sip_call_id, poll_s=self.poll_s, session_id=meta.session_id)

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()


async def setup_inbound(settings: Settings, business_id: int, numbers: Sequence[str],
                        api: lk.LiveKitAPI | None = None) -> tuple[str, str]:
    """The inbound trunk for `numbers` and a dispatch rule giving each caller a room with the receptionist.

    Returns (trunk id, dispatch rule id)."""
    own = api is None
    api = api or livekit_api(settings)
    try:
        trunk = await api.sip.create_sip_inbound_trunk(lk.CreateSIPInboundTrunkRequest(trunk=lk.SIPInboundTrunkInfo(
            name=f"hero365-b{business_id}-inbound", numbers=list(numbers), krisp_enabled=True)))
        meta = DispatchMetadata.parse({"business_id": business_id, "kind": AgentKind.RECEPTIONIST.value,
                                       "purpose": Purpose.INBOUND.value})
        prefix = f"hero365-b{business_id}-receptionist-"
        rule = await api.sip.create_sip_dispatch_rule(lk.CreateSIPDispatchRuleRequest(
            name=f"hero365-b{business_id}-receptionist", trunk_ids=[trunk.sip_trunk_id],
            rule=lk.SIPDispatchRule(dispatch_rule_individual=lk.SIPDispatchRuleIndividual(room_prefix=prefix)),
            room_config=lk.RoomConfiguration(agents=[lk.RoomAgentDispatch(
                agent_name=AGENT_NAMES[AgentKind.RECEPTIONIST], metadata=meta.model_dump_json(
                    exclude_none=True, exclude={"session_id"}))])))
        return trunk.sip_trunk_id, rule.sip_dispatch_rule_id
    finally:
        if own:
            await api.aclose()
