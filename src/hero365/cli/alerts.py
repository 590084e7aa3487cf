"""`hero365 alerts check`: evaluate the alert rules once (what the gateway does every ALERTS_INTERVAL_SECONDS)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from .common import console, err, run_async

app = typer.Typer(help="Alerts for business owners (tool errors, response time, dialer failures).",
                  no_args_is_help=True)


@app.command("check")
@run_async
async def check(dry_run: bool = typer.Option(False, "--dry-run", help="Only measure: change no state, notify "
                                                                        "no one"),
                business: int | None = typer.Option(None, "--business", help="Show only this business")) -> None:
    """Measure every rule for every business with recent activity; fire or resolve alerts (notifying the
    owner through the outbox, once per firing) unless --dry-run."""
    from ..config import get_settings
    from ..erp.store.db import Store
    from ..insights import alerts
    from ..insights.tables import map_insights

    map_insights()
    settings = get_settings()
    store = Store(settings)
    try:
        await _check_schema(store)
        now = store.clock()
        readings = await alerts.measure(store, settings, now)
        changes = [] if dry_run else await alerts.evaluate(store, settings, now, readings)
        states = await alerts.states(store)
    finally:
        await store.close()
    table = Table("business", "rule", "value", "samples", "alert above", "state")
    for r in sorted(readings, key=lambda r: (r.business_id, r.rule.name)):
        if business is not None and r.business_id != business:
            continue
        state = states.get((r.business_id, r.rule.name), alerts.OK)
        table.add_row(str(r.business_id), r.rule.name, r.rule.show(r.value) if r.value is not None else "-",
                      f"{r.samples} (min {r.rule.min_samples})", r.rule.show(r.rule.threshold),
                      f"[red]{state}[/red]" if state == alerts.FIRING else state)
    if table.row_count:
        console.print(table)
    else:
        console.print("No activity in any rule's window: nothing to measure.")
    for c in changes:
        if business is None or c.business_id == business:
            note = f"owner notified at {c.notified_to}" if c.notified_to else "no phone or e-mail to notify"
            console.print(f"business {c.business_id}: {c.rule} is now {c.state} (episode {c.episode}; {note})")
    if dry_run:
        console.print("[dim]--dry-run: no state changed, nobody notified.[/dim]")


async def _check_schema(store: Any) -> None:
    """A clear sentence, not a traceback, for a database that is unreachable or not migrated yet."""
    import sqlalchemy as sa

    try:
        async with store.engine.connect() as conn:
            missing = await conn.run_sync(lambda sync: [name for name in ("alerts", "conversation_turns", "outbox")
                                                        if not sa.inspect(sync).has_table(name)])
    except (OSError, sa.exc.DBAPIError) as exc:
        err.print(f"[red]Cannot reach the database: {str(exc).splitlines()[0]}[/red]")
        raise typer.Exit(1) from None
    if missing:
        tables = ", ".join(missing)
        err.print(f"[red]The database has no {tables} table yet: run [bold]hero365 db upgrade[/bold].[/red]")
        raise typer.Exit(1)
