"""`hero365 phone serve`: answer calls on the local SIP trunk with the receptionist (callers known by their
number), and `hero365 phone setup-livekit`: the inbound trunk and dispatch rule on a LiveKit server."""

from __future__ import annotations

import asyncio
import logging

import typer

from ..config import get_settings
from ..erp.store.db import Store
from .common import console, default_actor, err, run_async

app = typer.Typer(help="Phone lines: answer inbound calls, set up LiveKit SIP.", no_args_is_help=True)
log = logging.getLogger("hero365.phone")


@app.command("serve")
@run_async
async def serve(business: int | None = typer.Option(None, "--business", help="The business answering (demo by "
                                                                                "default)"),
                host: str | None = typer.Option(None, "--host", help="Address to listen on (SIP_BIND_HOST)"),
                port: int | None = typer.Option(None, "--port", min=0, max=65535,
                                                help="SIP port to listen on (SIP_BIND_PORT, 5060)"),
                calls: int = typer.Option(0, "--calls", min=0, help="Stop after this many calls (0: run until "
                                                                     "Ctrl-C)")) -> None:
    """Answer SIP calls with the receptionist: point a SIP phone or PBX at sip:hero365@HOST:PORT."""
    from ..calls.bridge import answer_call, shared_speech
    from ..calls.telephony.local_sip import LocalSipTrunk

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    store = Store(settings)
    trunk = LocalSipTrunk(settings, bind_host=host, bind_port=port)
    try:
        business_id = (await default_actor(store, business)).business_id
        console.print("Loading the voice and the recogniser...")
        speech = await shared_speech(settings)
        await trunk.start()
        where = "{}:{}".format(*trunk.local_addr)
        console.print(f"[green]Answering calls for business {business_id} on sip:hero365@{where}[/green] "
                      "(Ctrl-C to stop)")
        done = asyncio.Event()
        answered = 0

        async def handler(leg: object) -> None:
            nonlocal answered
            report = await answer_call(leg, store, business_id, settings, speech=speech)  # type: ignore[arg-type]
            answered += 1
            console.print(f"call from {getattr(leg, 'remote', '?')}: {len(report.transcript)} messages, "
                          f"outcomes {report.outcomes or '-'}, ended by {report.hung_up_by}"
                          + (f", error {report.error}" if report.error else ""))
            if calls and answered >= calls:
                done.set()

        serving = asyncio.create_task(trunk.serve_inbound(handler))
        try:
            await done.wait()
        finally:
            serving.cancel()
    except OSError as exc:
        err.print(f"[red]Could not listen for SIP: {exc}[/red] (is another program on that port? try --port)")
        raise typer.Exit(1) from None
    finally:
        await trunk.aclose()
        await store.close()


@app.command("setup-livekit")
@run_async
async def setup_livekit(number: list[str] = typer.Option(..., "--number", help="Phone number(s) the inbound "
                                                                               "trunk answers (E.164)"),
                        business: int | None = typer.Option(None, "--business")) -> None:
    """Create the LiveKit SIP inbound trunk and the dispatch rule sending its calls to the receptionist."""
    from ..calls.telephony.livekit_sip import setup_inbound

    settings = get_settings()
    store = Store(settings)
    try:
        business_id = (await default_actor(store, business)).business_id
        trunk_id, rule_id = await setup_inbound(settings, business_id, number)
        console.print(f"inbound trunk {trunk_id}, dispatch rule {rule_id} -> the receptionist of business "
                      f"{business_id}")
    finally:
        await store.close()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="phone")
