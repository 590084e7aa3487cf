"""The `hero365` command: one Typer app, one module per area."""

from __future__ import annotations

import typer

from . import alerts, calls, chat, erp, gateway, insights, nlu, outbox, phone, recordings, speech, worker

app = typer.Typer(help="Hero365 Voice: voice agents over a home-service business's ERP.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


@app.callback()
def _main() -> None:
    """Every command's logs have phone numbers, e-mails and card numbers redacted (insights.redact)."""
    from ..insights.redact import install_log_redaction

    install_log_redaction()


app.add_typer(erp.db_app, name="db")
app.add_typer(nlu.app, name="nlu")
app.add_typer(gateway.audit_app, name="audit")
app.add_typer(alerts.app, name="alerts")
app.add_typer(outbox.app, name="outbox")
erp.register(app)
app.command("chat")(chat.chat)
app.command("worker")(worker.worker)
app.command("serve")(gateway.serve)
app.command("token")(gateway.token)
speech.register(app)
calls.register(app)
phone.register(app)
insights.register(app)
recordings.register(app)
