"""Input hygiene and the live-session registry: body limits, clear validation errors, no stack traces,
security headers, CORS, probes; idle expiry and the session cap."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hero365.gateway.sessions import LiveSession, SessionFull, SessionRegistry

SEND = "/api/v1/voice-agents/personal/send-command"


async def test_a_body_over_the_limit_is_413_before_it_is_read(client, world, auth) -> None:
    big = {"text": "x" * 70_000}
    r = await client.post(SEND, json=big, headers=auth(world.owner))
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"

    async def chunks():  # no content-length: counted as it streams
        for _ in range(20):
            yield b"x" * 8192

    r = await client.post(SEND, content=chunks(), headers={**auth(world.owner), "Content-Type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(("body", "where"), [
    ({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"),
    ({"text": "hi", "session_id": "../etc"}, "session_id"),
    ({"text": "hi", "extra": 1}, "extra"), ({"text": 5}, "text"),
])
async def test_bad_bodies_get_a_422_that_says_what_is_wrong(client, world, auth, body, where) -> None:
    r = await client.post(SEND, json=body, headers=auth(world.owner))
    assert r.status_code == 422, r.text
    data = r.json()
    assert data["error"] == "invalid_request" and where in data["message"]
    assert data["message"].startswith("The request is not valid:")


async def test_malformed_json_is_a_422_not_a_crash(client, world, auth) -> None:
    r = await client.post(SEND, content=b"{not json", headers={**auth(world.owner), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


async def test_a_crash_is_an_internal_error_with_a_request_id_and_no_trace(client, world, auth, monkeypatch,
                                                                          caplog) -> None:
    from hero365.gateway.api.routes import personal

    async def boom(*_: Any) -> None:
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(personal, "run_text_turn", boom)
    r = await client.post(SEND, json={"text": "hello"}, headers=auth(world.owner))
    assert r.status_code == 500
    assert r.json() == {"error": "internal_error", "message": "internal error", "request_id": r.headers["x-request-id"]}
    assert "secret detail" not in r.text and "Traceback" not in r.text
    assert "secret detail from deep inside" in caplog.text  # logged for the operator, with the request id
    assert r.headers["x-request-id"] in caplog.text


async def test_security_headers_on_the_api_and_the_page(client) -> None:
    for path in ("/healthz", "/voice", "/api/v1/voice-agents/sessions"):
        r = await client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer"
    page = await client.get("/voice")
    assert page.status_code == 200 and "Hold to talk" in page.text and "<script src=\"/static/app.js\"" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert (await client.get("/static/app.js")).status_code == 200


async def test_cors_allows_only_the_configured_origins(make_app) -> None:
    app = make_app(cors_origins="https://app.hero365.test")
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        pre = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        ok = await c.options(SEND, headers={**pre, "Origin": "https://app.hero365.test"})
        assert ok.headers["access-control-allow-origin"] == "https://app.hero365.test"
        bad = await c.options(SEND, headers={**pre, "Origin": "https://evil.test"})
        assert "access-control-allow-origin" not in bad.headers


async def test_probes(client) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "cache": True}


# --- the registry ---------------------------------------------------------------------------------------------

def _live(actor: Any, sid: str) -> LiveSession:
    return LiveSession(id=sid, user_id=actor.user_id, business_id=actor.business_id, kind="text", actor=actor)


async def test_idle_sessions_are_closed_and_busy_ones_kept(world) -> None:
    reg = SessionRegistry(max_sessions=10, idle_seconds=60)
    old, new, busy = _live(world.owner, "old"), _live(world.owner, "new"), _live(world.owner, "busy")
    for s in (old, new, busy):
        await reg.add(s)
    old.last_used -= 120
    busy.last_used -= 120
    async with busy.lock:  # in the middle of a turn
        assert await reg.sweep() == 1
    assert old.closed and reg.peek("old") is None and reg.peek("new") is new and reg.peek("busy") is busy


async def test_the_cap_evicts_the_least_recently_used_and_refuses_when_all_are_busy(world) -> None:
    reg = SessionRegistry(max_sessions=2, idle_seconds=60)
    a, b = _live(world.owner, "a"), _live(world.tech, "b")
    await reg.add(a)
    await reg.add(b)
    a.last_used -= 10
    await reg.add(_live(world.office, "c"))
    assert a.closed and reg.peek("a") is None and len(reg) == 2
    async with reg.peek("b").lock, reg.peek("c").lock:
        with pytest.raises(SessionFull):
            await reg.add(_live(world.owner, "d"))


async def test_a_session_belongs_to_its_user_and_business(world, other) -> None:
    from hero365.erp.domain.errors import NotFound

    reg = SessionRegistry(max_sessions=5, idle_seconds=60)
    await reg.add(_live(world.tech, "mine"))
    assert reg.get("mine", world.tech).id == "mine"
    for stranger in (world.tech2, world.owner, other.owner):
        with pytest.raises(NotFound):
            reg.get("mine", stranger)
