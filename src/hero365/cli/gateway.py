"""`hero365 serve` (the gateway and its web voice page), `hero365 token` (dev tokens), `hero365 audit verify`."""

from __future__ import annotations

import logging

import typer

from ..config import get_settings
from ..erp.store.db import Store
from .common import console, err, run_async

audit_app = typer.Typer(help="The gateway's audit log.", no_args_is_help=True)


async def _user_id(store: Store, user: str) -> int:
    if user.isdigit():
        return int(user)
    async with store.directory() as uow:
        found = await uow.directory.user_by_email(user.strip().lower())
    if found is None or found.id is None:
        err.print(f"[red]No user with the e-mail {user}.[/red]")
        raise typer.Exit(1)
    return found.id


async def _mint(store: Store, user: str | None, business: int | None, demo: bool, ttl: int | None) -> str:
    """A token for a member of a business (membership checked first: no token for someone who isn't one)."""
    from ..erp.services.businesses import actor_for
    from ..gateway.auth import TokenService

    if demo:
        from ..erp.demo import find_demo

        info = await find_demo(store)
        if info is None:
            err.print("[red]There is no demo business yet.[/red] Run [bold]hero365 demo-data[/bold] (or serve).")
            raise typer.Exit(1)
        user_id, business = info.owner_user_id, info.business_id
    elif user is None or business is None:
        err.print("[red]Say whose token: --user EMAIL_OR_ID --business ID, or --demo.[/red]")
        raise typer.Exit(2)
    else:
        user_id = await _user_id(store, user)
    await actor_for(store, user_id, business)  # NotFound (a clear sentence) for a non-member
    return TokenService(store.settings).mint(user_id, business, ttl_s=ttl * 60 if ttl else None)


@run_async
async def token(user: str | None = typer.Option(None, "--user", help="The member's e-mail or user id"),
                business: int | None = typer.Option(None, "--business", help="The business id"),
                demo: bool = typer.Option(False, "--demo", help="The demo business's owner"),
                ttl: int | None = typer.Option(None, "--ttl", min=1, max=60 * 24 * 30,
                                               help="Minutes the token lives (JWT_TTL_MINUTES by default)")) -> None:
    """Print a bearer token for the gateway (HS256, signed with the gateway's secret)."""
    store = Store()
    try:
        print(await _mint(store, user, business, demo, ttl))
    finally:
        await store.close()


def serve(port: int = typer.Option(8000, "--port", min=1, max=65535),
          host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)"),
          demo: bool = typer.Option(True, "--demo/--no-demo", help="Create the demo business if there is none"),
          ) -> None:
    """Run the gateway: the HTTP API and the web voice page, on the demo business by default."""
    import uvicorn

    from ..gateway import create_app
    from .erp import db_upgrade, demo_data

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db_upgrade("head")
    if demo:
        demo_data(scale=1, seed=365, new=False)
    web = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"

    @run_async
    async def demo_token() -> str | None:
        from ..erp.demo import find_demo

        store = Store()
        try:
            return await _mint(store, None, None, True, None) if await find_demo(store) else None
        finally:
            await store.close()

    tok = demo_token()
    console.rule("[bold]Hero365 Voice gateway[/bold]")
    console.print(f"Web voice page: [bold]{web}/voice[/bold]   API docs: {web}/docs", soft_wrap=True)
    if tok:  # plain prints: a token wrapped across lines can't be pasted
        console.print("Demo owner's token (paste it into the page, or open the link):")
        print(tok)
        print(f"{web}/voice?token={tok}", flush=True)
    uvicorn.run(create_app(get_settings()), host=host, port=port, access_log=False, log_level="info",
                ws_max_size=1 << 20)


@audit_app.command("verify")
@run_async
async def audit_verify(business: int | None = typer.Option(None, "--business", help="Only this business's chain"),
                       ) -> None:
    """Recompute the audit log's hash chains; report the first record of each chain that doesn't fit."""
    from ..gateway.audit import verify

    store = Store()
    try:
        verdict = await verify(store.engine, business)
    finally:
        await store.close()
    console.print(f"{verdict.records} audit records in {verdict.chains} chain(s).")
    for chain, head in sorted(verdict.heads.items()):
        console.print(f"  chain {chain}: head {head}")
    if verdict.ok:
        console.print("[green]Every chain verifies.[/green]")
        return
    for problem in verdict.problems:
        err.print(f"[red]BROKEN[/red] {problem}")
    raise typer.Exit(1)
