"""`hero365 report` and `hero365 keys` as an owner runs them: real processes on the test database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.store.db import Store
from hero365.insights.crypto import attach, key_file
from hero365.insights.model import Conversation, ConversationEvent

pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


async def hero365(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONVERSATION_KEYS")}
    return await asyncio.to_thread(subprocess.run, [str(Path(sys.executable).parent / "hero365"), *args],
                                   capture_output=True, text=True, timeout=120, env={**clean, "COLUMNS": "160", **env})


async def test_report_prints_the_week_as_json_and_as_tables(world, seeded) -> None:
    env = {"DATABASE_URL": world.store.settings.database_url,
           "CONVERSATION_KEYS_FILE": str(key_file(world.store.settings))}
    out = await hero365("report", "--start", "2026-11-23", "--end", "2026-11-29", "--json",
                        "--business", str(seeded.business_id), **env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["window"] == {"period": "week", "start": "2026-11-23", "end": "2026-11-29",
                                "timezone": "America/Chicago"}
    overall = report["agents"][-1]
    assert (overall["agent"], overall["conversations"], overall["resolved"]) == ("all", 7, 5)
    assert [u["text"] for u in report["failed_utterances"]][1] == "my card is [card], call me on [phone]"

    tables = await hero365("report", "--start", "2026-11-23", "--end", "2026-11-29", "--agent", "support",
                           "--business", str(seeded.business_id), **env)
    assert tables.returncode == 0, tables.stderr
    assert "support" in tables.stdout and "get_invoice_status" in tables.stdout and "[card]" in tables.stdout, \
        tables.stdout
    assert "4111" not in tables.stdout

    bad = await hero365("report", "--period", "year", **env)
    assert bad.returncode != 0 and "Unknown period 'year'" in bad.stderr and "Traceback" not in bad.stderr


async def _write(url: str, keys: Path, business_id: int, text: str) -> None:
    store = Store(Settings(database_url=url, redis_url=None, conversation_keys_file=keys), cache=MemoryCache())
    attach(store)
    try:
        async with store.uow(business_id) as uow:
            conv = Conversation(business_id=business_id, session_id="cli-keys", agent="personal", channel="text",
                                started_at=store.clock(), turns=1, tool_calls=0, tool_errors=0)
            uow.session.add(conv)
            await uow.flush()
            uow.session.add(ConversationEvent(business_id=business_id, conversation_id=conv.id, seq=1,
                                              at=store.clock(), kind="user", text=text))
    finally:
        await store.close()


async def test_keys_rotate_list_and_retire(world, tmp_path: Path) -> None:
    keys = tmp_path / "conversation_keys"
    url = world.store.settings.database_url
    await _write(url, keys, world.business_id, "call me on 512-555-0100")
    env: dict[str, Any] = {"DATABASE_URL": url, "CONVERSATION_KEYS_FILE": str(keys)}
    (old,) = [k for k in keys.read_text().splitlines() if k and not k.startswith("#")]

    rotated = await hero365("keys", "rotate", "--batch", "1", **env)
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 1 value(s) in 1 row(s)" in " ".join(rotated.stdout.split())
    new = [k for k in keys.read_text().splitlines() if k and not k.startswith("#")]
    assert len(new) == 2 and new[1] == old
    listed = await hero365("keys", "list", **env)
    assert "encrypts and decrypts" in listed.stdout and "decrypts only" in listed.stdout
    assert old not in listed.stdout and new[0] not in listed.stdout  # fingerprints only

    retired = await hero365("keys", "retire", **env)
    assert retired.returncode == 0, retired.stderr
    assert [k for k in keys.read_text().splitlines() if k and not k.startswith("#")] == [new[0]]
    async with world.store.engine.connect() as conn:
        token = (await conn.execute(sa.text("SELECT text FROM conversation_events"))).scalar_one()
    assert Fernet(new[0].encode()).decrypt(token.encode()) == b"call me on 512-555-0100"

    refused = await hero365("keys", "rotate", **{**env, "CONVERSATION_KEYS": new[0]})
    assert refused.returncode == 1 and "CONVERSATION_KEYS is set" in " ".join(refused.stderr.split())
