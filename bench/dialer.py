"""Dialer throughput: a campaign of N contacts (1,000 by default) placed over the local SIP trunk to a real SIP
peer (sipp as UAS: answers every call; our side hangs up at once: a line check, no agent speaking).

    .venv/bin/python bench/dialer.py                      # 1,000 contacts, 20 calls at once, SQLite
    .venv/bin/python bench/dialer.py --contacts 200 --concurrency 10
    .venv/bin/python bench/dialer.py --postgres           # in a throw-away database on 127.0.0.1:5432

What is measured, end to end through the real code: campaign start (audience -> attempt rows, each checked by
the compliance rules and logged), then for every attempt the in-process queue -> compliance check again with
its decision logged -> conditional claim -> SIP INVITE/180/200/ACK over UDP on 127.0.0.1 -> RTP line opened
-> BYE -> the outcome written to the attempt and the contact's interactions.
- calls_per_s: attempts finished per second of the dialing phase;
- setup p50/p99: from `Trunk.dial` to the answered leg (INVITE -> 200 OK -> ACK, media up);
- compliance check per call: the service (loads the contact, lists, consent, relationship; logs the decision)
  and the pure rule alone.
Calling hours are opened to 0-24 (and holidays off) so the benchmark runs at any hour; it says so.
Prints a rich table, then one JSON line {"bench": "dialer", "calls_per_s", "setup_p50_ms", "setup_p99_ms", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from hero365.calls import tables as ct
from hero365.calls.audiences import Audience, AudienceKind
from hero365.calls.campaigns import campaign_status, create_campaign, start_campaign
from hero365.calls.checks import set_rules
from hero365.calls.compliance import CallFacts, decide
from hero365.calls.dialer import Dialer, LineCheck
from hero365.calls.queue import LocalQueue
from hero365.calls.telephony.local_sip import LocalSipTrunk
from hero365.config import Settings
from hero365.erp.cache import MemoryCache
from hero365.erp.domain.tenancy import Role
from hero365.erp.services import businesses
from hero365.erp.store import tables as et
from hero365.erp.store.db import Store
from hero365.insights.tables import map_insights
from hero365.voice.state import Purpose

console = Console()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def seed(store: Store, n: int) -> tuple[int, object, list[int]]:
    """A business with `n` customers in Austin, each with a job (an existing relationship), in bulk."""
    biz, owner_user = await businesses.create_business(store, "Bench Plumbing", "America/Chicago",
                                                       owner_name="Bea Bench", owner_email="bea@bench.test")
    owner = await businesses.actor_for(store, owner_user.id, biz.id)  # type: ignore[arg-type]
    office_user = await businesses.add_member(store, owner, "Otis Office", "otis@bench.test", Role.OFFICE)
    office = await businesses.actor_for(store, office_user.id, biz.id)  # type: ignore[arg-type]
    now = store.clock()
    async with store.engine.begin() as conn:
        ids = []
        for i in range(n):
            cid = (await conn.execute(sa.insert(et.contacts).values(
                business_id=biz.id, name=f"Customer {i}", kind="customer", city="Austin", state="TX",
                marketing_consent=False, do_not_call=False, created_at=now).returning(et.contacts.c.id))).scalar_one()
            ids.append(cid)
        await conn.execute(sa.insert(et.contact_phones), [
            {"business_id": biz.id, "contact_id": cid, "number": f"+1512{2000000 + i:07d}", "label": "mobile"}
            for i, cid in enumerate(ids)])
        await conn.execute(sa.insert(et.jobs), [
            {"business_id": biz.id, "number": i + 1, "title": "Annual service", "contact_id": cid,
             "duration_minutes": 60, "status": "scheduled", "created_at": now} for i, cid in enumerate(ids)])
    async with store.uow(biz.id) as uow:  # type: ignore[arg-type]
        await set_rules(uow, window_start=0, window_end=24, days="0123456", holidays="none")
    return biz.id, office, ids  # type: ignore[return-value]


async def pg_database(admin_url: str) -> str:
    """A fresh database on the PostgreSQL server of `admin_url` (dropped at the end)."""
    import uuid

    import asyncpg

    name = f"h365_bench_dialer_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return "postgresql+asyncpg://" + admin_url.split("://", 1)[1].rsplit("/", 1)[0] + f"/{name}"


async def pg_drop(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> dict[str, float]:
    map_insights()
    tmp = Path(tempfile.mkdtemp(prefix="h365-bench-dialer-"))
    url = await pg_database(args.postgres) if args.postgres else f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    settings = Settings(database_url=url, redis_url=None, calling_hours_start=0, calling_hours_end=24,
                        calling_holidays="none", dialer_concurrency=args.concurrency)
    store = Store(settings, cache=MemoryCache(), clock=lambda: datetime.now(UTC))
    await store.create_all()
    _business_id, office, ids = await seed(store, args.contacts)
    port = free_port()
    # a long-lived peer: Popen returns at once
    sipp = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-mp",  # noqa: ASYNC220
                             str(free_port()),
                             "-nostdin", "-trace_stat", "-stf", str(tmp / "sipp_stat.csv"), "-fd", "1"],
                            stdout=subprocess.DEVNULL, stderr=(tmp / "sipp.err").open("w"), cwd=tmp)
    trunk = LocalSipTrunk(settings, bind_port=0, trunk_uri=f"sip:127.0.0.1:{port}", rtp_ports=(40000, 40999))
    await trunk.start()
    queue = LocalQueue(args.concurrency, store.clock)
    dialer = Dialer(store, trunk, worker_id="bench", conversation=LineCheck(0.0), enqueue=queue.enqueue,
                    settings=settings)
    queue.dialer = dialer
    try:
        cid = await create_campaign(store, office, name="Bench", purpose=Purpose.APPOINTMENT_REMINDER,  # type: ignore[arg-type]
                                    audience=Audience(kind=AudienceKind.CONTACTS, contact_ids=ids), hours=(0, 24),
                                    max_attempts=1)
        t0 = time.perf_counter()
        await start_campaign(store, office, cid, queue)  # type: ignore[arg-type]
        t1 = time.perf_counter()
        await queue.drain(600)
        t2 = time.perf_counter()
        status = await campaign_status(store, office, cid)  # type: ignore[arg-type]
    finally:
        await queue.aclose()
        await trunk.aclose()
        sipp.terminate()
        try:
            sipp.wait(5)
        except subprocess.TimeoutExpired:
            sipp.kill()
    a = ct.call_attempts.c
    async with store.engine.connect() as conn:
        decisions = (await conn.execute(sa.select(sa.func.count()).select_from(ct.call_decisions))).scalar_one()
        errors = (await conn.execute(sa.select(a.error, sa.func.count()).where(a.state != "completed")
                                     .group_by(a.error).limit(3))).all()
    for error, count in errors:
        console.print(f"[yellow]{count} attempts not completed:[/yellow] {error}")
    if errors and sipp.returncode not in (None, 0, -15):
        console.print(f"[yellow]sipp exited {sipp.returncode}:[/yellow] {(tmp / 'sipp.err').read_text()[-500:]}")
    await store.close()
    if args.postgres:
        await pg_drop(args.postgres, url.rsplit("/", 1)[1])
    facts = CallFacts(number="+15122000000", marketing=False, zones=("America/Chicago",),
                      business_zone="America/Chicago", relationship=True)
    at = datetime.now(UTC)
    n = 20000
    s0 = time.perf_counter()
    for _ in range(n):
        decide(facts, at)
    pure_us = (time.perf_counter() - s0) / n * 1e6
    setup = [s * 1000 for s in dialer.setup_seconds]
    checks = [s * 1000 for s in dialer.check_seconds]
    completed = status.by_state.get("completed", 0)
    out = {
        "contacts": args.contacts, "concurrency": args.concurrency, "database": url.split(":", 1)[0],
        "completed": completed, "other_states": {k: v for k, v in status.by_state.items() if k != "completed"},
        "start_s": round(t1 - t0, 3), "dial_s": round(t2 - t1, 3),
        "calls_per_s": round(completed / (t2 - t1), 1) if t2 > t1 else 0.0,
        "setup_p50_ms": round(pct(setup, 0.5), 2), "setup_p99_ms": round(pct(setup, 0.99), 2),
        "check_p50_ms": round(pct(checks, 0.5), 2), "check_p99_ms": round(pct(checks, 0.99), 2),
        "check_mean_ms": round(statistics.fmean(checks), 2) if checks else None,
        "rule_only_us": round(pure_us, 1), "decisions_logged": decisions,
    }
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--postgres", nargs="?", const="postgresql://postgres@127.0.0.1:5432/postgres",
                        default=None, metavar="ADMIN_URL", help="run on PostgreSQL (a throw-away database)")
    args = parser.parse_args()
    if not shutil.which("sipp"):
        console.print("[red]sipp is not installed (Debian sip-tester): no SIP peer to call, nothing measured.[/red]")
        sys.exit(2)
    r = asyncio.run(run(args))
    table = Table(title=f"dialer: {r['contacts']} contacts, {r['concurrency']} calls at once, {r['database']}, "
                        "local SIP trunk -> sipp UAS on 127.0.0.1 (line check: answer, hang up)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [("calls completed", f"{r['completed']}" + (f" (other: {r['other_states']})" if r["other_states"] else "")),
            ("campaign start (attempt rows + compliance)", f"{r['start_s']:.2f} s"),
            ("dialing phase", f"{r['dial_s']:.2f} s"),
            ("calls placed per second", f"{r['calls_per_s']:.1f}"),
            ("call setup p50 / p99 (INVITE -> answered leg)",
             f"{r['setup_p50_ms']:.2f} / {r['setup_p99_ms']:.2f} ms"),
            ("compliance check per call p50 / p99 (service, DB)",
             f"{r['check_p50_ms']:.2f} / {r['check_p99_ms']:.2f} ms"),
            ("compliance rule alone (pure)", f"{r['rule_only_us']:.1f} µs"),
            ("decisions logged (start + dial)", str(r["decisions_logged"]))]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    console.print("[dim]calling hours opened to 0-24 and holidays off for the run, so it measures at any hour[/dim]")
    print(json.dumps({"bench": "dialer", "calls_per_s": r["calls_per_s"], "setup_p50_ms": r["setup_p50_ms"],
                      "setup_p99_ms": r["setup_p99_ms"], "check_p50_ms": r["check_p50_ms"],
                      "rule_only_us": r["rule_only_us"], "contacts": r["contacts"], "completed": r["completed"],
                      "concurrency": r["concurrency"], "database": r["database"]}))


if __name__ == "__main__":
    main()
