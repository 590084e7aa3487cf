"""send-command through the real local brain and the real store: proposals wait for a yes in a later call of
the same session, tool calls and pending confirmations are reported, the transcript comes from the store."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hero365.erp.store import tables as t

SEND = "/api/v1/voice-agents/personal/send-command"


async def _jobs(world: Any) -> list[Any]:
    async with world.store.engine.connect() as conn:
        return list((await conn.execute(sa.select(t.jobs).where(t.jobs.c.business_id == world.business_id))).all())


async def test_create_job_is_proposed_then_confirmed_by_yes_in_a_second_call(client, world, customers, auth) -> None:
    h = auth(world.owner)
    text = "create a job for maria garcia to replace the water heater friday at 10"
    r1 = await client.post(SEND, json={"text": text}, headers=h)
    assert r1.status_code == 200, r1.text
    one = r1.json()
    assert [c["name"] for c in one["tool_calls"]] == ["create_job"]
    assert one["tool_calls"][0]["proposed"] is True
    assert one["pending"]["action"] == "create_job" and "Maria Garcia" in one["pending"]["summary"]
    assert "Shall I go ahead" in one["reply"]
    assert await _jobs(world) == []  # nothing written before the yes

    r2 = await client.post(SEND, json={"text": "yes", "session_id": one["session_id"]}, headers=h)
    assert r2.status_code == 200, r2.text
    two = r2.json()
    assert two["session_id"] == one["session_id"] and two["pending"] is None
    assert [c["name"] for c in two["tool_calls"]] == ["confirm_action"]
    assert "Job 1 is booked for Maria Garcia" in two["reply"]
    rows = await _jobs(world)
    assert len(rows) == 1 and rows[0].contact_id == customers["Maria Garcia"]
    assert rows[0].scheduled_start.isoformat().startswith("2026-11-27T16:00")

    tr = await client.get(f"/api/v1/voice-agents/sessions/{one['session_id']}/transcript", headers=h)
    assert tr.status_code == 200
    kinds = [(e["kind"], e["tool"]) for e in tr.json()["events"]]
    assert ("tool", "create_job") in kinds and ("tool", "confirm_action") in kinds
    assert any(e["kind"] == "user" and e["text"] == "yes" for e in tr.json()["events"])


async def test_a_no_drops_the_proposal_and_writes_nothing(client, world, customers, auth) -> None:
    h = auth(world.owner)
    one = (await client.post(SEND, json={"text": "create a job for bob johnson to fix a leak tomorrow at 9"},
                             headers=h)).json()
    assert one["pending"]["action"] == "create_job"
    two = (await client.post(SEND, json={"text": "no", "session_id": one["session_id"]}, headers=h)).json()
    assert two["pending"] is None
    assert await _jobs(world) == []


async def test_a_new_session_does_not_inherit_the_pending_change(client, world, customers, auth) -> None:
    h = auth(world.owner)
    one = (await client.post(SEND, json={"text": "create a job for maria garcia friday at 10 to replace the water "
                                                  "heater"}, headers=h)).json()
    assert one["pending"]
    fresh = (await client.post(SEND, json={"text": "yes"}, headers=h)).json()
    assert fresh["session_id"] != one["session_id"]
    assert await _jobs(world) == []


async def test_sessions_are_listed_ended_and_then_gone(client, world, customers, auth) -> None:
    h = auth(world.owner)
    sid = (await client.post(SEND, json={"text": "what's on my schedule today"}, headers=h)).json()["session_id"]
    listed = (await client.get("/api/v1/voice-agents/sessions", headers=h)).json()
    assert [s["session_id"] for s in listed["sessions"]] == [sid] and listed["sessions"][0]["live"] is True
    detail = (await client.get(f"/api/v1/voice-agents/sessions/{sid}", headers=h)).json()
    assert detail["turns"] >= 1 and detail["agent"] == "personal"
    ended = await client.post(f"/api/v1/voice-agents/sessions/{sid}/end", headers=h)
    assert ended.status_code == 200 and ended.json()["ended_at"] and ended.json()["live"] is False
    again = await client.post(SEND, json={"text": "yes", "session_id": sid}, headers=h)
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    assert (await client.post(f"/api/v1/voice-agents/sessions/{sid}/end", headers=h)).status_code == 409


async def test_a_technician_sees_only_their_own_sessions(client, world, customers, auth) -> None:
    mine = (await client.post(SEND, json={"text": "what's on my schedule today"}, headers=auth(world.tech))).json()
    boss = (await client.post(SEND, json={"text": "what's on my schedule today"}, headers=auth(world.owner))).json()
    seen = (await client.get("/api/v1/voice-agents/sessions", headers=auth(world.tech))).json()
    assert [s["session_id"] for s in seen["sessions"]] == [mine["session_id"]]
    assert (await client.get(f"/api/v1/voice-agents/sessions/{boss['session_id']}",
                             headers=auth(world.tech))).status_code == 404
    # the owner sees both, and may read the technician's transcript
    assert (await client.get("/api/v1/voice-agents/sessions", headers=auth(world.owner))).json()["total"] == 2
    assert (await client.get(f"/api/v1/voice-agents/sessions/{mine['session_id']}/transcript",
                             headers=auth(world.owner))).status_code == 200
    # but a session id belongs to its user: the owner can't talk in the technician's session
    r = await client.post(SEND, json={"text": "yes", "session_id": mine["session_id"]}, headers=auth(world.owner))
    assert r.status_code == 404


async def test_start_session_without_livekit_gives_the_websocket_channel(client, world, auth) -> None:
    r = await client.post("/api/v1/voice-agents/personal/start-session", json={}, headers=auth(world.tech))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "websocket" and body["sample_rate"] == 16000
    assert body["ws_url"] == f"ws://testserver/api/v1/voice-agents/personal/ws?session_id={body['session_id']}"
    assert body["speech_input"] is False  # this app was made without a recogniser, and says so
