"""Conversation records are encrypted at rest: the database holds Fernet tokens only, a new process with the
same keys reads them back, a rotation re-encrypts every value under a new key (old and new both read until
the old one is retired), and a value no configured key opens reads as a marker, never a crash."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.store.db import Store
from hero365.insights import keys
from hero365.insights.crypto import UNREADABLE, Keyring, KeysError, attach, key_file
from hero365.insights.model import Conversation, ConversationEvent
from hero365.insights.recorder import record
from hero365.voice.agents import agent_for
from hero365.voice.session import text_session
from hero365.voice.state import SessionState

SAID = "my card is 4111 1111 1111 1111 and I'm at 12 Oak St"


def _store(url: str, clock: Any, **settings: Any) -> Store:
    """A store as a new process would open it: its own engine, its keys read from its settings."""
    return Store(Settings(database_url=url, redis_url=None, **settings), cache=MemoryCache(), clock=clock)


async def _raw(store: Store, sql: str) -> list[Any]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(sa.text(sql))).all())


async def _converse(store: Store, world: Any, *texts: str) -> str:
    state = SessionState(store=store, actor=world.owner)
    session = text_session(state)
    recorder = await record(session, state)
    async with session:
        agent = agent_for(state)
        await session.start(agent)
        for text in texts:
            await session.run(user_input=text)
    recorder.recording("file:///recordings/call-42.wav")
    await recorder.close()
    return recorder.session_id


async def _transcript(store: Store, business_id: int, session_id: str) -> tuple[list[str | None], str | None]:
    attach(store)
    async with store.uow(business_id) as uow:
        conv = (await uow.session.execute(sa.select(Conversation).where(
            Conversation.session_id == session_id))).scalar_one()  # type: ignore[arg-type]
        events = (await uow.session.execute(sa.select(ConversationEvent).where(
            ConversationEvent.conversation_id == conv.id).order_by(ConversationEvent.seq))).scalars().all()  # type: ignore[arg-type,attr-defined]
    return [e.text for e in events], conv.recording_ref


async def test_the_database_holds_tokens_and_a_new_process_reads_them_back(world, clock, tmp_path: Path) -> None:
    keyfile = tmp_path / "keys"
    first = _store(world.store.settings.database_url, clock, conversation_keys_file=keyfile)
    session_id = await _converse(first, world, SAID, "what's on my schedule today")
    said, recording = await _transcript(first, world.business_id, session_id)
    await first.close()
    assert SAID in said and recording == "file:///recordings/call-42.wav"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600, "the generated key file is private"

    raw = await _raw(world.store, "SELECT text, arguments FROM conversation_events")
    values = [v for row in raw for v in row if v is not None]
    assert values and all(v.startswith("gAAAAA") for v in values)
    assert not any("4111" in v or "schedule" in v for v in values), "no plaintext at rest"
    (ref,) = (await _raw(world.store, "SELECT recording_ref FROM conversations"))[0]
    assert ref.startswith("gAAAAA") and "call-42" not in ref

    again = _store(world.store.settings.database_url, clock, conversation_keys_file=keyfile)  # "restart"
    try:
        assert (await _transcript(again, world.business_id, session_id)) == (said, recording)
    finally:
        await again.close()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_another_os_process_reads_the_transcript(world, clock, tmp_path: Path) -> None:
    keyfile = tmp_path / "keys"
    first = _store(world.store.settings.database_url, clock, conversation_keys_file=keyfile)
    await _converse(first, world, SAID)
    await first.close()
    script = f"""
import asyncio, json
import sqlalchemy as sa
from hero365.config import Settings
from hero365.erp.store.db import Store
from hero365.insights.crypto import attach
from hero365.insights.model import ConversationEvent
from hero365.insights.tables import map_insights

async def main():
    map_insights()
    store = Store(Settings(database_url={world.store.settings.database_url!r}, conversation_keys_file={str(keyfile)!r}))
    attach(store)
    async with store.uow({world.business_id}) as uow:
        rows = (await uow.session.execute(sa.select(ConversationEvent))).scalars().all()
    print(json.dumps([r.text for r in rows]))
    await store.close()

asyncio.run(main())
"""
    env = {k: v for k, v in os.environ.items() if k not in ("CONVERSATION_KEYS", "CONVERSATION_KEYS_FILE")}
    out = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], capture_output=True, text=True,
                                  timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert SAID in json.loads(out.stdout.strip().splitlines()[-1])


async def test_rotation_re_encrypts_everything_and_the_old_key_can_be_retired(world, clock, tmp_path: Path) -> None:
    keyfile = tmp_path / "keys"
    url = world.store.settings.database_url
    store = _store(url, clock, conversation_keys_file=keyfile)
    sessions = [await _converse(store, world, SAID), await _converse(store, world, "tell me about job 999")]
    before = {s: await _transcript(store, world.business_id, s) for s in sessions}
    (old_key,) = Keyring.from_settings(store.settings).keys
    async with store.engine.begin() as conn:  # a row from before encryption existed, still plaintext
        await conn.execute(sa.text("UPDATE conversation_events SET text = 'legacy words' WHERE seq = 1"))

    ring, done = await keys.rotate(store, batch=2)  # small batches: many transactions
    new_key = ring.keys[0]
    assert ring.keys == [new_key, old_key] and key_file(store.settings).read_text().count("\n") >= 3
    assert done.unreadable == 0 and done.values > 5
    raw = [v for row in await _raw(store, "SELECT text, arguments FROM conversation_events UNION ALL "
                                          "SELECT recording_ref, NULL FROM conversations") for v in row if v]
    for value in raw:
        Fernet(new_key.encode()).decrypt(value.encode())  # every value (the legacy one too) under the new key
        with pytest.raises(InvalidToken):
            Fernet(old_key.encode()).decrypt(value.encode())

    kept, _ = await keys.retire(store)
    assert kept.keys == [new_key]
    assert old_key not in keyfile.read_text()
    await store.close()

    after = _store(url, clock, conversation_keys_file=keyfile)  # a restart with only the new key
    try:
        for s, (said, ref) in before.items():
            got_said, got_ref = await _transcript(after, world.business_id, s)
            assert got_ref == ref
            assert got_said[1:] == said[1:] and got_said[0] == "legacy words"
    finally:
        await after.close()


async def test_keys_from_settings_and_a_missing_key_reads_as_a_marker(world, clock) -> None:
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    url = world.store.settings.database_url
    both = _store(url, clock, conversation_keys=f"{k1},{k2}")
    session_id = await _converse(both, world, SAID)
    await both.close()

    only_k2 = _store(url, clock, conversation_keys=k2)  # the key that wrote them is gone
    try:
        said, ref = await _transcript(only_k2, world.business_id, session_id)
        assert set(said) == {UNREADABLE} and ref == UNREADABLE
    finally:
        await only_k2.close()

    with pytest.raises(KeysError, match="key 2 is not a Fernet key"):
        Keyring.from_settings(Settings(database_url=url, conversation_keys=f"{k1},not-a-key"))
    with pytest.raises(KeysError, match="CONVERSATION_KEYS is set"):
        await keys.rotate(_store(url, clock, conversation_keys=k1))


async def test_a_running_process_picks_up_a_rotated_key_file(world, clock, tmp_path: Path) -> None:
    keyfile = tmp_path / "keys"
    url = world.store.settings.database_url
    gateway, admin = (_store(url, clock, conversation_keys_file=keyfile) for _ in range(2))
    try:
        running = attach(gateway)
        ring, _ = await keys.rotate(admin)
        os.utime(keyfile, (1, 1))  # a different mtime even within the file system's resolution
        running._checked = 0.0
        token = running.encrypt("after the rotation")
        Fernet(ring.keys[0].encode()).decrypt(token.encode())  # written under the new key
    finally:
        await gateway.close()
        await admin.close()
