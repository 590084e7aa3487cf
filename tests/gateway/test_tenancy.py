"""Business A's token never sees or changes business B's data, tried on every route of the app.

The route table below must name every API route (a new route without a tenancy case fails the first test).
Each route is tried twice with A's owner's token: asking for B by header (403 everywhere), and naming B's own
records (session ids, contact ids) in the path or body (404, or no B data in a list). B's rows are then
compared with a snapshot taken before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from hero365.erp.store.tables import metadata

SEND = "/api/v1/voice-agents/personal/send-command"

#: (method, path template) -> how to aim the request at business B's records, and what A may see.
#: {bsid}: a live text session of B; {bcontact}: a contact of B.
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/voice-agents/personal/start-session"): {"path": None, "body": {}, "expect": {200}},
    ("POST", SEND): {"body": {"text": "yes", "session_id": "{bsid}"}, "expect": {404}},
    ("GET", "/api/v1/voice-agents/sessions"): {"expect": {200}, "list": True},
    ("GET", "/api/v1/voice-agents/sessions/{session_id}"): {"path": "/api/v1/voice-agents/sessions/{bsid}",
                                                           "expect": {404}},
    ("POST", "/api/v1/voice-agents/sessions/{session_id}/end"): {
        "path": "/api/v1/voice-agents/sessions/{bsid}/end", "expect": {404}},
    ("GET", "/api/v1/voice-agents/sessions/{session_id}/transcript"): {
        "path": "/api/v1/voice-agents/sessions/{bsid}/transcript", "expect": {404}},
    ("GET", "/api/v1/voice-agents/sessions/{session_id}/recording"): {
        "path": "/api/v1/voice-agents/sessions/{bsid}/recording", "expect": {404},
        "own": (404, "has no recording")},  # B's text session is found (no recording), unlike A's "no session"
    ("POST", "/api/v1/voice-agents/outbound/initiate-call"): {
        "body": {"contact_id": "{bcontact}", "purpose": "appointment_reminder"}, "expect": {404}},
    ("GET", "/api/v1/voice-agents/outbound/campaigns"): {"expect": {200}},
    ("POST", "/api/v1/voice-agents/outbound/campaigns"): {
        "body": {"name": "B's customers", "purpose": "feedback", "contact_ids": ["{bcontact}"]}, "expect": {404}},
    ("GET", "/api/v1/voice-agents/outbound/campaigns/{campaign_id}"): {
        "path": "/api/v1/voice-agents/outbound/campaigns/{bcampaign}", "expect": {404}},
    ("POST", "/api/v1/voice-agents/outbound/campaigns/{campaign_id}/{action}"): {
        "path": "/api/v1/voice-agents/outbound/campaigns/{bcampaign}/cancel", "expect": {404}},
    ("GET", "/api/v1/voice-agents/outbound/calls/{attempt_id}"): {
        "path": "/api/v1/voice-agents/outbound/calls/{battempt}", "expect": {404}},
    ("GET", "/api/v1/voice-agents/analytics/summary"): {"expect": {200}},
    ("GET", "/api/v1/voice-agents/analytics/agents"): {"expect": {200}},
    ("GET", "/api/v1/voice-agents/analytics/calls"): {"expect": {200}},
    ("GET", "/api/v1/voice-agents/analytics/series"): {"expect": {200}},
}
PUBLIC = {"/healthz", "/readyz", "/", "/voice", "/dashboard"}
#: Called by Twilio, not by a member: authenticated by X-Twilio-Signature (tests/calls/telephony test it).
WEBHOOKS = {"/api/v1/telephony/twilio/voice", "/api/v1/telephony/twilio/status"}
SOCKET = "/api/v1/voice-agents/personal/ws"


def _api_routes(app: Any) -> set[tuple[str, str]]:
    """Every operation the app publishes (its OpenAPI schema is the route table clients see)."""
    return {(method.upper(), path) for path, ops in app.openapi()["paths"].items()
            if path not in PUBLIC | WEBHOOKS
            for method in ops}


def test_every_api_route_has_a_tenancy_case(app) -> None:
    assert _api_routes(app) == set(ROUTES)


async def _snapshot(store: Any, business_id: int) -> dict[str, list[Any]]:
    """Every row of every business-owned table for B, straight from the database."""
    out = {}
    async with store.engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            if "business_id" in table.c and name != "audit_log":  # the audit log only grows, by design
                rows = (await conn.execute(sa.select(table).where(table.c.business_id == business_id))).all()
                out[name] = sorted(repr(tuple(r)) for r in rows)
    return out


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    text = json.dumps(value)
    for k, v in ids.items():
        text = text.replace(f'"{{{k}}}"', json.dumps(v)).replace(f"{{{k}}}", str(v))
    return json.loads(text)


@pytest.fixture
async def b_session(client, other, auth) -> str:
    r = await client.post(SEND, json={"text": "what's on my schedule today"}, headers=auth(other.owner))
    assert r.status_code == 200
    live = client._transport.app.state.gateway.sessions.peek(r.json()["session_id"])
    if live.recorder._flushing is not None:  # the turn's record is written after the reply: let it land first
        await live.recorder._flushing
    return str(r.json()["session_id"])


@pytest.fixture
async def b_calls(client, other, auth) -> dict[str, int]:
    """B's own campaign, and a call attempt of B's (queued straight into the table: no dialer runs here)."""
    from hero365.calls import tables as calls_tables

    r = await client.post("/api/v1/voice-agents/outbound/campaigns", headers=auth(other.owner),
                          json={"name": "B's reminders", "purpose": "feedback", "contact_ids": [other.contact_id]})
    assert r.status_code == 201, r.text
    store = client._transport.app.state.gateway.store
    async with store.engine.begin() as conn:
        attempt = (await conn.execute(sa.insert(calls_tables.call_attempts).values(
            business_id=other.business_id, contact_id=other.contact_id, to_number="+15125550999",
            purpose="feedback", agent="support", state="queued", attempt_no=1, idempotency_key="tenancy-b-1",
            created_at=store.clock(), scheduled_for=store.clock()).returning(calls_tables.call_attempts.c.id))
                   ).scalar_one()
    return {"bcampaign": r.json()["id"], "battempt": attempt}


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_business_a_never_reaches_business_b(client, world, other, b_session, b_calls, auth, route) -> None:
    case = ROUTES[route]
    ids = {"bsid": b_session, "bcontact": other.contact_id, **b_calls}
    method, template = route
    path = _fill(case.get("path") or template, ids)
    body = _fill(case.get("body"), ids)
    before = await _snapshot(world.store, other.business_id)
    a = auth(world.owner)

    # 1. asking for business B outright
    r = await client.request(method, path, json=body, headers={**a, "X-Business-Id": str(other.business_id)})
    assert r.status_code == 403, (route, r.text)
    assert r.json()["error"] == "wrong_business"

    # 2. naming B's records with A's own business
    r = await client.request(method, path, json=body, headers=a)
    assert r.status_code in case["expect"], (route, r.status_code, r.text)
    text = r.text
    assert b_session not in text
    assert "Zed Zebra" not in text and "Other Plumbing" not in text
    if case.get("list"):
        assert all(s["session_id"] != b_session for s in r.json()["sessions"])

    after = await _snapshot(world.store, other.business_id)
    assert after == before, f"{route} changed business B's rows"
    assert app_live(client, b_session), "B's live session was ended from business A"

    # 3. with B's own token the same records are there (the 404s above were tenancy, not absence)
    if "{session_id}" in template and method == "GET":
        own = await client.get(path, headers=auth(other.owner))
        status, said = case.get("own", (200, ""))
        assert own.status_code == status and (not said or (said in own.text and said not in r.text)), own.text


def app_live(client: Any, session_id: str) -> bool:
    live = client._transport.app.state.gateway.sessions.peek(session_id)
    return live is not None and not live.closed


async def test_the_voice_socket_refuses_b_s_session_to_a(server, world, other, auth, client) -> None:
    import websockets

    r = await client.post("/api/v1/voice-agents/personal/start-session", json={}, headers=auth(other.owner))
    b_voice = r.json()["session_id"]
    a_token = auth(world.owner)["Authorization"].split()[1]
    async with websockets.connect(f"ws://{server}{SOCKET}?session_id={b_voice}&token={a_token}") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4404
    assert app_live(client, b_voice)
