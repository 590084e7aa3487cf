"""`hero365 chat`: a terminal conversation with an agent on the demo business, tool calls shown."""

from __future__ import annotations

import json

import typer
from rich.panel import Panel

from ..erp.store.db import Store
from .common import console, default_actor, run_async

DEMO_TURNS = ["what's on my schedule today", "which invoices are overdue", "check stock on water heaters"]


def _render(result) -> None:  # type: ignore[no-untyped-def]
    for event in result.events:
        item = event.item
        if event.type == "function_call":
            console.print(f"  [dim]→ {item.name}({item.arguments})[/dim]")
        elif event.type == "function_call_output":
            try:
                out = json.loads(item.output)
            except ValueError:
                out = {"say": item.output}
            extra = []
            if out.get("pending"):
                extra.append("[yellow]waiting for your yes[/yellow]")
            if out.get("error"):
                extra.append(f"[red]{out['error']}[/red]")
            if out.get("replayed"):
                extra.append("[dim]replayed (idempotent)[/dim]")
            if extra:
                console.print("    " + " · ".join(extra))
        elif event.type == "message" and item.role == "assistant":
            console.print(Panel(item.text_content or "", title="assistant", title_align="left", border_style="cyan"))
        elif event.type == "agent_handoff":
            console.print(f"  [magenta]handoff → {type(item).__name__}[/magenta]")


async def converse(turns: list[str] | None, driving: bool = False, business: int | None = None,
                   caller: str | None = None) -> None:
    """Run a conversation: the given turns, or an interactive prompt when none are given."""
    from ..insights.recorder import record
    from ..voice.agents import agent_for, identify_caller
    from ..voice.session import text_session
    from ..voice.state import SessionState

    store = Store()
    try:
        actor = await default_actor(store, business)
        if caller:
            state = await identify_caller(store, actor.business_id, caller, channel="text")
        else:
            state = SessionState(store=store, actor=actor, driving=driving)
        session = text_session(state)
        recorder = await record(session, state)
        async with session:
            agent = agent_for(state)
            who = f"caller {caller}" if caller else f"{actor.name} ({actor.role.value})"
            console.rule(f"[bold]{type(agent).__name__}[/bold] · {who}" + (" · driving" if driving else ""))
            await session.start(agent)
            await agent.ready.wait()
            for item in session.history.items:
                if item.type == "message" and item.role == "assistant":
                    console.print(Panel(item.text_content or "", title="assistant", title_align="left",
                                        border_style="cyan"))
            for text in turns or []:
                console.print(f"[bold green]you[/bold green]: {text}")
                _render(await session.run(user_input=text))
            if not turns:
                await _interactive(session)
        await recorder.close()
        console.print(f"[dim]Conversation saved (session {recorder.session_id}).[/dim]")
    finally:
        await store.close()


async def _interactive(session) -> None:  # type: ignore[no-untyped-def]
    console.print("[dim]Type a command (help for ideas, exit to leave).[/dim]")
    while True:
        try:
            text = console.input("[bold green]you[/bold green]: ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        if text.lower() in ("exit", "quit", "bye"):
            break
        if text:
            _render(await session.run(user_input=text))
        if session.userdata.ended:
            console.print(f"[dim]Conversation ended ({session.userdata.ended}).[/dim]")
            break


@run_async
async def chat(say: list[str] = typer.Option(None, "--say", help="A turn to say (repeatable); no prompt then"),
               driving: bool = typer.Option(False, "--driving", help="Driving mode: short replies"),
               caller: str | None = typer.Option(None, "--caller", help="Talk to the receptionist as this phone"),
               business: int | None = typer.Option(None, help="Business id (the demo business by default)")) -> None:
    """Talk to the personal assistant (or, with --caller, the receptionist) on the demo business."""
    await converse(say or None, driving, business, caller)
