"""Dispatch and the LiveKit worker, against a local Twirp endpoint that checks every request like LiveKit.

No LiveKit server binary exists here, so a small aiohttp server on 127.0.0.1 plays its server API: it
verifies each request's JWT (signature, issuer, grants), decodes the protobuf (or JSON) body with
livekit.protocol's own classes, records it, and answers with LiveKit's messages and Twirp errors. The worker
tests build session state from dispatch metadata on the real database, and register a real AgentServer with
the same endpoint's agent WebSocket.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from aiohttp import WSMsgType, web
from google.protobuf import json_format
from google.protobuf.message import Message
from livekit import api as lk
from livekit.agents import JobRequest, WorkerOptions
from livekit.protocol import agent as agent_pb
from livekit.protocol import agent_dispatch as dispatch_pb
from livekit.protocol import models as models_pb
from livekit.protocol import room as room_pb

from hero365.config import Settings, get_settings
from hero365.erp.domain.errors import NotConfigured, NotFound
from hero365.erp.domain.tenancy import Role
from hero365.erp.services import businesses
from hero365.voice.agents import PersonalAgent, ReceptionistAgent, SalesAgent, SupportAgent, agent_for
from hero365.voice.dispatch import (
    AGENT_NAMES,
    BadDispatch,
    DispatchMetadata,
    create_room_and_token,
    dispatch_agent,
    livekit_api,
    room_name_for,
)
from hero365.voice.state import AgentKind, Purpose
from hero365.voice.worker import (
    build_session,
    request_job,
    run,
    state_from_metadata,
    with_caller_phone,
    worker_options,
)

API_KEY = "APItest"
API_SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@dataclass
class Call:
    """One request the endpoint accepted: which method, the decoded message, the verified token claims."""

    service: str
    method: str
    request: Message
    claims: lk.Claims
    content_type: str


@dataclass
class FakeLiveKit:
    """LiveKit's server API on 127.0.0.1, strict about auth and grants, recording what it was sent."""

    calls: list[Call] = field(default_factory=list)
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
    fail_dispatch: bool = False
    registrations: list[agent_pb.RegisterWorkerRequest] = field(default_factory=list)
    availability: list[agent_pb.AvailabilityResponse] = field(default_factory=list)
    #: Jobs the agent WebSocket offers a registered worker (one AvailabilityRequest each).
    offer: list[agent_pb.Job] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    ROUTES: ClassVar[dict[tuple[str, str], tuple[type[Message], str]]] = {
        ("RoomService", "CreateRoom"): (room_pb.CreateRoomRequest, "room_create"),
        ("RoomService", "DeleteRoom"): (room_pb.DeleteRoomRequest, "room_create"),
        ("AgentDispatchService", "CreateDispatch"): (dispatch_pb.CreateAgentDispatchRequest, "room_admin"),
    }

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/twirp/livekit.{service}/{method}", self._twirp)
        app.router.add_get("/agent", self._agent_ws)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _claims(self, request: web.Request) -> lk.Claims:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _twirp_error(401, "unauthenticated", "authorization header missing")
        try:
            return lk.TokenVerifier(API_KEY, API_SECRET).verify(auth.removeprefix("Bearer "))
        except Exception as exc:  # bad signature, wrong issuer, expired
            raise _twirp_error(401, "unauthenticated", f"invalid token: {exc}") from None

    async def _twirp(self, request: web.Request) -> web.Response:
        service, method = request.match_info["service"], request.match_info["method"]
        try:
            route = self.ROUTES.get((service, method))
            if route is None:
                raise _twirp_error(404, "bad_route", f"no handler for livekit.{service}/{method}")
            message_cls, grant = route
            claims = self._claims(request)
            body, ctype = await request.read(), request.content_type
            if ctype == "application/protobuf":
                message = message_cls.FromString(body)
            elif ctype == "application/json":
                message = json_format.Parse(body, message_cls())
            else:
                raise _twirp_error(415, "malformed", f"unsupported content type {ctype}")
            video = claims.video
            if video is None or not getattr(video, grant):
                raise _twirp_error(403, "permission_denied", f"{grant} grant required")
            room = getattr(message, "room", None)
            if grant == "room_admin" and video.room != room:
                raise _twirp_error(403, "permission_denied", "token is for another room")
            reply = self._answer(method, message)
            self.calls.append(Call(service, method, message, claims, ctype))
        except TwirpFailure as exc:
            self.rejected.append((f"{service}/{method}", exc.status, exc.body))
            return exc.response()
        if ctype == "application/json":
            return web.Response(body=json_format.MessageToJson(reply), content_type="application/json")
        return web.Response(body=reply.SerializeToString(), content_type="application/protobuf")

    def _answer(self, method: str, message: Any) -> Message:
        now = int(time.time())
        if method == "CreateRoom":
            if not message.name:
                raise _twirp_error(400, "invalid_argument", "room name required")
            return models_pb.Room(sid=f"RM_{uuid.uuid4().hex[:12]}", name=message.name, creation_time=now,
                                  empty_timeout=message.empty_timeout or 300)
        if method == "DeleteRoom":
            return room_pb.DeleteRoomResponse()
        if not message.agent_name or not message.room:
            raise _twirp_error(400, "invalid_argument", "agent_name and room are required")
        if self.fail_dispatch:
            raise _twirp_error(412, "failed_precondition", "no worker registered for that agent")
        return dispatch_pb.AgentDispatch(id=f"AD_{uuid.uuid4().hex[:12]}", agent_name=message.agent_name,
                                         room=message.room, metadata=message.metadata,
                                         state=dispatch_pb.AgentDispatchState(created_at=now))

    async def _agent_ws(self, request: web.Request) -> web.StreamResponse:
        """The worker protocol's first steps: register (agent grant required), then offer jobs."""
        try:
            claims = self._claims(request)
            if claims.video is None or not claims.video.agent:
                raise _twirp_error(403, "permission_denied", "agent grant required")
        except TwirpFailure as exc:
            self.rejected.append(("agent", exc.status, exc.body))
            return exc.response()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        first = agent_pb.WorkerMessage.FromString(await ws.receive_bytes())
        assert first.HasField("register")
        self.registrations.append(first.register)
        reply = agent_pb.ServerMessage()
        reply.register.worker_id = "AW_test"
        reply.register.server_info.version = "fake"
        await ws.send_bytes(reply.SerializeToString())
        for job in self.offer:
            offer = agent_pb.ServerMessage()
            offer.availability.job.CopyFrom(job)
            await ws.send_bytes(offer.SerializeToString())
        async for msg in ws:
            if msg.type != WSMsgType.BINARY:
                continue
            worker_msg = agent_pb.WorkerMessage.FromString(msg.data)
            if worker_msg.HasField("availability"):
                self.availability.append(worker_msg.availability)
        return ws


class TwirpFailure(Exception):
    """A Twirp error as LiveKit sends it: an HTTP status and a JSON body with code and msg."""

    def __init__(self, status: int, code: str, msg: str) -> None:
        super().__init__(msg)
        self.status, self.body = status, json.dumps({"code": code, "msg": msg})

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.body, content_type="application/json")


def _twirp_error(status: int, code: str, msg: str) -> TwirpFailure:
    return TwirpFailure(status, code, msg)


@pytest.fixture
async def livekit() -> AsyncIterator[FakeLiveKit]:
    server = FakeLiveKit()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def lkapi(livekit: FakeLiveKit) -> AsyncIterator[lk.LiveKitAPI]:
    client = lk.LiveKitAPI(url=livekit.url, api_key=API_KEY, api_secret=API_SECRET)
    yield client
    await client.aclose()


def lk_settings(livekit: FakeLiveKit, **changes: Any) -> Settings:
    fields = {"livekit_url": livekit.url, "livekit_api_key": API_KEY, "livekit_api_secret": API_SECRET,
              "redis_url": None, **changes}
    return Settings(**fields)


# --- dispatch ----------------------------------------------------------------------------------------------

DISPATCHES = [
    (AgentKind.PERSONAL, {"business_id": 3, "kind": "personal", "user_id": 7, "driving": True}),
    (AgentKind.SALES, {"business_id": 3, "kind": "sales", "contact_id": 11, "purpose": "estimate_follow_up"}),
    (AgentKind.SUPPORT, {"business_id": 3, "kind": "support", "contact_id": 12, "purpose": "payment_reminder"}),
    (AgentKind.RECEPTIONIST, {"business_id": 3, "kind": "receptionist", "caller_phone": "(512) 555-0100"}),
]


@pytest.mark.parametrize(("kind", "fields"), DISPATCHES, ids=[k.value for k, _ in DISPATCHES])
async def test_dispatch_agent_sends_exactly_one_checked_create_dispatch(livekit: FakeLiveKit, lkapi: lk.LiveKitAPI,
                                                                       kind: AgentKind, fields: dict) -> None:
    meta = DispatchMetadata.parse({**fields, "session_id": "s-1"})
    result = await dispatch_agent(lkapi, "room-42", kind, meta)

    assert livekit.rejected == []
    [call] = livekit.calls
    assert (call.service, call.method, call.content_type) == ("AgentDispatchService", "CreateDispatch",
                                                               "application/protobuf")
    assert call.request.agent_name == f"hero365-{kind.value}" == AGENT_NAMES[kind]
    assert call.request.room == "room-42"
    sent = json.loads(call.request.metadata)
    assert {k: sent[k] for k in fields} == {**fields, **({"caller_phone": "+15125550100"}
                                                          if kind == AgentKind.RECEPTIONIST else {})}
    assert sent["session_id"] == "s-1"
    assert sent["channel"] == ("web" if kind == AgentKind.PERSONAL else "phone")
    assert DispatchMetadata.from_json(call.request.metadata) == meta  # what the worker will parse
    assert call.claims.identity == "" and call.claims.video is not None
    assert call.claims.video.room_admin and call.claims.video.room == "room-42"
    assert result.id.startswith("AD_") and result.agent_name == AGENT_NAMES[kind] and result.room == "room-42"


BAD = [
    ({"kind": "personal", "user_id": 7}, "business_id: Field required"),
    ({"business_id": 3, "kind": "personal"}, "needs the user_id"),
    ({"business_id": 3, "kind": "sales", "contact_id": 11, "purpose": "payment_reminder"},
     "payment_reminder is not a sales purpose"),
    ({"business_id": 3, "kind": "support", "contact_id": 11}, "needs a purpose"),
    ({"business_id": 3, "kind": "support", "purpose": "feedback", "contact_id": 11, "user_id": 7}, "no user_id"),
    ({"business_id": 3, "kind": "receptionist", "caller_phone": "not a number"}, "not a phone number"),
    ({"business_id": 3, "kind": "robot"}, "kind:"),
    ({"business_id": 0, "kind": "personal", "user_id": 7}, "business_id: Input should be greater than 0"),
    ({"business_id": 3, "kind": "personal", "user_id": 7, "role": "owner"}, "role: Extra inputs"),
]


@pytest.mark.parametrize(("fields", "reason"), BAD, ids=[r for _, r in BAD])
async def test_bad_metadata_is_refused_before_any_request(livekit: FakeLiveKit, lkapi: lk.LiveKitAPI,
                                                         fields: dict, reason: str) -> None:
    with pytest.raises(BadDispatch) as refused:
        await dispatch_agent(lkapi, "room-42", str(fields["kind"]) if fields["kind"] != "robot" else "personal",
                             fields)
    assert reason in refused.value.message and refused.value.message.startswith("Bad dispatch metadata:")
    with pytest.raises(BadDispatch):
        await create_room_and_token(lkapi, fields, settings=lk_settings(livekit))
    assert livekit.calls == [] and livekit.rejected == []


async def test_kind_and_metadata_must_agree_and_a_room_is_needed(livekit: FakeLiveKit, lkapi: lk.LiveKitAPI) -> None:
    meta = {"business_id": 3, "kind": "personal", "user_id": 7}
    with pytest.raises(BadDispatch, match="for a personal agent, not a sales agent"):
        await dispatch_agent(lkapi, "room-42", AgentKind.SALES, meta)
    with pytest.raises(BadDispatch, match="not an agent kind"):
        await dispatch_agent(lkapi, "room-42", "robot", meta)
    with pytest.raises(BadDispatch, match="needs a room"):
        await dispatch_agent(lkapi, " ", "personal", meta)
    with pytest.raises(BadDispatch, match="no dispatch metadata"):
        DispatchMetadata.from_json("")
    assert livekit.calls == []


async def test_create_room_and_token_makes_a_room_dispatches_and_signs_a_join_token(
        livekit: FakeLiveKit, lkapi: lk.LiveKitAPI) -> None:
    settings = lk_settings(livekit)
    meta = {"business_id": 3, "kind": "personal", "user_id": 7}
    first = await create_room_and_token(lkapi, meta, name="Tina Tech", settings=settings)
    second = await create_room_and_token(lkapi, meta, name="Tina Tech", settings=settings)

    assert [(c.service, c.method) for c in livekit.calls] == [
        ("RoomService", "CreateRoom"), ("AgentDispatchService", "CreateDispatch")] * 2
    create, dispatch = livekit.calls[0], livekit.calls[1]
    assert create.request.name == first["room_name"] and create.request.empty_timeout == 300
    assert create.claims.video is not None and create.claims.video.room_create
    assert dispatch.request.room == first["room_name"] and dispatch.request.agent_name == "hero365-personal"
    sent = DispatchMetadata.from_json(dispatch.request.metadata)
    assert (sent.business_id, sent.kind, sent.user_id) == (3, AgentKind.PERSONAL, 7)
    assert first["room_name"] == room_name_for(sent) == f"hero365-b3-personal-{sent.session_id}"
    assert first["room_name"] != second["room_name"]  # one room per session
    assert first["url"] == livekit.url.replace("http://", "ws://")
    assert first["agent_name"] == "hero365-personal" and first["dispatch_id"].startswith("AD_")

    claims = lk.TokenVerifier(API_KEY, API_SECRET).verify(first["access_token"])
    assert claims.identity == "user-7" and claims.name == "Tina Tech"
    assert claims.video is not None and claims.video.room_join and claims.video.room == first["room_name"]
    assert not claims.video.room_admin and not claims.video.room_create  # a user token can't manage rooms
    with pytest.raises(Exception):  # noqa: B017 - any verification failure will do
        lk.TokenVerifier(API_KEY, "some-other-secret-of-sufficient-length").verify(first["access_token"])


async def test_a_failed_dispatch_deletes_the_room_it_made(livekit: FakeLiveKit, lkapi: lk.LiveKitAPI) -> None:
    livekit.fail_dispatch = True
    with pytest.raises(lk.TwirpError) as failed:
        await create_room_and_token(lkapi, {"business_id": 3, "kind": "personal", "user_id": 7},
                                    settings=lk_settings(livekit))
    assert failed.value.status == 412 and failed.value.code == "failed_precondition"
    assert [(c.service, c.method) for c in livekit.calls] == [("RoomService", "CreateRoom"),
                                                              ("RoomService", "DeleteRoom")]
    assert [r[:2] for r in livekit.rejected] == [("AgentDispatchService/CreateDispatch", 412)]
    assert livekit.calls[1].request.room == livekit.calls[0].request.name


async def test_the_endpoint_refuses_a_token_signed_with_another_secret(livekit: FakeLiveKit) -> None:
    async with lk.LiveKitAPI(url=livekit.url, api_key=API_KEY,
                             api_secret="not-the-secret-but-long-enough-for-hs256") as wrong:
        with pytest.raises(lk.TwirpError) as refused:
            await dispatch_agent(wrong, "room-42", "personal", {"business_id": 3, "kind": "personal", "user_id": 7})
    assert refused.value.status == 401 and livekit.calls == []


async def test_unconfigured_livekit_says_so_before_any_request(livekit: FakeLiveKit, lkapi: lk.LiveKitAPI) -> None:
    with pytest.raises(NotConfigured, match="LIVEKIT_API_SECRET"):
        await create_room_and_token(lkapi, {"business_id": 3, "kind": "personal", "user_id": 7},
                                    settings=lk_settings(livekit, livekit_api_secret=None))
    with pytest.raises(NotConfigured, match="LIVEKIT_URL"):
        livekit_api(lk_settings(livekit, livekit_url=None))
    async with livekit_api(lk_settings(livekit)) as configured:
        await dispatch_agent(configured, "room-1", "personal", {"business_id": 3, "kind": "personal", "user_id": 7})
    assert [c.request.room for c in livekit.calls] == ["room-1"]
    livekit.calls.clear()
    with pytest.raises(BadDispatch, match="identity"):
        await create_room_and_token(lkapi, {"business_id": 3, "kind": "support", "contact_id": 1,
                                            "purpose": "feedback"}, settings=lk_settings(livekit))
    assert livekit.calls == []


# --- the worker: session state from metadata, on the real database ----------------------------------------

async def test_personal_metadata_becomes_that_members_own_actor(world, people) -> None:  # type: ignore[no-untyped-def]
    meta = DispatchMetadata.parse({"business_id": world.business_id, "kind": "personal",
                                   "user_id": world.tech.user_id, "driving": True, "session_id": "abc"})
    state = await state_from_metadata(world.store, meta)
    assert state.actor == world.tech and state.actor.role == Role.TECHNICIAN
    assert (state.kind, state.driving, state.channel, state.session_id) == (AgentKind.PERSONAL, True, "web", "abc")
    assert isinstance(agent_for(state), PersonalAgent)


@pytest.mark.parametrize(("kind", "purpose", "agent_cls"), [
    (AgentKind.SALES, Purpose.ESTIMATE_FOLLOW_UP, SalesAgent),
    (AgentKind.SUPPORT, Purpose.APPOINTMENT_REMINDER, SupportAgent)])
async def test_call_metadata_binds_a_calling_agent_to_the_one_contact(world, people, kind, purpose,  # type: ignore[no-untyped-def]
                                                                      agent_cls) -> None:
    meta = DispatchMetadata.parse({"business_id": world.business_id, "kind": kind.value,
                                   "contact_id": people.smith.id, "purpose": purpose.value})
    state = await state_from_metadata(world.store, meta)
    assert state.actor == world.call_agent(people.smith.id)
    assert (state.actor.role, state.actor.user_id, state.actor.contact_id) == (Role.CALL_AGENT, None,
                                                                               people.smith.id)
    assert (state.kind, state.purpose, state.channel) == (kind, purpose, "phone")
    agent = agent_for(state)
    assert isinstance(agent, agent_cls)
    # the session the worker builds greets that contact (and no one else) by name
    session = build_session(state, Settings(database_url=world.store.settings.database_url, brain="local"))
    async with session:
        await session.start(agent)
        await asyncio.wait_for(agent.ready.wait(), 5)
        hello = " ".join(i.text_content or "" for i in session.history.items if i.type == "message")
    assert hello.startswith("Hi Mary, this is the automated assistant for Hero Plumbing")
    assert session.vad is None and session.stt is None and session.tts is None  # no speech configured


async def test_receptionist_metadata_knows_the_caller_or_makes_a_lead(world, people) -> None:  # type: ignore[no-untyped-def]
    known = await state_from_metadata(world.store, DispatchMetadata.parse(
        {"business_id": world.business_id, "kind": "receptionist", "caller_phone": "512-555-0100",
         "session_id": "in-1"}))
    assert known.actor.contact_id == people.johnson.id and known.actor.role == Role.CALL_AGENT
    assert known.handoff["caller_known"] is True and known.kind == AgentKind.RECEPTIONIST
    assert known.purpose == Purpose.INBOUND and known.session_id == "in-1"
    assert isinstance(agent_for(known), ReceptionistAgent)
    stranger = await state_from_metadata(world.store, DispatchMetadata.parse(
        {"business_id": world.business_id, "kind": "receptionist", "caller_phone": "+1 737 555 0199"}))
    assert stranger.handoff["caller_known"] is False
    async with world.store.uow(world.business_id) as uow:
        lead = await uow.contacts.get(stranger.actor.contact_id)
    assert lead is not None and lead.name == "Caller +17375550199"
    withheld = await state_from_metadata(world.store, DispatchMetadata.parse(
        {"business_id": world.business_id, "kind": "receptionist"}))  # no number: answered as a new lead
    assert withheld.handoff["caller_known"] is False and withheld.actor.contact_id not in (None, lead.id)


async def test_metadata_naming_what_is_not_there_starts_nothing(world, people) -> None:  # type: ignore[no-untyped-def]
    other, other_owner = await businesses.create_business(world.store, "Other Co", owner_name="Ann Other",
                                                           owner_email="ann@other.test")
    async with world.store.uow(other.id) as uow:
        from hero365.erp.services import contacts

        theirs = await contacts.create_contact(uow, await businesses.actor_for(world.store, other_owner.id, other.id),
                                               "Zed Stranger", "512-555-0199")
    cases = [
        ({"business_id": 9999, "kind": "personal", "user_id": world.owner.user_id}, "no business 9999"),
        ({"business_id": world.business_id, "kind": "personal", "user_id": other_owner.id}, "not a member"),
        ({"business_id": world.business_id, "kind": "support", "contact_id": theirs.id,
          "purpose": "feedback"}, f"has no contact {theirs.id}"),
        ({"business_id": world.business_id, "kind": "sales", "contact_id": 424242,
          "purpose": "lead_qualification"}, "has no contact 424242"),
    ]
    for fields, reason in cases:
        with pytest.raises(NotFound) as refused:
            await state_from_metadata(world.store, DispatchMetadata.parse(fields))
        assert reason in refused.value.message


# --- the worker process: job requests, registration, the CLI ---------------------------------------------

def _job_request(agent_name: str, metadata: str,
                 outcome: list[tuple[str, Any]]) -> JobRequest:
    async def on_accept(args: Any) -> None:
        outcome.append(("accept", args))

    async def on_reject(terminate: bool) -> None:
        outcome.append(("reject", terminate))

    job = agent_pb.Job(id="AJ_1", agent_name=agent_name, metadata=metadata, room=models_pb.Room(name="r"))
    return JobRequest(job=job, on_accept=on_accept, on_reject=on_reject)


async def test_the_worker_accepts_only_valid_jobs_for_its_own_kind() -> None:
    good = DispatchMetadata.parse({"business_id": 3, "kind": "sales", "contact_id": 11,
                                   "purpose": "estimate_follow_up", "session_id": "s9"}).to_json()
    outcomes: list[tuple[str, Any]] = []
    await request_job(_job_request("hero365-sales", good, outcomes))
    await request_job(_job_request("hero365-support", good, outcomes))  # a sales job sent to support workers
    await request_job(_job_request("hero365-sales", '{"kind": "sales"}', outcomes))
    await request_job(_job_request("hero365-sales", "", outcomes))
    assert [o[0] for o in outcomes] == ["accept", "reject", "reject", "reject"]
    assert outcomes[0][1].identity == "hero365-sales-s9"


async def test_a_worker_registers_under_its_kind_and_judges_offered_jobs(livekit: FakeLiveKit,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from livekit.agents import AgentServer

    # the fake never assigns the accepted job (that needs a media server); don't wait LiveKit's 7.5 s for it
    monkeypatch.setattr("livekit.agents.worker.ASSIGNMENT_TIMEOUT", 0.2)

    good = DispatchMetadata.parse({"business_id": 3, "kind": "support", "contact_id": 11,
                                   "purpose": "feedback", "session_id": "s1"}).to_json()
    livekit.offer = [agent_pb.Job(id="AJ_good", agent_name="hero365-support", metadata=good,
                                  room=models_pb.Room(name="r1")),
                     agent_pb.Job(id="AJ_bad", agent_name="hero365-support", metadata='{"kind": "support"}',
                                  room=models_pb.Room(name="r2"))]
    options = dataclasses.replace(worker_options("support", lk_settings(livekit)), host="127.0.0.1", port=0,
                                  load_fnc=lambda: 0.0)
    server = AgentServer.from_server_options(options)
    task = asyncio.create_task(server.run(devmode=True))
    try:
        await _until(lambda: len(livekit.availability) >= 2, task)
    finally:
        await server.aclose()
        await asyncio.wait_for(task, 10)
    [registration] = livekit.registrations
    assert registration.agent_name == "hero365-support"
    answers = {a.job_id: a for a in livekit.availability}
    assert answers["AJ_good"].available and answers["AJ_good"].participant_identity == "hero365-support-s1"
    assert not answers["AJ_bad"].available


async def _until(condition: Callable[[], bool], task: Awaitable[Any], within: float = 15) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if isinstance(task, asyncio.Task) and task.done():
            task.result()
            raise AssertionError("the worker stopped early")
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        await asyncio.sleep(0.05)


def test_run_starts_livekit_in_start_mode_with_the_kinds_name(livekit: FakeLiveKit) -> None:
    seen: list[tuple[WorkerOptions, list[str]]] = []
    before = list(sys.argv)
    run("receptionist", log_level="debug", port=0, settings=lk_settings(livekit),
        run_app=lambda options: seen.append((options, list(sys.argv))))
    [(options, argv)] = seen
    assert options.agent_name == "hero365-receptionist" and options.ws_url == livekit.url and options.port == 0
    assert (options.api_key, options.api_secret) == (API_KEY, API_SECRET)
    assert argv[1:] == ["start", "--log-level", "DEBUG"] and sys.argv == before


def test_every_log_level_the_cli_offers_is_one_livekit_accepts(livekit: FakeLiveKit) -> None:
    from livekit.agents.cli._legacy import LogLevel

    for offered in ("DEBUG", "INFO", "WARNING", "ERROR", "warning"):
        seen: list[str] = []
        run("personal", log_level=offered, port=0, settings=lk_settings(livekit),
            run_app=lambda options, seen=seen: seen.append(sys.argv[-1]))
        assert LogLevel(seen[0])  # LiveKit's own enum: "WARNING" must arrive as "WARN"
    with pytest.raises(NotConfigured):
        worker_options("personal", lk_settings(livekit, livekit_url=None))


def test_hero365_worker_command_says_what_is_wrong() -> None:
    from typer.testing import CliRunner

    from hero365.cli import app

    runner = CliRunner()
    get_settings.cache_clear()  # the command reads settings from this environment, not an earlier one
    bad_kind = runner.invoke(app, ["worker", "--kind", "robot"])
    assert bad_kind.exit_code == 1 and "not an agent kind" in bad_kind.output
    unconfigured = runner.invoke(app, ["worker", "--kind", "sales"],
                                 env={"LIVEKIT_URL": "", "LIVEKIT_API_KEY": "", "LIVEKIT_API_SECRET": ""})
    get_settings.cache_clear()
    assert unconfigured.exit_code == 1 and "No LiveKit server is configured" in unconfigured.output


def test_an_inbound_job_takes_the_callers_number_from_the_sip_participant() -> None:
    rule = DispatchMetadata.parse({"business_id": 3, "kind": "receptionist"})  # a static SIP dispatch rule
    filled = with_caller_phone(rule, {"sip.phoneNumber": "+15125550100", "sip.trunkID": "ST_1"})
    assert filled.caller_phone == "+15125550100" and filled.session_id == rule.session_id
    named = DispatchMetadata.parse({"business_id": 3, "kind": "receptionist", "caller_phone": "512-555-0123"})
    assert with_caller_phone(named, {"sip.phoneNumber": "+15125550100"}) is named  # the dispatch's number wins
    assert with_caller_phone(rule, {}) is rule
    personal = DispatchMetadata.parse({"business_id": 3, "kind": "personal", "user_id": 7})
    assert with_caller_phone(personal, {"sip.phoneNumber": "+15125550100"}) is personal
    assert with_caller_phone(rule, {"sip.phoneNumber": "anonymous"}) is rule  # withheld: answered as unknown


@dataclass
class DuckJobContext:
    """The parts of JobContext the entrypoint touches before it needs a media server's room."""

    job: agent_pb.Job
    caller_attributes: dict[str, str]
    connected: bool = False
    shutdowns: list[str] = field(default_factory=list)

    async def connect(self) -> None:
        self.connected = True

    async def wait_for_participant(self) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(identity="sip_caller", attributes=self.caller_attributes)

    def shutdown(self, reason: str = "") -> None:
        self.shutdowns.append(reason)

    def add_shutdown_callback(self, callback: Any) -> None:
        raise AssertionError("no session should have been started")


@pytest.mark.parametrize(("fields", "attributes", "reason"), [
    ({"kind": "support", "contact_id": 424242, "purpose": "feedback"}, {}, "has no contact 424242"),
    ({"kind": "personal", "user_id": 424242}, {}, "not a member"),
], ids=["unknown-contact", "not-a-member"])
async def test_the_entrypoint_ends_a_job_it_cannot_serve_with_the_reason(world, monkeypatch, fields, attributes,  # type: ignore[no-untyped-def]
                                                                        reason) -> None:
    from hero365.voice.worker import entrypoint

    monkeypatch.setenv("DATABASE_URL", world.store.settings.database_url)
    get_settings.cache_clear()
    try:
        meta = {"business_id": world.business_id, **fields}
        ctx = DuckJobContext(job=agent_pb.Job(id="AJ_1", agent_name=f"hero365-{fields['kind']}",
                                              metadata=json.dumps(meta), room=models_pb.Room(name="r")),
                             caller_attributes=attributes)
        await entrypoint(ctx)  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()
    assert ctx.connected and len(ctx.shutdowns) == 1 and reason in ctx.shutdowns[0]


async def test_hero365_worker_registers_with_the_server_and_drains_on_sigterm(livekit: FakeLiveKit) -> None:
    """The real command in its own process: LiveKit's CLI, worker registration, a clean exit on SIGTERM."""
    import os
    import signal
    from pathlib import Path

    env = {**os.environ, "LIVEKIT_URL": livekit.url, "LIVEKIT_API_KEY": API_KEY, "LIVEKIT_API_SECRET": API_SECRET}
    command = Path(sys.executable).with_name("hero365")
    proc = await asyncio.create_subprocess_exec(str(command), "worker", "--kind", "support", "--port", "0",
                                                env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    try:
        await _until(lambda: bool(livekit.registrations), asyncio.ensure_future(proc.wait()), within=60)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert [r.agent_name for r in livekit.registrations] == ["hero365-support"]
    assert proc.returncode == 0, output.decode()[-2000:]
    assert b"registered worker" in output and livekit.rejected == []


async def test_a_withheld_number_is_answered_as_a_new_lead_without_a_phone(world) -> None:  # type: ignore[no-untyped-def]
    from hero365.voice.dispatch import DispatchMetadata
    from hero365.voice.worker import state_from_metadata, with_caller_phone

    meta = with_caller_phone(DispatchMetadata.parse({"business_id": world.business_id, "kind": "receptionist"}),
                             {"sip.phoneNumber": "anonymous"})
    assert meta.caller_phone is None
    state = await state_from_metadata(world.store, meta)
    async with world.store.uow(world.business_id) as uow:
        lead = await uow.contacts.get(state.actor.contact_id)
    assert lead.kind.value == "lead" and lead.phones == [] and "withheld" in lead.name
    assert state.handoff["caller_known"] is False
