"""`hero365 report` (analytics over the conversation store) and `hero365 keys` (the store's encryption keys)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ..config import get_settings
from ..erp.store.db import Store
from .common import console, default_actor, err, run_async

keys_app = typer.Typer(help="The conversation store's encryption keys (Fernet, newest first).",
                       no_args_is_help=True)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _num(x: float | int | None, unit: str = "") -> str:
    return "–" if x is None else f"{x:,.0f}{unit}" if isinstance(x, int) or x >= 100 else f"{x:.1f}{unit}"


def _print(report: dict[str, Any]) -> None:
    w = report["window"]
    console.print(f"[bold]Voice agents, {w['start']} – {w['end']}[/bold] ({w['period']}, {w['timezone']})")
    t = Table("agent", "conv.", "avg dur.", "resolved", "tool err.", "booked", "resched.", "promised",
              "reply p50/p95", "v2v p95", caption="booked, resched., promised: conversations that completed a "
              "booking, a reschedule, a payment promise; v2v: voice to voice")
    for f in report["agents"]:
        lat = f["latency_ms"]
        r, v = lat.get("response_ms", {}), lat.get("v2v_ms", {})
        t.add_row(f"[bold]{f['agent']}[/bold]" if f["agent"] == "all" else f["agent"], str(f["conversations"]),
                  _num(f["avg_duration_s"], " s"), _pct(f["resolution_rate"]), _pct(f["tool_error_rate"]),
                  str(f["conversions"]["booking"]), str(f["conversions"]["reschedule"]),
                  str(f["conversions"]["payment_promise"]),
                  f"{_num(r.get('p50'))}/{_num(r.get('p95'), ' ms')}", _num(v.get("p95"), " ms"))
    console.print(t)
    overall = report["agents"][-1]
    intents = Table("top intents", "turns", "failed")
    failed = {i["intent"]: i["count"] for i in overall["failed_intents"]}
    for i in overall["top_intents"]:
        intents.add_row(escape(i["intent"]), str(i["count"]), str(failed.get(i["intent"], 0)))
    console.print(intents)
    if report["failed_utterances"]:
        said = Table("failed utterance (redacted)", "agent", "intent")
        for u in report["failed_utterances"]:
            said.add_row(escape(u["text"]), u["agent"], u["intent"] or "–")  # "[phone]" is not rich markup
        console.print(said)
    funnels = report["funnels"]
    if funnels["funnels"]:
        cols = [k for k in funnels["funnels"][0] if k not in ("campaign_id",)]
        ft = Table(*cols, title="campaign funnels")
        for f in funnels["funnels"]:
            ft.add_row(*(_pct(f[c]) if c.endswith("rate") else escape(str(f[c])) for c in cols))
        console.print(ft)
    console.print(f"[dim]{funnels['note']}[/dim]")


@run_async
async def report(
    period: Annotated[str, typer.Option(help="day, week or month: the current one unless --start/--end")] = "week",
    start: Annotated[str | None, typer.Option(help="First local day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option(help="Last local day (YYYY-MM-DD)")] = None,
    agent: Annotated[str | None, typer.Option(help="personal, sales, support or receptionist")] = None,
    business: Annotated[int | None, typer.Option(help="Business id (the demo business by default)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """What the voice agents did: conversations, resolution, conversions, intents, failures, latency, funnels."""
    from ..insights import analytics as an
    from ..insights.crypto import attach
    from ..insights.funnels import funnels
    from ..insights.periods import PeriodError, window
    from ..voice.state import AgentKind

    if agent is not None and agent not in {k.value for k in AgentKind}:
        raise typer.BadParameter(f"{agent!r} is not an agent: use personal, sales, support or receptionist.")
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise typer.BadParameter("Dates are YYYY-MM-DD.") from None
    store = Store(get_settings())
    try:
        attach(store)
        actor = await default_actor(store, business)
        bid = actor.business_id
        tz = await an.business_zone(store, bid)
        try:
            win = window(period, store.clock().astimezone(tz).date(), tz, first, last)  # type: ignore[arg-type]
        except PeriodError as exc:
            raise typer.BadParameter(str(exc)) from None
        figs = await an.figures(store, bid, win, agent)
        out = {"business_id": bid,
               "window": {"period": period, "start": win.first.isoformat(), "end": win.last.isoformat(),
                          "timezone": str(tz)},
               "agents": [f.as_dict() for f in figs.values()],
               "failed_utterances": await an.failed_utterances(store, bid, win, agent),
               "funnels": await funnels(store, bid, win)}
    finally:
        await store.close()
    if as_json:
        print(json.dumps(out, default=str))
    else:
        _print(out)


@keys_app.command("new")
def new() -> None:
    """Print a fresh key (for CONVERSATION_KEYS: put it first, keep the old ones after it)."""
    from ..insights.keys import new_key

    print(new_key())


@keys_app.command("list")
@run_async
async def list_keys() -> None:
    """The keys in use (fingerprints, never the keys) and how many stored values each one opens."""
    from ..insights.crypto import Keyring, fingerprint, key_file
    from ..insights.keys import key_usage

    settings = get_settings()
    store = Store(settings)
    try:
        ring = Keyring.from_settings(settings)
        usage = await key_usage(store, ring)
    finally:
        await store.close()
    source = "CONVERSATION_KEYS" if settings.conversation_keys else str(key_file(settings))
    t = Table("#", "fingerprint", "role", "values", title=f"conversation keys ({source})")
    for i, key in enumerate(ring.keys):
        fp = fingerprint(key)
        t.add_row(str(i + 1), fp, "encrypts and decrypts" if i == 0 else "decrypts only", str(usage[fp]))
    console.print(t)
    if usage["plaintext"] or usage["unreadable"]:
        err.print(f"[yellow]{usage['plaintext']} value(s) from before encryption (`hero365 keys rotate` encrypts "
                  f"them); {usage['unreadable']} that no configured key opens.[/yellow]")


@keys_app.command("rotate")
@run_async
async def rotate(
    reencrypt_only: Annotated[bool, typer.Option(help="Add no key: re-encrypt under the newest configured key "
                                                      "(what to run after changing CONVERSATION_KEYS)")] = False,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500,
) -> None:
    """Add a new key (newest first) and re-encrypt every stored value under it; old keys still decrypt until
    `hero365 keys retire`."""
    from ..insights import keys
    from ..insights.crypto import Keyring, KeysError, fingerprint

    store = Store(get_settings())
    try:
        if reencrypt_only:
            ring = Keyring.from_settings(store.settings)
            done = await keys.reencrypt(store, ring, batch)
            await keys.reencrypt_recordings(store, ring, done, batch=batch)
        else:
            ring, done = await keys.rotate(store, batch)
    except KeysError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        await store.close()
    console.print(f"Re-encrypted {done.values} value(s) in {done.rows} row(s) under key {fingerprint(ring.keys[0])} "
                  f"({len(ring.keys)} key(s) configured); {done.per_table.get('recordings', 0)} call recording(s).")
    if done.unreadable:
        err.print(f"[yellow]{done.unreadable} value(s) open with none of the keys; left as they are.[/yellow]")
    if done.per_table.get("recordings_unreadable"):
        err.print(f"[yellow]{done.per_table['recordings_unreadable']} call recording(s) open with none of the "
                  "keys; left as they are.[/yellow]")


@keys_app.command("retire")
@run_async
async def retire(batch: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500) -> None:
    """Re-encrypt anything still under an older key, then keep only the newest key in the key file (run it
    once every process has picked up the rotated keys)."""
    from ..insights import keys
    from ..insights.crypto import KeysError, fingerprint

    store = Store(get_settings())
    try:
        ring, done = await keys.retire(store, batch)
    except KeysError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        await store.close()
    console.print(f"Re-encrypted {done.values} value(s); only key {fingerprint(ring.keys[0])} is kept.")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.add_typer(keys_app, name="keys")
