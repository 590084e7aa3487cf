"""The outbox from the command line: what waits, and a delivery pass (or a loop) through the configured senders."""

from __future__ import annotations

import asyncio

import typer
from rich.table import Table

from ..config import get_settings
from ..erp.senders import MISSING, deliver_forever, senders_from_settings
from ..erp.services.messages import deliver_all
from ..erp.store.db import Store
from .common import console, default_actor, err, run_async

app = typer.Typer(help="Texts and e-mails the agents queued: list them, deliver them.", no_args_is_help=True)


@app.command("list")
@run_async
async def list_messages(status: str = typer.Option("queued", help="queued, sending, sent or failed"),
                        business: int | None = typer.Option(None, help="business id (the demo business by default)"),
                        limit: int = typer.Option(50, min=1, max=1000)) -> None:
    """Messages in the outbox, newest first."""
    import sqlalchemy as sa

    from ..erp.domain.messages import MessageStatus, OutboxMessage
    from ..erp.store import tables as t

    try:
        wanted = MessageStatus(status)
    except ValueError:
        err.print(f"[red]Unknown status {status!r}[/red]: use one of {', '.join(s.value for s in MessageStatus)}.")
        raise typer.Exit(2) from None
    store = Store()
    try:
        actor = await default_actor(store, business)
        async with store.uow(actor.business_id) as uow:
            rows = list((await uow.session.execute(
                sa.select(OutboxMessage).where(t.outbox.c.status == wanted.value)
                .order_by(t.outbox.c.id.desc()).limit(limit))).scalars())
    finally:
        await store.close()
    table = Table("id", "channel", "to", "subject / text", "tries", "error", title=f"Outbox: {wanted.value}")
    for m in rows:
        table.add_row(str(m.id), m.channel.value, m.to, (m.subject or m.body)[:60], str(m.attempts),
                      (m.error or "")[:40])
    console.print(table)


@app.command("deliver")
@run_async
async def deliver(loop: bool = typer.Option(False, "--loop", help="keep delivering every OUTBOX_INTERVAL_SECONDS"),
                  ) -> None:
    """Send what is queued through the senders the settings configure (SMTP_URL, TWILIO_*)."""
    settings = get_settings()
    senders = senders_from_settings(settings)
    for channel, needs in MISSING.items():
        if channel not in {c.value for c in senders}:
            err.print(f"No {channel} sender: set {needs} to send {channel} messages (they stay queued).")
    store = Store(settings)
    try:
        if loop:
            await deliver_forever(store, settings, senders, interval=max(1, settings.outbox_interval_seconds))
            return
        reports = await deliver_all(store, senders)
    except asyncio.CancelledError:
        return
    finally:
        await store.close()
    sent = sum(r.sent for r in reports.values())
    retrying = sum(r.retrying for r in reports.values())
    failed = sum(r.failed for r in reports.values())
    console.print(f"Sent {sent}, to retry {retrying}, failed {failed}.")
    if failed or retrying:
        raise typer.Exit(1)
