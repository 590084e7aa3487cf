"""The gateway's outbound routes: a compliant call is queued (202), a refused one says why (422/409), campaigns
are created, started, paused, cancelled and counted; on real Redis the attempts land in the dialer queue."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from hero365.calls import dnc
from hero365.config import Settings
from hero365.gateway import create_app

BASE = "/api/v1/voice-agents/outbound"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def api(world, customers, request) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    redis = getattr(request, "param", None)
    settings = Settings(database_url=world.store.settings.database_url, redis_url=redis, jwt_secret="s" * 48,
                        dialer_queue_name=f"test:dialer:{uuid.uuid4().hex[:8]}",
                        rate_limit_user_per_minute=10_000, rate_limit_business_per_minute=10_000)
    app = create_app(settings, world.store, stt_factory=None)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        token = app.state.gateway.tokens.mint(world.office.user_id, world.business_id)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, settings


async def test_a_compliant_call_is_queued_and_a_refused_one_says_why(api, world, customers) -> None:
    client, _ = api
    r = await client.post(f"{BASE}/initiate-call", json={"contact_id": customers.with_job.id,
                                                         "purpose": "appointment_reminder",
                                                         "job_number": customers.job_number})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["state"] == "queued" and body["dispatch"].startswith("database")
    keyed = [(await client.post(f"{BASE}/initiate-call", headers={"Idempotency-Key": "k-1"},
                                json={"contact_id": customers.with_job.id, "purpose": "appointment_reminder"})
              ).json()["attempt_id"] for _ in range(2)]
    assert keyed[0] == keyed[1] != body["attempt_id"]  # a retried request is the same call, not a second one
    detail = (await client.get(f"{BASE}/calls/{body['attempt_id']}")).json()
    assert detail["to_number"] == "+15125550100" and detail["job_id"] is not None
    r = await client.post(f"{BASE}/initiate-call", json={"contact_id": customers.no_relation.id,
                                                         "purpose": "appointment_reminder"})
    assert r.status_code == 422 and r.json()["reason"] == "no_relationship"
    await dnc.add_to_business_list(world.store, world.business_id, "+12125550102", "office")
    r = await client.post(f"{BASE}/initiate-call", json={"contact_id": customers.new_yorker.id,
                                                         "purpose": "feedback"})
    assert r.status_code == 422 and r.json()["reason"] == "business_dnc"


async def test_out_of_hours_is_409_with_the_next_allowed_time(api, world, customers, clock, local) -> None:
    client, _ = api
    clock.at = local(23, 22, 0)
    r = await client.post(f"{BASE}/initiate-call", json={"contact_id": customers.with_job.id,
                                                         "purpose": "appointment_reminder"})
    assert r.status_code == 409 and r.json()["reason"] in ("outside_calling_hours", "outside_business_hours")
    assert datetime.fromisoformat(r.json()["next_allowed_at"]) == local(24, 8)


async def test_campaigns_are_created_started_paused_cancelled_and_counted(api, world, customers) -> None:
    client, _ = api
    r = await client.post(f"{BASE}/campaigns", json={"name": "Tomorrow's jobs", "purpose": "appointment_reminder",
                                                     "audience": "jobs_tomorrow", "calling_hours": [8, 21]})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["attempts"] == 0
    r = await client.post(f"{BASE}/campaigns/{cid}/start")
    assert r.status_code == 200 and r.json()["attempts"] == 2 and r.json()["by_state"] == {"queued": 2}
    again = await client.post(f"{BASE}/campaigns/{cid}/pause")
    assert again.json()["state"] == "paused"
    resumed = await client.post(f"{BASE}/campaigns/{cid}/start")
    assert resumed.json()["attempts"] == 2  # resuming adds nobody twice
    r = await client.post(f"{BASE}/campaigns/{cid}/cancel")
    assert r.json()["state"] == "cancelled" and r.json()["by_state"] == {"cancelled": 2}
    listed = (await client.get(f"{BASE}/campaigns")).json()["campaigns"]
    assert [c["id"] for c in listed] == [cid]
    assert (await client.get(f"{BASE}/campaigns/999")).status_code == 404
    bad = await client.post(f"{BASE}/campaigns", json={"name": "x", "purpose": "feedback"})
    assert bad.status_code == 422


@pytest.mark.parametrize("api", ["redis://127.0.0.1:6379/15"], indirect=True)
async def test_with_redis_the_call_lands_in_the_dialer_queue(api, world, customers, redis_test_url) -> None:
    client, settings = api
    r = await client.post(f"{BASE}/initiate-call", json={"contact_id": customers.with_job.id,
                                                         "purpose": "appointment_reminder"})
    assert r.status_code == 202 and r.json()["dispatch"] == "redis"
    from hero365.calls.queue import ArqQueue

    queue = ArqQueue(redis_test_url, settings.dialer_queue_name)
    try:
        assert await queue.queued_attempts() == {r.json()["attempt_id"]}
        pool = await queue._redis()
        await pool.delete(settings.dialer_queue_name,
                          *await pool.keys(f"arq:*attempt:*@{settings.dialer_queue_name}"))
    finally:
        await queue.aclose()


async def test_another_business_sees_none_of_it(api, world, customers) -> None:
    from hero365.erp.services import businesses

    client, _ = api
    r = await client.post(f"{BASE}/campaigns", json={"name": "Mine", "purpose": "feedback",
                                                     "contact_ids": [customers.with_job.id]})
    cid = r.json()["id"]
    call = await client.post(f"{BASE}/initiate-call", json={"contact_id": customers.with_job.id,
                                                            "purpose": "appointment_reminder"})
    biz, owner = await businesses.create_business(world.store, "Other Co", "America/Chicago", owner_name="Otto",
                                                  owner_email="otto@other.test")
    app = client._transport.app  # type: ignore[attr-defined]
    other = {"Authorization": f"Bearer {app.state.gateway.tokens.mint(owner.id, biz.id)}"}
    assert (await client.get(f"{BASE}/campaigns/{cid}", headers=other)).status_code == 404
    assert (await client.post(f"{BASE}/campaigns/{cid}/start", headers=other)).status_code == 404
    assert (await client.get(f"{BASE}/calls/{call.json()['attempt_id']}", headers=other)).status_code == 404
    assert (await client.get(f"{BASE}/campaigns", headers=other)).json() == {"campaigns": []}
    r = await client.post(f"{BASE}/initiate-call", headers=other, json={"contact_id": customers.with_job.id,
                                                                        "purpose": "appointment_reminder"})
    assert r.status_code == 404
