"""start-session with a LiveKit server configured: a room per session and the personal agent dispatched into
it with the member and business in its metadata, against LiveKit's server API (Twirp) served on 127.0.0.1."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from livekit import api as lk
from livekit.protocol import agent_dispatch as dispatch_pb
from livekit.protocol import models as models_pb

API_KEY, API_SECRET = "APIgateway", "a-gateway-test-secret-long-enough-for-hs256"
START = "/api/v1/voice-agents/personal/start-session"


@pytest.fixture
async def twirp() -> AsyncIterator[dict[str, Any]]:
    seen: list[tuple[str, Any]] = []
    state = {"fail_dispatch": False}

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        lk.TokenVerifier(API_KEY, API_SECRET).verify(token)  # raises on a bad signature: the test fails loudly
        body = await request.read()
        if method == "CreateRoom":
            from livekit.protocol import room as room_pb

            msg = room_pb.CreateRoomRequest.FromString(body)
            seen.append((method, msg))
            reply: Any = models_pb.Room(sid="RM_" + uuid.uuid4().hex[:8], name=msg.name, creation_time=int(time.time()))
        elif method == "CreateDispatch":
            msg = dispatch_pb.CreateAgentDispatchRequest.FromString(body)
            seen.append((method, msg))
            if state["fail_dispatch"]:
                return web.Response(status=412, content_type="application/json",
                                    text=json.dumps({"code": "failed_precondition", "msg": "no worker"}))
            reply = dispatch_pb.AgentDispatch(id="AD_" + uuid.uuid4().hex[:8], agent_name=msg.agent_name,
                                              room=msg.room, metadata=msg.metadata)
        elif method == "DeleteRoom":
            from livekit.protocol import room as room_pb

            seen.append((method, room_pb.DeleteRoomRequest.FromString(body)))
            reply = room_pb.DeleteRoomResponse()
        else:
            return web.Response(status=404)
        return web.Response(body=reply.SerializeToString(), content_type="application/protobuf")

    app = web.Application()
    app.router.add_post("/twirp/livekit.{service}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield {"url": f"http://127.0.0.1:{port}", "seen": seen, "state": state}
    await runner.cleanup()


async def test_start_session_creates_a_room_and_dispatches_the_personal_agent(make_app, world, auth, twirp) -> None:
    app = make_app(livekit_url=twirp["url"], livekit_api_key=API_KEY, livekit_api_secret=API_SECRET)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post(START, json={"driving": True}, headers=auth(world.tech))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["mode"] == "livekit" and body["agent_id"] == "hero365-personal"
        assert body["url"] == twirp["url"].replace("http://", "ws://")
        assert body["room_name"] == f"hero365-b{world.business_id}-personal-{body['session_id']}"
        grant = lk.TokenVerifier(API_KEY, API_SECRET).verify(body["access_token"])
        assert grant.identity == f"user-{world.tech.user_id}" and grant.video.room == body["room_name"]
        (m1, room), (m2, dispatch) = twirp["seen"]
        assert (m1, m2) == ("CreateRoom", "CreateDispatch") and room.name == body["room_name"]
        meta = json.loads(dispatch.metadata)
        assert meta == {"business_id": world.business_id, "kind": "personal", "user_id": world.tech.user_id,
                        "session_id": body["session_id"], "channel": "web", "driving": True}

        twirp["state"]["fail_dispatch"] = True  # no worker: the room is deleted again and the client told
        r = await c.post(START, json={}, headers=auth(world.tech))
        assert r.status_code == 502 and r.json()["error"] == "livekit_unavailable"
        assert twirp["seen"][-1][0] == "DeleteRoom"
