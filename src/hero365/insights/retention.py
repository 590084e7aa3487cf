"""Retention: call recordings and transcript text are kept for a set number of days, then purged.

Recordings older than RECORDING_RETENTION_DAYS lose their file and their reference; transcripts older than
TRANSCRIPT_RETENTION_DAYS lose what was said and the tool arguments. Everything analytics reads stays:
the conversation row (agent, outcome, counts, duration), its turns (intents, timings) and each event's
kind, tool, error, intent and duration. 0 days keeps forever.

Each batch is one transaction and a purge only ever narrows what is kept, so a crash part-way or a second
run is harmless (a recording's file goes before its reference, so no file is left without one). The log
says how many, never what.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..background import running
from ..config import Settings
from ..erp.store.db import Store
from .crypto import attach
from .tables import conversation_events, conversations, map_insights

log = logging.getLogger(__name__)


@dataclass
class Purge:
    """What a purge removed (or, dry, would remove)."""

    recordings: int = 0
    files_deleted: int = 0
    transcripts: int = 0
    events_blanked: int = 0
    #: Plaintext recordings a crashed call left behind (older than a day), removed.
    partials_removed: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cutoff(now: datetime, days: int) -> datetime | None:
    return None if days <= 0 else now - timedelta(days=days)


async def _recordings(store: Store, settings: Settings, cutoff: datetime, dry_run: bool, batch: int,
                      report: Purge) -> None:
    from ..calls.recording import RecordingError, path_of

    c = conversations.c
    old = sa.and_(c.recording_ref.is_not(None), c.started_at < cutoff)
    if dry_run:
        async with store.engine.connect() as conn:
            rows = (await conn.execute(sa.select(c.recording_ref).where(old))).all()
        report.recordings = len(rows)
        for row in rows:
            with contextlib.suppress(RecordingError):
                report.files_deleted += path_of(settings, row.recording_ref).exists()
        return
    while True:
        async with store.engine.begin() as conn:
            rows = (await conn.execute(sa.select(c.id, c.recording_ref).where(old).order_by(c.id)
                                       .limit(batch))).all()
            if not rows:
                return
            for row in rows:
                try:
                    path = path_of(settings, row.recording_ref)
                except RecordingError:  # not a reference of ours (or unreadable): nothing on disk to remove
                    continue
                if path.exists():
                    await asyncio.to_thread(path.unlink, True)
                    report.files_deleted += 1
            await conn.execute(sa.update(conversations).where(c.id.in_([r.id for r in rows]))
                               .values(recording_ref=None))
            report.recordings += len(rows)


async def _transcripts(store: Store, cutoff: datetime, dry_run: bool, batch: int, report: Purge) -> None:
    e, c = conversation_events.c, conversations.c
    old = sa.and_(sa.or_(e.text.is_not(None), e.arguments.is_not(None)),
                  e.conversation_id.in_(sa.select(c.id).where(c.started_at < cutoff)))
    if dry_run:
        async with store.engine.connect() as conn:
            row = (await conn.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(e.conversation_id)))
                                      .where(old))).one()
        report.events_blanked, report.transcripts = int(row[0]), int(row[1])
        return
    seen: set[int] = set()
    while True:
        async with store.engine.begin() as conn:
            rows = (await conn.execute(sa.select(e.id, e.conversation_id).where(old).order_by(e.id)
                                       .limit(batch))).all()
            if not rows:
                break
            await conn.execute(sa.update(conversation_events).where(e.id.in_([r.id for r in rows]))
                               .values(text=None, arguments=None))
            report.events_blanked += len(rows)
            seen.update(r.conversation_id for r in rows)
    report.transcripts = len(seen)


def _partials(settings: Settings, dry_run: bool, age_s: float = 86_400.0) -> int:
    """A call's plaintext is encrypted and removed when it ends; one still there a day later is a crash's."""
    import time

    from ..calls.recording import PARTIAL, recordings_dir

    root = recordings_dir(settings)
    stale = [p for p in root.glob(f"*/{PARTIAL}") if time.time() - p.stat().st_mtime > age_s] if root.exists() else []
    if not dry_run:
        for path in stale:
            path.unlink(missing_ok=True)
    return len(stale)


async def purge(store: Store, settings: Settings | None = None, *, dry_run: bool = False, batch: int = 500,
                now: datetime | None = None) -> Purge:
    """Purge every business's recordings and transcript text past their retention (dry: only count)."""
    map_insights()
    attach(store)  # references are decrypted to find their files
    settings = settings or store.settings
    now = now or store.clock()
    report = Purge(dry_run=dry_run)
    if (cut := _cutoff(now, settings.recording_retention_days)) is not None:
        await _recordings(store, settings, cut, dry_run, batch, report)
    if (cut := _cutoff(now, settings.transcript_retention_days)) is not None:
        await _transcripts(store, cut, dry_run, batch, report)
    report.partials_removed = await asyncio.to_thread(_partials, settings, dry_run)
    if not dry_run and (report.recordings or report.events_blanked or report.partials_removed):
        log.info("retention purge: %d recording(s) (%d file(s) deleted), transcript text of %d event(s) in %d "
                 "conversation(s), %d unfinished recording(s)", report.recordings, report.files_deleted,
                 report.events_blanked, report.transcripts, report.partials_removed)
    return report


async def run_periodically(store: Store, settings: Settings, interval: float) -> None:
    """The gateway's purge loop (the first run after one interval); a failed run is logged and retried."""
    while True:
        await asyncio.sleep(interval)
        try:
            await purge(store, settings)
        except Exception:
            log.exception("retention purge failed")


def periodic(store: Store, settings: Settings) -> contextlib.AbstractAsyncContextManager[asyncio.Task[None] | None]:
    """Run the purge loop for the life of the block (the gateway's lifespan); off when the interval is 0."""
    every = settings.retention_interval_seconds
    return running(run_periodically(store, settings, every) if every > 0 else None)
