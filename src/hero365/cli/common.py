"""What CLI commands share: running async code, the store, the acting user, clear errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..erp.domain.errors import DomainError
from ..erp.domain.tenancy import Actor, Role
from ..erp.store.db import Store

console = Console()
err = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def run_async(fn: Callable[P, Awaitable[R]]) -> Callable[P, R]:
    """Run an async command; a domain error becomes its sentence and exit code 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return asyncio.run(fn(*args, **kwargs))  # type: ignore[arg-type]
        except DomainError as exc:
            err.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
        except (OperationalError, ProgrammingError, ConnectionRefusedError) as exc:  # no tables, or no database
            err.print(f"[red]{database_problem(exc)}[/red]")
            raise typer.Exit(1) from None

    return wrapper


def database_problem(exc: Exception) -> str:
    """What a new user should do about a database error, in a sentence (not a traceback)."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):  # SQLite / PostgreSQL
        return ("The database has no tables yet: run hero365 db upgrade (./run db upgrade), then hero365 demo-data "
                "for the demo business.")
    return f"The database could not be used: {str(getattr(exc, 'orig', exc)).splitlines()[0]} (check DATABASE_URL)."


async def default_actor(store: Store, business_id: int | None = None) -> Actor:
    """The owner of the chosen business (the demo business by default): who the CLI acts as."""
    from ..erp.services.businesses import actor_for

    async with store.directory() as uow:
        businesses = await uow.directory.businesses()
        if business_id is None:
            business_id = store.settings.default_business_id or (businesses[0].id if businesses else None)
        if business_id is None:
            err.print("[red]There is no business yet.[/red] Run [bold]hero365 demo-data[/bold] first.")
            raise typer.Exit(1)
        owners = [m for m in await _members(uow, business_id) if m.role == Role.OWNER]
    if not owners:
        err.print(f"[red]Business {business_id} doesn't exist or has no owner.[/red]")
        raise typer.Exit(1)
    return await actor_for(store, owners[0].user_id, business_id)


async def _members(uow: Any, business_id: int) -> list[Any]:
    import sqlalchemy as sa

    from ..erp.domain.tenancy import Membership
    from ..erp.store import tables as t

    stmt = sa.select(Membership).where(t.memberships.c.business_id == business_id)
    return list((await uow.session.execute(stmt)).scalars().all())


def parse_day(text: str, today: date) -> date:
    """'today', 'tomorrow', 'yesterday', a weekday name or an ISO date."""
    word = text.strip().lower()
    if word in ("today", ""):
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    if word in days:
        return today + timedelta(days=(days.index(word) - today.weekday()) % 7)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date: use today, tomorrow, a weekday or YYYY-MM-DD.") from None


def local_time(value: str | None, tz: str) -> str:
    if not value:
        return "unscheduled"
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime("%-I:%M %p")
