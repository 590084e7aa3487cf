"""The analytics API over the seeded week: owner and office only, each business its own figures, bad query
parameters refused with a reason (422), and the transcript API decrypting what the store holds encrypted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hero365.config import Settings
from hero365.erp.services import businesses
from hero365.gateway import create_app

SECRET = "insights-secret-" + "y" * 40
API = "/api/v1/voice-agents"


@pytest.fixture
async def client(world: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=world.store.settings.database_url, redis_url=None, jwt_secret=SECRET,
                        rate_limit_user_per_minute=10_000, rate_limit_business_per_minute=10_000)
    app = create_app(settings, world.store, stt_factory=None)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


def bearer(client: httpx.AsyncClient, actor: Any) -> dict[str, str]:
    token = client.app.state.gateway.tokens.mint(actor.user_id, actor.business_id)  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token}"}


async def test_the_owner_sees_the_week(client, world, seeded) -> None:
    r = await client.get(f"{API}/analytics/summary", headers=bearer(client, world.owner))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["window"] == {"period": "week", "start": "2026-11-23", "end": "2026-11-29",
                              "timezone": "America/Chicago"}
    f = body["figures"]
    assert (f["agent"], f["conversations"], f["resolved"], f["tool_error_rate"]) == ("all", 7, 5, 0.125)
    assert f["conversions"] == {"booking": 2, "reschedule": 1, "payment_promise": 1}
    assert f["top_intents"][0] == {"intent": "confirm", "count": 2}
    assert [u["text"] for u in body["failed_utterances"]] == ["email the bill to [email]",
                                                              "my card is [card], call me on [phone]"]
    assert "4111" not in r.text and "555-0100" not in r.text and "johnson.test" not in r.text

    r = await client.get(f"{API}/analytics/summary", params={"agent": "support", "period": "day",
                                                             "start": "2026-11-24"},
                         headers=bearer(client, world.office))
    assert r.status_code == 200 and r.json()["figures"]["conversations"] == 1  # C3, on Tuesday
    assert r.json()["window"]["start"] == r.json()["window"]["end"] == "2026-11-24"


async def test_per_agent_calls_and_series(client, world, seeded) -> None:
    h = bearer(client, world.owner)
    agents = (await client.get(f"{API}/analytics/agents", headers=h)).json()
    assert [a["agent"] for a in agents["agents"]] == ["personal", "receptionist", "sales", "support"]
    assert [a["conversations"] for a in agents["agents"]] == [2, 1, 1, 3] and agents["all"]["conversations"] == 7
    calls = (await client.get(f"{API}/analytics/calls", headers=h)).json()
    phone = {f["agent"]: f["conversations"] for f in calls["phone"]}
    assert phone == {"receptionist": 1, "sales": 1, "support": 3, "all": 5}
    assert calls["funnel_source"] in ("call_attempts", "conversations") and calls["note"]
    series = (await client.get(f"{API}/analytics/series", params={"bucket": "day"}, headers=h)).json()
    assert [p["conversations"] for p in series["points"]] == [2, 1, 2, 1, 1, 0, 0]
    assert series["points"][0]["latency_ms"]["response_ms"]["p95"] == 500.0


async def test_each_business_sees_its_own(client, world, seeded) -> None:
    other = await businesses.actor_for(world.store, (await _owner_of(world, seeded.other_business_id)),
                                       seeded.other_business_id)
    body = (await client.get(f"{API}/analytics/summary", headers=bearer(client, other))).json()
    assert body["figures"]["conversations"] == 1 and body["figures"]["tool_errors"] == 5  # C8 only
    assert [u["text"] for u in body["failed_utterances"]] == ["other business"]


async def _owner_of(world: Any, business_id: int) -> int:
    from hero365.erp.domain.tenancy import Role

    async with world.store.uow(business_id) as uow:
        return next(m.user_id for m in await uow.members.all() if m.role == Role.OWNER)


async def test_only_owner_and_office_and_only_with_a_token(client, world, seeded) -> None:
    for path in ("summary", "agents", "calls", "series"):
        r = await client.get(f"{API}/analytics/{path}", headers=bearer(client, world.tech))
        assert r.status_code == 403 and r.json()["error"] == "permission_denied", r.text
        r = await client.get(f"{API}/analytics/{path}")
        assert r.status_code == 401


@pytest.mark.parametrize(("params", "words"), [
    ({"period": "year"}, "period"),
    ({"start": "2026-11-26", "end": "2026-11-20"}, "before the start"),
    ({"start": "2020-01-01", "end": "2026-11-20"}, "longer than"),
    ({"start": "yesterday"}, "start"),
    ({"agent": "robot"}, "agent"),
    ({"bucket": "hour"}, "bucket"),
])
async def test_bad_parameters_are_422_with_a_reason(client, world, params, words) -> None:
    r = await client.get(f"{API}/analytics/series", params=params, headers=bearer(client, world.owner))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] and words in r.text and "Traceback" not in r.text


async def test_too_many_buckets_is_422(client, world) -> None:
    r = await client.get(f"{API}/analytics/series", params={"start": "2024-01-01", "end": "2026-11-20",
                                                            "bucket": "day"}, headers=bearer(client, world.owner))
    assert r.status_code == 422 and "buckets" in r.json()["message"]


async def test_the_transcript_is_decrypted_with_turns_and_recording(client, world, seeded) -> None:
    h = bearer(client, world.owner)
    sid = seeded.sessions["C3"]
    r = await client.get(f"{API}/sessions/{sid}/transcript", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["events"][0]["text"].startswith("my card is 4111")  # the owner reads the real words
    assert body["recording_ref"] == f"file:///recordings/{sid}.wav"
    assert [(t["intent"], t["failed"], t["v2v_ms"]) for t in body["turns"]] == [
        ("out_of_scope", True, 1500.0), ("get_invoice_status", True, 2500.0)]
    listed = (await client.get(f"{API}/sessions", params={"limit": 200}, headers=h)).json()
    c3 = next(s for s in listed["sessions"] if s["session_id"] == sid)
    assert (c3["duration_s"], c3["resolved"], c3["purpose"]) == (90.0, False, "payment_reminder")


async def test_the_dashboard_page_is_served(client) -> None:
    r = await client.get("/dashboard")
    assert r.status_code == 200 and "dashboard.js" in r.text
    js = await client.get("/static/dashboard.js")
    assert js.status_code == 200 and "innerHTML" not in js.text  # data is only ever set as text
