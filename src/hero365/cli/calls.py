"""`hero365 call`, `hero365 campaign ...`, `hero365 dialer`, `hero365 dnc ...`: outbound calling from the shell."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..config import get_settings
from ..erp.store.db import Store
from ..voice.state import Purpose
from .common import console, default_actor, err, run_async

campaign_app = typer.Typer(help="Calling campaigns: create, run (with progress), status, pause, cancel.",
                           no_args_is_help=True)
dnc_app = typer.Typer(help="Do-not-call lists: import the national file, add a number.", no_args_is_help=True)

AUDIENCES = "jobs_tomorrow | invoices_overdue | estimates_unanswered | jobs_completed_yesterday | contacts"


def _purpose(value: str) -> Purpose:
    try:
        return Purpose(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use one of {', '.join(p.value for p in Purpose)}") from None


async def _demo_contact(store: Store, business_id: int) -> int:
    """A contact with an upcoming scheduled job (what a reminder call is about)."""
    import sqlalchemy as sa

    from ..erp.store import tables as et

    j = et.jobs.c
    stmt = (sa.select(j.contact_id).where(j.business_id == business_id, j.status == "scheduled",
                                          j.scheduled_start >= store.clock())
            .order_by(j.scheduled_start).limit(1))
    async with store.uow(business_id) as uow:
        found = (await uow.session.execute(stmt)).scalar_one_or_none()
    if found is None:
        err.print("[red]No contact has an upcoming job.[/red] Run [bold]hero365 demo-data[/bold], or pass --contact.")
        raise typer.Exit(1)
    return int(found)


async def _in_process(store: Store) -> tuple[Any, Any, Any]:
    from ..calls.dialer import Dialer
    from ..calls.queue import LocalQueue, make_conversation, make_trunk, worker_id

    settings = store.settings
    trunk = make_trunk(settings)
    if hasattr(trunk, "start"):
        await trunk.start()
    queue = LocalQueue(settings.dialer_concurrency, store.clock)
    queue.dialer = Dialer(store, trunk, worker_id=worker_id(), conversation=make_conversation(settings, store),
                          enqueue=queue.enqueue, settings=settings)
    return trunk, queue, queue.dialer


def call(to: str = typer.Option(..., "--to", help="E.164 number or SIP URI"),
         purpose: str = typer.Option("appointment_reminder", "--purpose"),
         contact: int | None = typer.Option(None, "--contact", help="who the call is about (default: a demo "
                                                                    "contact with an upcoming job)"),
         business: int | None = typer.Option(None, "--business")) -> None:
    """Place one compliant call through the configured trunk and print each state of the attempt."""
    run_async(_call)(to, _purpose(purpose), contact, business)


async def _call(to: str, purpose: Purpose, contact_id: int | None, business_id: int | None) -> None:
    from ..calls import repo
    from ..calls.campaigns import ComplianceRefused, place_call

    store = Store(get_settings())
    try:
        actor = await default_actor(store, business_id)
        contact_id = contact_id or await _demo_contact(store, actor.business_id)
        try:
            aid = await place_call(store, actor, purpose=purpose, contact_id=contact_id, to=to)
        except ComplianceRefused as refused:
            err.print(f"[red]Not dialled:[/red] {refused.message} (reason: {refused.decision.reason.value})")
            raise typer.Exit(2) from None
        console.print(f"attempt {aid}: queued (contact {contact_id}, {purpose.value}, to {to})")
        trunk, queue, dialer = await _in_process(store)

        def show(attempt_id: int, state: Any, values: dict[str, Any]) -> None:
            if attempt_id != aid:
                return
            extra = f" (SIP {values['sip_code']})" if values.get("sip_code") else ""
            extra += f" -> {values['outcome']}" if values.get("outcome") and state.final else ""
            console.print(f"attempt {aid}: {state.value}{extra}")
            if values.get("error"):
                console.print(f"  [dim]{values['error']}[/dim]")

        dialer.watch = show
        try:
            await queue.enqueue(actor.business_id, aid)
            while queue.busy:  # noqa: ASYNC110  (until it ends, or waits for its calling hours)
                await asyncio.sleep(0.05)
            async with store.uow(actor.business_id) as uow:
                row = await repo.attempt(uow, aid)
            assert row is not None
            if row["state"] == "queued":
                console.print(f"attempt {aid} waits until {row['scheduled_for']:%Y-%m-%d %H:%M} UTC (calling hours)")
        finally:
            await queue.aclose()
            await trunk.aclose()
    finally:
        await store.close()


@campaign_app.command("create")
def campaign_create(name: str = typer.Option(..., "--name"), purpose: str = typer.Option(..., "--purpose"),
                    audience: str = typer.Option(..., "--audience", help=AUDIENCES),
                    days: int = typer.Option(7, "--days", help="overdue by / sent ago, in days"),
                    contacts: str = typer.Option("", "--contacts", help="contact ids, comma-separated"),
                    hours: str = typer.Option("9-20", "--hours", help="callee-local hours, START-END"),
                    max_attempts: int = typer.Option(3, "--max-attempts"),
                    voicemail: str = typer.Option("leave_message", "--voicemail", help="leave_message | hang_up"),
                    agent: str | None = typer.Option(None, "--agent", help="sales | support (default: by purpose)"),
                    business: int | None = typer.Option(None, "--business")) -> None:
    """Create a campaign (draft): nothing is dialled until `campaign run`."""
    from ..calls.attempts import VoicemailPolicy
    from ..calls.audiences import Audience

    try:
        start, end = (int(x) for x in hours.split("-"))
        spec = Audience(kind=audience, days=days,  # type: ignore[arg-type]
                        contact_ids=[int(c) for c in contacts.split(",") if c.strip()])
        vm = VoicemailPolicy(voicemail)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).splitlines()[0]) from None
    run_async(_create)(name, _purpose(purpose), spec, (start, end), max_attempts, vm, agent, business)


async def _create(name: str, purpose: Purpose, spec: Any, hours: tuple[int, int], max_attempts: int, vm: Any,
                  agent: str | None, business: int | None) -> None:
    from ..calls.campaigns import create_campaign

    store = Store(get_settings())
    try:
        actor = await default_actor(store, business)
        cid = await create_campaign(store, actor, name=name, purpose=purpose, audience=spec, agent=agent,
                                    hours=hours, max_attempts=max_attempts, voicemail=vm)
        console.print(f"campaign {cid} created: {name} ({purpose.value}, {spec.describe()})")
    finally:
        await store.close()


@campaign_app.command("run")
def campaign_run(campaign_id: int, business: int | None = typer.Option(None, "--business")) -> None:
    """Start (or resume) a campaign and show its progress until nothing is left to dial now. Calls run in this
    process, or on `hero365 dialer` workers when REDIS_URL is set."""
    run_async(_run)(campaign_id, business)


async def _run(campaign_id: int, business: int | None) -> None:
    from ..calls.campaigns import campaign_status, start_campaign
    from ..calls.queue import ArqQueue

    settings = get_settings()
    store = Store(settings)
    trunk = None
    try:
        actor = await default_actor(store, business)
        if settings.redis_url:
            queue: Any = ArqQueue(settings.redis_url, settings.dialer_queue_name)
            console.print(f"queued on Redis ({settings.dialer_queue_name}): `hero365 dialer` workers place the calls")
        else:
            trunk, queue, _ = await _in_process(store)
        status = await start_campaign(store, actor, campaign_id, queue)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task(status.name, total=max(status.total, 1), detail="")
            while True:
                status = await campaign_status(store, actor, campaign_id)
                detail = " ".join(f"{k}:{v}" for k, v in sorted(status.by_state.items()))
                bar.update(task, total=max(status.total, 1), completed=status.finished, detail=detail)
                if status.in_flight == 0 or status.state != "running":
                    break
                if not settings.redis_url and not queue.busy:
                    break  # what is left waits for its calling hours or a retry's backoff
                await asyncio.sleep(0.2)
        _print_status(status)
        if status.in_flight:
            console.print(f"{status.in_flight} attempts wait for their calling hours or a retry; run again later "
                          "or keep `hero365 dialer` running.")
        if trunk is not None:
            await queue.aclose()
    finally:
        if trunk is not None:
            await trunk.aclose()
        await store.close()


def _print_status(status: Any) -> None:
    table = Table(title=f"campaign {status.id}: {status.name} ({status.state})")
    table.add_column("state")
    table.add_column("attempts", justify="right")
    for state, n in sorted(status.by_state.items()):
        table.add_row(state, str(n))
    for outcome, n in sorted(status.by_outcome.items()):
        table.add_row(f"[dim]outcome[/dim] {outcome}", str(n))
    console.print(table)


def _simple(action: str) -> Any:
    def command(campaign_id: int, business: int | None = typer.Option(None, "--business")) -> None:
        async def go() -> None:
            from ..calls import campaigns

            store = Store(get_settings())
            try:
                actor = await default_actor(store, business)
                fn = {"status": campaigns.campaign_status, "pause": campaigns.pause_campaign,
                      "cancel": campaigns.cancel_campaign}[action]
                _print_status(await fn(store, actor, campaign_id))
            finally:
                await store.close()

        run_async(go)()

    command.__doc__ = {"status": "Counts by attempt state and outcome.", "pause": "Queued calls wait.",
                       "cancel": "Every queued call cancelled."}[action]
    return command


for _name in ("status", "pause", "cancel"):
    campaign_app.command(_name)(_simple(_name))


def dialer(concurrency: int = typer.Option(4, "--concurrency", "-c", help="calls at once in this worker")) -> None:
    """A dialer worker: places due calls (the gateway's, campaigns', retries). With REDIS_URL it takes them from
    the Redis queue; without, it polls the database. Run as many as you like: each call is placed once."""
    import asyncio
    import contextlib
    import logging

    from ..calls.queue import run_worker, serve_local

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    try:
        if settings.redis_url:
            run_worker(settings, concurrency)
        else:
            err.print("No REDIS_URL: this dialer polls the database for due calls "
                      f"every {settings.dialer_sweep_seconds:g} s (Ctrl-C to stop).")
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve_local(settings, concurrency))
    except (RuntimeError, FileNotFoundError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


@dnc_app.command("import")
def dnc_import(path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)) -> None:
    """Stream a national do-not-call file into the database (E.164, idempotent)."""

    async def go() -> None:
        from ..calls.dnc import import_national

        store = Store(get_settings())
        try:
            report = await import_national(store, path)
        finally:
            await store.close()
        console.print(f"{report.lines} lines, {report.numbers} numbers, {report.added} new, "
                      f"{report.rejected} without a number")

    run_async(go)()


@dnc_app.command("add")
def dnc_add(number: str, source: str = typer.Option("added by hand", "--source"),
            business: int | None = typer.Option(None, "--business")) -> None:
    """Put a number on the business's list (queued calls to it are cancelled)."""

    async def go() -> None:
        from ..calls.dnc import add_to_business_list

        store = Store(get_settings())
        try:
            actor = await default_actor(store, business)
            e164 = await add_to_business_list(store, actor.business_id, number, source)
        finally:
            await store.close()
        console.print(f"{e164} is on the do-not-call list")

    run_async(go)()


def register(app: typer.Typer) -> None:
    app.command("call")(call)
    app.command("dialer")(dialer)
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(dnc_app, name="dnc")

