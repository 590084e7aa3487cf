"""`hero365 worker`: run a LiveKit agent worker for one agent kind (deployments with a LiveKit server)."""

from __future__ import annotations

import os
import tempfile
from typing import Annotated

import typer

from .common import err


def worker(kind: Annotated[str, typer.Option(help="Agent kind: personal, sales, support or receptionist.")]
           = "personal",
           log_level: Annotated[str, typer.Option(help="Log level (DEBUG, INFO, WARNING, ERROR).")] = "INFO",
           port: Annotated[int, typer.Option(help="Health-check HTTP port; give each worker on a host its own "
                                                   "(0 picks a free one).")] = 8081,
           metrics_port: Annotated[int | None, typer.Option(
               help="Serve Prometheus metrics (hero365_* from every job process, and LiveKit's) at "
                    "http://HOST:PORT/metrics.")] = None,
           metrics_dir: Annotated[str | None, typer.Option(
               help="Folder for the job processes' metric files (PROMETHEUS_MULTIPROC_DIR; emptied at start). "
                    "Default: a new temporary folder.")] = None) -> None:
    """Register with the LiveKit server as hero365-KIND and run dispatched conversations until stopped.

    Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET; run one per kind, more for scale-out.
    """
    from ..config import get_settings
    from ..erp.domain.errors import DomainError

    if metrics_port is not None:  # before prometheus_client is imported: this process writes files too
        metrics_dir = metrics_dir or tempfile.mkdtemp(prefix="hero365-metrics-")
        os.makedirs(metrics_dir, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    from livekit.agents import cli

    from ..insights.metrics import metrics_run_app
    from ..voice.dispatch import agent_name
    from ..voice.worker import run

    try:
        agent_name(kind)
        run(kind, log_level=log_level, port=port, settings=get_settings(),
            run_app=metrics_run_app(metrics_port, metrics_dir) if metrics_port is not None else cli.run_app)
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
