"""The `hero365` command: one Typer app, one module per area."""

from __future__ import annotations

import typer

from . import chat, erp, gateway, nlu, speech, worker

app = typer.Typer(help="Hero365 Voice: voice agents over a home-service business's ERP.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.add_typer(erp.db_app, name="db")
app.add_typer(nlu.app, name="nlu")
app.add_typer(gateway.audit_app, name="audit")
erp.register(app)
app.command("chat")(chat.chat)
app.command("worker")(worker.worker)
app.command("serve")(gateway.serve)
app.command("token")(gateway.token)
speech.register(app)
