"""`hero365 recordings get` (a call's audio, decrypted for the owner) and `hero365 retention purge`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from ..config import get_settings
from ..erp.store.db import Store
from .common import console, err, run_async

recordings_app = typer.Typer(help="Phone call recordings (encrypted at rest with the conversation keys).",
                             no_args_is_help=True)
retention_app = typer.Typer(help="Recordings and transcripts kept per RECORDING_/TRANSCRIPT_RETENTION_DAYS.",
                            no_args_is_help=True)


@recordings_app.command("get")
@run_async
async def get(session_id: Annotated[str, typer.Argument(help="The call's session id")],
              out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the ogg file")]) -> None:
    """Decrypt one call's recording (stereo ogg/opus: the caller left, the agent right) into a file."""
    import asyncio

    from ..calls.recording import RecordingError, decrypt_chunks, path_of
    from ..insights.crypto import attach
    from ..insights.tables import conversations, map_insights

    settings = get_settings()
    store = Store(settings)
    try:
        map_insights()
        attach(store)
        async with store.engine.connect() as conn:
            ref = (await conn.execute(sa.select(conversations.c.recording_ref).where(
                conversations.c.session_id == session_id))).scalar_one_or_none()
    finally:
        await store.close()
    if not ref:
        err.print(f"[red]No recording for session {session_id} (not a recorded call, or past its retention).[/red]")
        raise typer.Exit(1)
    tmp = out.with_name(f".{out.name}.part")
    try:
        path = path_of(settings, ref)
        if not path.exists():
            raise RecordingError("The recording's file is no longer kept.")

        def write() -> int:
            with tmp.open("wb") as f:
                for chunk in decrypt_chunks(path, attach(store)):
                    f.write(chunk)
                return f.tell()

        size = await asyncio.to_thread(write)
        tmp.replace(out)
    except (RecordingError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Wrote {out} ({size / 1024:.0f} KiB, ogg/opus, caller left, agent right).")


@retention_app.command("purge")
@run_async
async def purge(dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; change nothing")] = False,
                batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500,
                as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False) -> None:
    """Delete recordings and blank transcript text older than their retention (counts, timings, intents and
    outcomes stay for analytics)."""
    from ..insights.retention import purge as run_purge

    settings = get_settings()
    store = Store(settings)
    try:
        done = await run_purge(store, settings, dry_run=dry_run, batch=batch)
    finally:
        await store.close()
    if as_json:
        print(json.dumps(done.as_dict()))
        return
    verb = "Would purge" if dry_run else "Purged"
    console.print(f"{verb} {done.recordings} recording(s) older than {settings.recording_retention_days} days "
                  f"({done.files_deleted} file(s)) and the transcript text of {done.events_blanked} event(s) in "
                  f"{done.transcripts} conversation(s) older than {settings.transcript_retention_days} days "
                  "(0 days: kept forever).")


def register(app: typer.Typer) -> None:
    app.add_typer(recordings_app, name="recordings")
    app.add_typer(retention_app, name="retention")
