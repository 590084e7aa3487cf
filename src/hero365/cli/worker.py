"""`hero365 worker`: run a LiveKit agent worker for one agent kind (deployments with a LiveKit server)."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import err


def worker(kind: Annotated[str, typer.Option(help="Agent kind: personal, sales, support or receptionist.")]
           = "personal",
           log_level: Annotated[str, typer.Option(help="Log level (DEBUG, INFO, WARNING, ERROR).")] = "INFO",
           port: Annotated[int, typer.Option(help="Health-check HTTP port; give each worker on a host its own "
                                                   "(0 picks a free one).")] = 8081) -> None:
    """Register with the LiveKit server as hero365-KIND and run dispatched conversations until stopped.

    Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET; run one per kind, more for scale-out.
    """
    from ..config import get_settings
    from ..erp.domain.errors import DomainError
    from ..voice.dispatch import agent_name
    from ..voice.worker import run

    try:
        agent_name(kind)
        run(kind, log_level=log_level, port=port, settings=get_settings())
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
