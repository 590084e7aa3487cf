"""The LiveKit SIP adapter against a local Twirp endpoint speaking LiveKit's protobuf API on 127.0.0.1.

No LiveKit server can be installed here; this server checks each request the way one would (the bearer
JWT's signature and grants, the fields) and answers like one: a dispatch, a SIP participant once "answered",
a SIP error when the callee is busy, participants that leave, a transfer, a trunk and a dispatch rule."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from livekit import api as lk
from sip_peers import free_port

from hero365.calls.telephony.base import CallNotConnected, CallState, DialRequest
from hero365.calls.telephony.livekit_sip import LiveKitSipTrunk, setup_inbound
from hero365.config import Settings

KEY, SECRET = "APItest", "a-secret-long-enough-for-hs256-signing"
BUSY_NUMBER = "+15125550199"


@dataclass
class FakeLiveKit:
    """LiveKit's server API on a local port: /twirp/livekit.<Service>/<Method>, protobuf in and out."""

    requests: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    participants: dict[tuple[str, str], lk.ParticipantInfo] = field(default_factory=dict)
    rooms_deleted: list[str] = field(default_factory=list)

    def handlers(self) -> dict[tuple[str, str], tuple[Any, Any]]:
        return {
            ("AgentDispatchService", "CreateDispatch"): (lk.CreateAgentDispatchRequest, self.create_dispatch),
            ("SIP", "CreateSIPParticipant"): (lk.CreateSIPParticipantRequest, self.create_participant),
            ("SIP", "TransferSIPParticipant"): (lk.TransferSIPParticipantRequest, self.transfer),
            ("SIP", "CreateSIPInboundTrunk"): (lk.CreateSIPInboundTrunkRequest, self.create_trunk),
            ("SIP", "CreateSIPDispatchRule"): (lk.CreateSIPDispatchRuleRequest, self.create_rule),
            ("RoomService", "GetParticipant"): (lk.RoomParticipantIdentity, self.get_participant),
            ("RoomService", "RemoveParticipant"): (lk.RoomParticipantIdentity, self.remove_participant),
            ("RoomService", "DeleteRoom"): (lk.DeleteRoomRequest, self.delete_room),
        }

    async def handle(self, request: web.Request) -> web.Response:
        service, method = request.match_info["service"], request.match_info["method"]
        found = self.handlers().get((service, method))
        if found is None:
            return self.error(404, "bad_route", f"no {service}/{method}")
        if request.content_type != "application/protobuf":
            return self.error(400, "malformed", "expected protobuf")
        auth = request.headers.get("Authorization", "")
        try:
            claims = jwt.decode(auth.removeprefix("Bearer "), SECRET, algorithms=["HS256"],
                                options={"verify_aud": False})
        except jwt.PyJWTError as exc:
            return self.error(401, "unauthenticated", str(exc))
        if claims.get("iss") != KEY:
            return self.error(401, "unauthenticated", "unknown API key")
        message = found[0].FromString(await request.read())
        self.requests.append((method, message, claims))
        return await found[1](message, claims)

    @staticmethod
    def error(status: int, code: str, msg: str, meta: dict[str, str] | None = None) -> web.Response:
        return web.Response(status=status, text=json.dumps({"code": code, "msg": msg, "meta": meta or {}}),
                            content_type="application/json")

    @staticmethod
    def ok(message: Any) -> web.Response:
        return web.Response(body=message.SerializeToString(), content_type="application/protobuf")

    def room_admin(self, claims: dict[str, Any], room: str) -> bool:
        video = claims.get("video", {})
        return bool(video.get("roomAdmin")) and video.get("room") == room

    async def create_dispatch(self, req: lk.CreateAgentDispatchRequest, claims: dict[str, Any]) -> web.Response:
        if not self.room_admin(claims, req.room):
            return self.error(403, "permission_denied", "roomAdmin for the room required")
        return self.ok(lk.AgentDispatch(id=f"AD_{len(self.requests)}", agent_name=req.agent_name, room=req.room,
                                        metadata=req.metadata))

    async def create_participant(self, req: lk.CreateSIPParticipantRequest, claims: dict[str, Any]) -> web.Response:
        if not claims.get("sip", {}).get("call"):
            return self.error(403, "permission_denied", "SIP call grant required")
        if not (req.sip_trunk_id and req.sip_call_to and req.room_name and req.participant_identity):
            return self.error(400, "invalid_argument", "trunk, number, room and identity are required")
        await asyncio.sleep(0.05)  # ringing
        if req.sip_call_to == BUSY_NUMBER:
            return self.error(503, "unavailable", "twirp error: sip status: 486: Busy Here",
                              {"sip_status_code": "486", "sip_status": "Busy Here"})
        info = lk.ParticipantInfo(sid="PA_1", identity=req.participant_identity, name=req.participant_name,
                                  attributes={"sip.phoneNumber": req.sip_call_to, **req.participant_attributes})
        self.participants[(req.room_name, req.participant_identity)] = info
        return self.ok(lk.SIPParticipantInfo(participant_id="PA_1", participant_identity=req.participant_identity,
                                             room_name=req.room_name, sip_call_id="SCL_1"))

    async def get_participant(self, req: lk.RoomParticipantIdentity, claims: dict[str, Any]) -> web.Response:
        if not self.room_admin(claims, req.room):
            return self.error(403, "permission_denied", "roomAdmin for the room required")
        info = self.participants.get((req.room, req.identity))
        return self.ok(info) if info else self.error(404, "not_found", "participant not found")

    async def remove_participant(self, req: lk.RoomParticipantIdentity, claims: dict[str, Any]) -> web.Response:
        if self.participants.pop((req.room, req.identity), None) is None:
            return self.error(404, "not_found", "participant not found")
        return self.ok(lk.RemoveParticipantResponse())

    async def delete_room(self, req: lk.DeleteRoomRequest, claims: dict[str, Any]) -> web.Response:
        if not claims.get("video", {}).get("roomCreate"):
            return self.error(403, "permission_denied", "roomCreate required")
        self.rooms_deleted.append(req.room)
        return self.ok(lk.DeleteRoomResponse())

    async def transfer(self, req: lk.TransferSIPParticipantRequest, claims: dict[str, Any]) -> web.Response:
        if not (claims.get("sip", {}).get("call") and self.room_admin(claims, req.room_name)):
            return self.error(403, "permission_denied", "SIP call and roomAdmin grants required")
        self.participants.pop((req.room_name, req.participant_identity), None)  # the caller leaves the room
        return self.ok(lk.TransferSIPParticipantResponse(
            transfer_id="TR_1", status=lk.STS_TRANSFER_SUCCESSFUL))

    async def create_trunk(self, req: lk.CreateSIPInboundTrunkRequest, claims: dict[str, Any]) -> web.Response:
        if not claims.get("sip", {}).get("admin"):
            return self.error(403, "permission_denied", "SIP admin grant required")
        info = lk.SIPInboundTrunkInfo()
        info.CopyFrom(req.trunk)
        info.sip_trunk_id = "ST_inbound1"
        return self.ok(info)

    async def create_rule(self, req: lk.CreateSIPDispatchRuleRequest, claims: dict[str, Any]) -> web.Response:
        if not claims.get("sip", {}).get("admin"):
            return self.error(403, "permission_denied", "SIP admin grant required")
        return self.ok(lk.SIPDispatchRuleInfo(sip_dispatch_rule_id="SDR_1", rule=req.rule, trunk_ids=req.trunk_ids,
                                              name=req.name, room_config=req.room_config))

    def sent(self, method: str) -> list[tuple[Any, dict[str, Any]]]:
        return [(m, c) for name, m, c in self.requests if name == method]


@pytest.fixture
async def livekit() -> AsyncIterator[tuple[FakeLiveKit, Settings]]:
    fake = FakeLiveKit()
    app = web.Application()
    app.router.add_post("/twirp/livekit.{service}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings = Settings(livekit_url=f"http://127.0.0.1:{port}", livekit_api_key=KEY, livekit_api_secret=SECRET,
                        livekit_sip_trunk_id="ST_outbound1", caller_id="+15125550000", database_url="sqlite+aiosqlite://")
    yield fake, settings
    await runner.cleanup()


def call(to: str = "+15125550101", attempt: int = 42) -> DialRequest:
    return DialRequest(attempt_id=attempt, business_id=3, to=to, contact_id=9, purpose="appointment_reminder",
                       agent="support", ring_timeout_s=25)


async def test_an_answered_call_dispatches_the_agent_then_dials_into_its_room(livekit: Any) -> None:
    fake, settings = livekit
    trunk = LiveKitSipTrunk(settings, poll_s=0.05)
    states: list[CallState] = []
    try:
        leg = await trunk.dial(call(), lambda ev: states.append(ev.state))
        [(dispatch, _)] = fake.sent("CreateDispatch")
        [(dial, claims)] = fake.sent("CreateSIPParticipant")
        assert dispatch.agent_name == "hero365-support" and dispatch.room == dial.room_name
        meta = json.loads(dispatch.metadata)
        assert meta == {"business_id": 3, "kind": "support", "contact_id": 9, "purpose": "appointment_reminder",
                        "session_id": "attempt-42", "channel": "phone", "driving": False}
        assert dial.wait_until_answered and dial.sip_trunk_id == "ST_outbound1" and dial.sip_call_to == "+15125550101"
        assert dial.sip_number == "+15125550000" and dial.ringing_timeout.seconds == 25
        assert claims["sip"]["call"] is True
        assert states == [CallState.DIALING, CallState.ANSWERED]
        assert leg.audio_input is None and leg.call_id == "SCL_1"  # the agent runs in the room, not here

        await leg.transfer("+15125550000")
        [(transfer, _)] = fake.sent("TransferSIPParticipant")
        assert transfer.transfer_to == "tel:+15125550000" and transfer.room_name == dial.room_name
        ended = await asyncio.wait_for(leg.wait_ended(), 5)  # transferred: the phone left the room
        assert ended.state == CallState.COMPLETED
    finally:
        await trunk.aclose()


async def test_a_busy_callee_is_busy_and_the_room_is_cleaned_up(livekit: Any) -> None:
    fake, settings = livekit
    trunk = LiveKitSipTrunk(settings)
    states: list[CallState] = []
    try:
        with pytest.raises(CallNotConnected) as refused:
            await trunk.dial(call(BUSY_NUMBER), lambda ev: states.append(ev.state))
    finally:
        await trunk.aclose()
    assert refused.value.event.state == CallState.BUSY and refused.value.event.sip_code == 486
    assert refused.value.event.reason == "Busy Here"
    assert states == [CallState.DIALING, CallState.BUSY]
    [(dial, _)] = fake.sent("CreateSIPParticipant")
    assert fake.rooms_deleted == [dial.room_name]


async def test_hanging_up_removes_the_phone_from_the_room(livekit: Any) -> None:
    fake, settings = livekit
    trunk = LiveKitSipTrunk(settings)
    try:
        leg = await trunk.dial(call(attempt=43))
        await leg.hangup("done")
        assert not fake.participants and (await leg.wait_ended()).state == CallState.COMPLETED
    finally:
        await trunk.aclose()


async def test_a_marketing_call_goes_to_the_sales_agent(livekit: Any) -> None:
    fake, settings = livekit
    trunk = LiveKitSipTrunk(settings)
    try:
        await trunk.dial(DialRequest(attempt_id=5, business_id=3, to="+15125550101", contact_id=9, agent="",
                                     purpose="estimate_follow_up"))
    finally:
        await trunk.aclose()
    [(dispatch, _)] = fake.sent("CreateDispatch")
    assert dispatch.agent_name == "hero365-sales"


async def test_inbound_setup_makes_a_trunk_and_a_rule_to_the_receptionist(livekit: Any) -> None:
    fake, settings = livekit
    trunk_id, rule_id = await setup_inbound(settings, 3, ["+15125550000"])
    assert (trunk_id, rule_id) == ("ST_inbound1", "SDR_1")
    [(trunk, claims)] = fake.sent("CreateSIPInboundTrunk")
    assert list(trunk.trunk.numbers) == ["+15125550000"] and claims["sip"]["admin"] is True
    [(rule, _)] = fake.sent("CreateSIPDispatchRule")
    assert list(rule.trunk_ids) == ["ST_inbound1"]
    assert rule.rule.dispatch_rule_individual.room_prefix == "hero365-b3-receptionist-"
    [agent] = rule.room_config.agents
    assert agent.agent_name == "hero365-receptionist"
    assert json.loads(agent.metadata) == {"business_id": 3, "kind": "receptionist", "purpose": "inbound",
                                          "channel": "phone", "driving": False}


async def test_without_an_outbound_trunk_it_says_what_to_set(livekit: Any) -> None:
    from hero365.erp.domain.errors import NotConfigured

    _, settings = livekit
    trunk = LiveKitSipTrunk(settings.model_copy(update={"livekit_sip_trunk_id": None}))
    with pytest.raises(NotConfigured, match="LIVEKIT_SIP_TRUNK_ID"):
        await trunk.dial(call())


async def test_the_bridge_follows_a_livekit_call_and_reads_the_workers_outcome(livekit: Any, world: Any,
                                                                              customer: Any) -> None:
    """The agent talks in the LiveKit worker; the dialer's bridge waits for the end and reads what the worker
    recorded under the call's session id."""
    import sqlalchemy as sa

    from hero365.calls.bridge import run_call
    from hero365.insights.tables import conversations

    fake, settings = livekit
    trunk = LiveKitSipTrunk(settings, poll_s=0.05)
    try:
        leg = await trunk.dial(DialRequest(attempt_id=77, business_id=customer.business_id, to=customer.phone,
                                           contact_id=customer.contact_id, purpose="appointment_reminder"))
        async with world.store.engine.begin() as conn:  # what the worker's recorder wrote during the call
            await conn.execute(sa.insert(conversations).values(
                business_id=customer.business_id, session_id="attempt-77", agent="support", channel="phone",
                started_at=world.store.clock(), contact_id=customer.contact_id, purpose="appointment_reminder",
                outcome="confirm_appointment", turns=2, tool_calls=2, tool_errors=0))
        call = asyncio.create_task(run_call(leg, world.store, customer.business_id, customer.contact_id,
                                            "appointment_reminder", settings=world.store.settings))
        await asyncio.sleep(0.2)
        assert not call.done()  # the call is still going
        fake.participants.clear()  # the customer hangs up
        report = await asyncio.wait_for(call, 5)
    finally:
        await trunk.aclose()
    assert report.hung_up_by == "remote" and report.outcomes == ["confirm_appointment"]
    assert report.session_id == "attempt-77" and report.conversation_id is not None
