"""Retention: old recordings and transcript text are purged; what analytics counts is untouched.

Seeded (the store's clock: Monday 2026-11-23 08:00 Chicago), recording retention 90 days, transcripts 365:

    conv  business  age (days)  recording  events (text)  expected
    R1    A         200         yes        3              recording purged, transcript kept
    R2    A         400         yes        3              recording purged, transcript blanked (3 events)
    R3    A          10         yes        2              kept
    R4    A         500         no         2              transcript blanked (2 events)
    R5    B         100         yes        2              recording purged

So: 3 recordings (3 files), 5 events blanked in 2 conversations.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from hero365.calls.recording import encrypt_file, path_of
from hero365.erp.services import businesses
from hero365.insights.analytics import figures
from hero365.insights.crypto import Keyring, attach
from hero365.insights.model import Conversation, ConversationEvent, ConversationTurn
from hero365.insights.periods import Window
from hero365.insights.retention import purge
from hero365.insights.tables import conversation_events, conversation_turns, conversations

SEED = [("R1", "A", 200, True, 3), ("R2", "A", 400, True, 3), ("R3", "A", 10, True, 2), ("R4", "A", 500, False, 2),
        ("R5", "B", 100, True, 2)]


async def _seed(world: Any, settings: Any, tmp_path: Path) -> dict[str, str]:
    ring = attach(world.store, Keyring([Fernet.generate_key().decode()]))
    other, _ = await businesses.create_business(world.store, "Other Plumbing", "America/Chicago",
                                                owner_name="Otto Other", owner_email="otto@other.test")
    now = world.store.clock()
    refs = {}
    for key, biz, age, recorded, events in SEED:
        business_id = world.business_id if biz == "A" else other.id
        started = now - timedelta(days=age)
        ref = f"{business_id}/{key}.ogg.enc" if recorded else None
        if ref:
            plain = tmp_path / f"{key}.ogg"
            plain.write_bytes(b"OggS" + key.encode() * 100)
            encrypt_file(plain, path_of(settings, ref), ring)
            refs[key] = ref
        async with world.store.uow(business_id) as uow:
            conv = Conversation(business_id=business_id, session_id=key, agent="support", channel="phone",
                                started_at=started, ended_at=started + timedelta(seconds=60), outcome="completed",
                                turns=1, tool_calls=1, tool_errors=0, duration_s=60.0, resolved=True,
                                recording_ref=ref)
            uow.session.add(conv)
            await uow.flush()
            kinds = ["user", "tool", "assistant"][:events]
            for seq, kind in enumerate(kinds, 1):
                uow.session.add(ConversationEvent(
                    business_id=business_id, conversation_id=conv.id, seq=seq, at=started, kind=kind,
                    text=f"{key} said something private", intent="reschedule_appointment",
                    tool="reschedule_appointment" if kind == "tool" else None,
                    arguments='{"when": "thursday 10am"}' if kind == "tool" else None, duration_ms=12.5))
            uow.session.add(ConversationTurn(business_id=business_id, conversation_id=conv.id, seq=1, at=started,
                                             user_seq=1, intent="reschedule_appointment", failed=False,
                                             tool_calls=1, tool_errors=0, response_ms=400.0))
    return refs


async def _state(store: Any) -> dict[str, Any]:
    """Everything in the three tables, decrypted (what the purge may change and what it must not)."""
    async with store.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in (await conn.execute(sa.select(t))).all())
                for t in (conversations, conversation_events, conversation_turns)}


def _analytics_columns(state: dict[str, Any]) -> dict[str, Any]:
    """The state less the purged columns (recording_ref; event text and arguments)."""
    c, e = list(conversations.c.keys()), list(conversation_events.c.keys())
    drop_c, drop_e = c.index("recording_ref"), {e.index("text"), e.index("arguments")}
    return {"conversations": [r[:drop_c] + r[drop_c + 1:] for r in state["conversations"]],
            "events": [tuple(v for i, v in enumerate(r) if i not in drop_e) for r in state["conversation_events"]],
            "turns": state["conversation_turns"]}


async def test_old_recordings_and_transcripts_are_purged_and_analytics_keeps_its_counts(
        world: Any, tmp_path: Path) -> None:
    settings = world.store.settings.model_copy(update={"recording_retention_days": 90,
                                                       "transcript_retention_days": 365})
    refs = await _seed(world, settings, tmp_path)
    win = Window(date(2024, 1, 1), date(2026, 11, 30), ZoneInfo("America/Chicago"))
    before_figures = {k: f.as_dict() for k, f in (await figures(world.store, world.business_id, win)).items()}
    before = await _state(world.store)

    dry = await purge(world.store, settings, dry_run=True, batch=2)
    assert (dry.recordings, dry.files_deleted, dry.events_blanked, dry.transcripts) == (3, 3, 5, 2)
    assert await _state(world.store) == before  # a dry run changes nothing
    assert all(path_of(settings, ref).exists() for ref in refs.values())

    done = await purge(world.store, settings, batch=2)  # batches of two rows
    assert (done.recordings, done.files_deleted, done.events_blanked, done.transcripts) == (3, 3, 5, 2)
    assert [k for k, ref in refs.items() if path_of(settings, ref).exists()] == ["R3"]
    async with world.store.engine.connect() as conn:
        kept = dict((await conn.execute(sa.select(conversations.c.session_id, conversations.c.recording_ref))).all())
        texts = (await conn.execute(sa.select(conversations.c.session_id, conversation_events.c.text,
                                              conversation_events.c.arguments).join(
            conversations, conversations.c.id == conversation_events.c.conversation_id))).all()
    assert kept == {"R1": None, "R2": None, "R3": refs["R3"], "R4": None, "R5": None}
    blank = sorted(s for s, text, args in texts if text is None and args is None)
    assert blank == ["R2", "R2", "R2", "R4", "R4"]
    assert all(text == f"{s} said something private" for s, text, _ in texts if s not in ("R2", "R4"))

    after = await _state(world.store)
    assert _analytics_columns(after) == _analytics_columns(before)  # counts, timings, intents, outcomes
    after_figures = {k: f.as_dict() for k, f in (await figures(world.store, world.business_id, win)).items()}
    assert after_figures == before_figures and before_figures["all"]["conversations"] == 4

    crashed, fresh = (path_of(settings, f"{world.business_id}/.c{n}.recording.ogg") for n in (1, 2))
    for partial in (crashed, fresh):  # plaintext of a call that crashed two days ago, and of one in progress
        partial.write_bytes(b"OggS")
    os.utime(crashed, (time.time() - 2 * 86_400, time.time() - 2 * 86_400))
    again = await purge(world.store, settings, batch=2)  # idempotent
    assert again.partials_removed == 1 and not crashed.exists() and fresh.exists()
    assert (again.recordings, again.files_deleted, again.events_blanked) == (0, 0, 0)
    assert await _state(world.store) == after


async def test_zero_days_keeps_everything(world: Any, tmp_path: Path) -> None:
    settings = world.store.settings.model_copy(update={"recording_retention_days": 0,
                                                       "transcript_retention_days": 0})
    refs = await _seed(world, settings, tmp_path)
    before = await _state(world.store)
    done = await purge(world.store, settings)
    assert (done.recordings, done.events_blanked) == (0, 0)
    assert await _state(world.store) == before and all(path_of(settings, r).exists() for r in refs.values())


async def test_the_owner_purges_and_fetches_recordings_from_the_command_line(world: Any, tmp_path: Path) -> None:
    """`hero365 retention purge` and `hero365 recordings get` as real processes on the test database."""
    if "sqlite" not in world.store.settings.database_url:
        pytest.skip("the command-line half runs once, on SQLite")
    settings = world.store.settings
    # the commands run on the real clock, so the ages are seeded from it too (from the pinned Monday, the counts
    # would change once that Monday is 90 days old)
    world.store.clock = lambda: datetime.now(UTC)
    refs = await _seed(world, settings, tmp_path)
    env = {"DATABASE_URL": settings.database_url, "CONVERSATION_KEYS": attach(world.store).keys[0],
           "RECORDINGS_DIR": str(settings.recordings_dir), "RECORDING_RETENTION_DAYS": "90",
           "TRANSCRIPT_RETENTION_DAYS": "365"}
    dry = await hero365("retention", "purge", "--dry-run", "--json", **env)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) == {"recordings": 3, "files_deleted": 3, "transcripts": 2, "events_blanked": 5,
                                      "partials_removed": 0, "dry_run": True}
    out = tmp_path / "r1.ogg"
    got = await hero365("recordings", "get", "R1", "--out", str(out), **env)
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == b"OggS" + b"R1" * 100 and path_of(settings, refs["R1"]).exists()

    done = await hero365("retention", "purge", **env)
    assert done.returncode == 0 and "Purged 3 recording(s)" in done.stdout, done.stdout + done.stderr
    gone = await hero365("recordings", "get", "R1", "--out", str(tmp_path / "again.ogg"), **env)
    assert gone.returncode == 1 and "No recording for session R1" in gone.stderr and "Traceback" not in gone.stderr


async def hero365(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONVERSATION_KEYS", "RECORDING"))}
    return await asyncio.to_thread(subprocess.run, [str(Path(sys.executable).parent / "hero365"), *args],
                                   capture_output=True, text=True, timeout=120, env={**clean, "COLUMNS": "200", **env})


async def test_the_gateway_purges_periodically(world: Any, tmp_path: Path) -> None:
    from hero365.gateway import create_app

    settings = world.store.settings.model_copy(update={"retention_interval_seconds": 1, "alerts_interval_seconds": 0,
                                                       "jwt_secret": "test-secret-" + "x" * 40})
    refs = await _seed(world, settings, tmp_path)
    app = create_app(settings, world.store, stt_factory=None)
    async with app.router.lifespan_context(app):
        for _ in range(100):  # the first run comes after one interval
            async with world.store.engine.connect() as conn:
                refs_left = (await conn.execute(sa.select(sa.func.count()).where(
                    conversations.c.recording_ref.is_not(None)))).scalar_one()
            if refs_left == 1:
                break
            await asyncio.sleep(0.1)
    assert refs_left == 1  # R3's
    assert [k for k, ref in refs.items() if path_of(settings, ref).exists()] == ["R3"]
