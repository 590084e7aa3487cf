"""schemathesis against the gateway's own OpenAPI schema, over HTTP to a real server: whatever it generates
(bodies, paths, query strings, headers), the answer is never a server error and never a stack trace; every
refusal is `{"error", "message"}`. The only 5xx allowed is the documented 501 of the routes whose work belongs
to later issues."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from hero365.config import Settings
from hero365.gateway import create_app

CALLS: list[tuple[str, int]] = []
SECRET = "schema-secret-" + "z" * 40


def _settings(url: str) -> Settings:
    return Settings(database_url=url, redis_url=None, jwt_secret=SECRET, rate_limit_user_per_minute=1_000_000,
                    rate_limit_business_per_minute=1_000_000)


schema = schemathesis.openapi.from_dict(create_app(_settings("sqlite+aiosqlite://"), stt_factory=None).openapi())


async def _seed(url: str) -> dict[str, Any]:
    from hero365.erp.services import businesses, contacts
    from hero365.erp.store.db import Store
    from hero365.gateway import tables as _audit  # noqa: F401
    from hero365.insights.tables import map_insights

    map_insights()
    store = Store(_settings(url))
    await store.create_all()
    biz, owner_user = await businesses.create_business(store, "Schema Plumbing", owner_name="Sam Schema",
                                                       owner_email="sam@schema.test")
    owner = await businesses.actor_for(store, owner_user.id, biz.id)  # type: ignore[arg-type]
    async with store.uow(biz.id) as uow:  # type: ignore[arg-type]
        await contacts.create_contact(uow, owner, "Maria Garcia", "512-555-0102")
    await store.close()
    return {"user_id": owner_user.id, "business_id": biz.id}


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The gateway on 127.0.0.1 in its own thread and event loop, on a seeded SQLite file."""
    import uvicorn

    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('schema')) / 'schema.db'}"
    ids = asyncio.run(_seed(url))
    app = create_app(_settings(url), stt_factory=None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    token = app.state.gateway.tokens.mint(ids["user_id"], ids["business_id"])
    yield {"base_url": f"http://127.0.0.1:{port}", "headers": {"Authorization": f"Bearer {token}"}}
    server.should_exit = True
    thread.join(10)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_gateway_fail(case: Any, live_api: dict[str, Any]) -> None:
    # a real member's token, so generated input reaches validation and the agent (bad tokens: test_auth.py)
    headers = {**(case.headers or {}), **live_api["headers"]}
    response = case.call(base_url=live_api["base_url"], headers=headers, timeout=30)
    CALLS.append((case.method, response.status_code))
    body = response.text
    assert "Traceback" not in body and 'File "' not in body
    if response.status_code >= 500:
        assert response.status_code == 501, (case.method, case.formatted_path, response.status_code, body)
        assert response.json()["error"] == "not_implemented"
    if response.status_code >= 400:
        data = response.json()
        assert set(data) >= {"error", "message", "request_id"} and data["message"], body


def test_schemathesis_really_called_every_operation() -> None:
    """Runs after the generated tests (same module): they made many calls, of many outcomes."""
    from collections import Counter

    if not CALLS:
        pytest.skip("run together with the generated tests")
    statuses = Counter(code for _, code in CALLS)
    print(f"\nschemathesis: {len(CALLS)} calls, statuses {dict(sorted(statuses.items()))}")
    assert len(CALLS) >= 100 and len(statuses) >= 4, statuses
