"""ERP commands: the database, demo data, and read commands that make the ERP usable on its own."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from ..config import get_settings
from ..erp.domain.money import format_money
from ..erp.store.db import Store
from .common import console, default_actor, local_time, parse_day, run_async

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
@run_async
async def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
    """Create or migrate the database (SQLite file by default; DATABASE_URL for PostgreSQL)."""
    from ..erp.store.migrate import current, upgrade

    store = Store()
    try:
        await upgrade(store.engine, revision)
        console.print(f"Database at revision [bold]{await current(store.engine)}[/bold]: {_safe_url(store)}")
    finally:
        await store.close()


def _safe_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=True)


async def _ensure_schema(store: Store) -> None:
    from ..erp.store.migrate import upgrade

    await upgrade(store.engine)


def register(app: typer.Typer) -> None:
    app.command("demo-data")(demo_data)
    app.command("jobs")(jobs)
    app.command("contacts")(contacts)
    app.command("invoices")(invoices)
    app.command("demo")(demo)


@run_async
async def demo_data(scale: int = typer.Option(1, min=1, max=1000, help="Multiply the business's size"),
                    seed: int = typer.Option(365, help="Random seed (same seed, same business)"),
                    new: bool = typer.Option(False, "--new", help="Create another demo business even if one exists"),
                    ) -> None:
    """Create the demo business (a realistic home-service contractor), or show the existing one."""
    from ..erp.demo import find_demo, generate_demo

    store = Store()
    try:
        await _ensure_schema(store)
        info = None if new else await find_demo(store)
        if info is None:
            with console.status("Creating the demo business..."):
                info = await generate_demo(store, scale=scale, seed=seed)
            c = info.counts
            console.print(f"Created [bold]{info.name}[/bold] (business {info.business_id}): {c['contacts']} contacts, "
                          f"{c['technicians']} technicians, {c['jobs']} jobs, {c['invoices']} invoices "
                          f"({c['invoices_overdue']} overdue), {c['products']} products, in {info.seconds:.1f} s.")
        else:
            console.print(f"The demo business already exists (business {info.business_id}); --new makes another.")
    finally:
        await store.close()


@run_async
async def jobs(date: str = typer.Option("today", "--date", "-d", help="today, tomorrow, a weekday or YYYY-MM-DD"),
               business: int | None = typer.Option(None, help="Business id (the demo business by default)")) -> None:
    """The schedule for a day: every job, its time, customer, address, technician and status."""
    from ..erp.services.jobs import get_schedule

    store = Store()
    try:
        actor = await default_actor(store, business)
        async with store.uow(actor.business_id) as uow:
            biz = await uow.business()
            day = parse_day(date, datetime.now(ZoneInfo(biz.timezone)).date())
            rows = await get_schedule(uow, actor, day)
        table = Table(title=f"{biz.name}: {day:%A %B %-d, %Y}", show_lines=False)
        for col in ("Time", "Job", "Title", "Customer", "Address", "Technician", "Status"):
            table.add_column(col)
        for r in rows:
            table.add_row(local_time(r["start"], biz.timezone), str(r["number"]), r["title"], r["customer"] or "",
                          r["address"], r["technician"] or "unassigned", r["status"].replace("_", " "))
        console.print(table if rows else f"No jobs on {day:%A %B %-d}.")
    finally:
        await store.close()


@run_async
async def contacts(search: str = typer.Option(..., "--search", "-s", help="Part of a name, company or e-mail"),
                   business: int | None = typer.Option(None, help="Business id")) -> None:
    """Find contacts by name, company or e-mail."""
    from ..erp.domain.contacts import speak_phone
    from ..erp.services.contacts import search_contacts

    store = Store()
    try:
        actor = await default_actor(store, business)
        async with store.uow(actor.business_id) as uow:
            found = await search_contacts(uow, actor, search)
        table = Table(title=f"Contacts matching {search!r}")
        for col in ("Id", "Name", "Kind", "Phone", "Email", "Address", "Flags"):
            table.add_column(col)
        for c in found:
            flags = ", ".join(f for f, on in (("do not call", c.do_not_call), ("consent", c.marketing_consent)) if on)
            table.add_row(str(c.id), c.name, c.kind.value, speak_phone(c.primary_phone) if c.primary_phone else "",
                          c.email or "", c.address_line, flags)
        console.print(table if found else f"No contact matches {search!r}.")
    finally:
        await store.close()


@run_async
async def invoices(overdue: bool = typer.Option(False, "--overdue", help="Only invoices past their due date"),
                   business: int | None = typer.Option(None, help="Business id")) -> None:
    """Invoices past due (with --overdue): who owes what, since when."""
    from ..erp.services.billing import list_overdue_invoices
    from ..erp.services.common import today

    if not overdue:
        raise typer.BadParameter("Only --overdue is supported for now.", param_hint="--overdue")
    store = Store()
    try:
        actor = await default_actor(store, business)
        async with store.uow(actor.business_id) as uow:
            found = await list_overdue_invoices(uow, actor)
            day = await today(uow)
            names = await uow.contacts.get_many([i.contact_id for i in found])
        table = Table(title="Overdue invoices")
        for col in ("Invoice", "Customer", "Title", "Due", "Days late", "Total", "Balance"):
            table.add_column(col)
        for i in found:
            c = names.get(i.contact_id)
            table.add_row(str(i.number), c.name if c else "", i.title, f"{i.due_date:%b %-d}",
                          str(i.days_overdue(day)), format_money(i.total_cents), format_money(i.balance_cents))
        console.print(table if found else "No invoice is overdue.")
        if found:
            console.print(f"Total overdue: [bold]{format_money(sum(i.balance_cents for i in found))}[/bold]")
    finally:
        await store.close()


def demo(say: list[str] = typer.Option(None, "--say", help="Turns for the short opening conversation"),
         port: int = typer.Option(8000, "--port", min=1, max=65535, help="The gateway's port"),
         serve: bool = typer.Option(True, "--serve/--no-serve", help="End by running the gateway (web voice page)"),
         ) -> None:
    """The main job on the embedded default: database, demo business, today's schedule, a short conversation with
    the personal assistant, then the gateway with the web voice page (`hero365 chat` stays available)."""
    import asyncio

    from .chat import DEMO_TURNS, converse

    console.rule("[bold]Hero365 Voice[/bold]")
    console.print(f"Database: {get_settings().database_url}")
    db_upgrade("head")
    demo_data(scale=1, seed=365, new=False)
    jobs(date="today", business=None)
    asyncio.run(converse(say or DEMO_TURNS))
    if serve:
        from .gateway import serve as run_gateway

        console.print("[dim]Talk in the terminal instead: ./run chat (or ./run chat --driving).[/dim]")
        run_gateway(port=port, host="127.0.0.1", demo=False)
