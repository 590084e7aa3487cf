"""ERP operation latency: the ten operations agents make most, on the demo business, on SQLite and PostgreSQL.

    .venv/bin/python bench/erp_ops.py                 # scale 100, SQLite + PostgreSQL (if it answers)
    .venv/bin/python bench/erp_ops.py --quick         # scale 10, fewer iterations: under a minute
    .venv/bin/python bench/erp_ops.py --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Each operation is timed end to end through the service layer: opening the unit of work, the service call,
and the commit. Operations run interleaved (one of each per round), so writes invalidate the cache the
reads use, as they would in a live business. Writes keep the data valid: jobs are booked into free slots,
status moves are legal (scheduled <-> on hold), payments never exceed the balance, invoices go to finished
work that has none. The clock is pinned to a weekday morning so "today" is a working day.

Prints a table of p50/p99 per operation per database, then one JSON line:
{"bench": "erp_ops", "p99_ms_max": ..., "ops": {"sqlite": {op: {"p50_ms", "p99_ms"}}, "postgres": {...}}}
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hero365.config import Settings
from hero365.erp import demo
from hero365.erp.cache import MemoryCache
from hero365.erp.domain.errors import DomainError
from hero365.erp.domain.jobs import JobStatus
from hero365.erp.services import billing, businesses, common, inventory, jobs
from hero365.erp.store import tables as t
from hero365.erp.store.db import Store
from hero365.erp.store.migrate import upgrade

#: Monday 2026-11-23, 10:00 in Chicago: a working morning (jobs done, in progress and ahead).
NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
OPS = ["today_schedule", "find_contact", "job_by_number", "create_job", "update_status", "create_invoice",
       "record_payment", "overdue_invoices", "stock_check", "free_slots"]
STOCK_QUERIES = ["furnace filter", "pex coupling", "half inch copper fitting", "WH-G40", "R-410A refrigerant",
                 "20 amp GFCI outlet", "capacitor", "toilet flapper", "breaker panel", "ball valve"]
TITLES = ["Drain cleaning", "AC tune-up", "Leaking faucet repair", "GFCI outlet install", "Furnace tune-up",
          "Toilet repair", "Ceiling fan install", "Water heater flush"]


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


class Bench:
    """State for the write operations, so every write is a valid one."""

    def __init__(self, store: Store, info: demo.DemoInfo, seed: int) -> None:
        self.store, self.info = store, info
        self.bid = info.business_id
        self.rng = random.Random(seed)
        self.errors: dict[str, int] = {op: 0 for op in OPS}

    async def prepare(self) -> None:
        s, bid = self.store, self.bid
        self.owner = await businesses.actor_for(s, self.info.owner_user_id, bid)
        self.office = await businesses.actor_for(s, self.info.office_user_ids[0], bid)
        self.techs = [await businesses.actor_for(s, u, bid) for u in self.info.technician_user_ids]
        async with s.uow(bid) as uow:
            sess = uow.session
            c, j, i = t.contacts.c, t.jobs.c, t.invoices.c
            self.customers = [(r.id, r.name) for r in (await sess.execute(
                sa.select(c.id, c.name).where(c.business_id == bid, c.kind == "customer").order_by(c.id))).all()]
            self.job_numbers = list((await sess.execute(
                sa.select(j.number).where(j.business_id == bid).order_by(j.number))).scalars())
            self.holdable = list((await sess.execute(sa.select(j.number).where(
                j.business_id == bid, j.status == JobStatus.SCHEDULED.value, j.scheduled_start > NOW)
                .order_by(j.scheduled_start))).scalars())
            invoiced = sa.select(i.job_id).where(i.business_id == bid, i.job_id.is_not(None))
            self.uninvoiced = list((await sess.execute(sa.select(j.number, j.title).where(
                j.business_id == bid, j.status == JobStatus.COMPLETED.value, j.project_id.is_(None),
                j.id.not_in(invoiced)).order_by(j.number))).all())
            self.open_invoices = list((await sess.execute(sa.select(i.number).where(
                i.business_id == bid, i.status.in_(["sent", "partially_paid"])).order_by(i.number))).scalars())
        names = [n for _, n in self.customers]
        spoken = ["maria garcia", "the hendersons", "bob smith", "linda chen", "tom baker", "patel",
                  "acme property management", "jonson", "hendersen", "northside dental"]
        self.names = spoken + self.rng.sample(names, min(len(names), 30))
        self.rng.shuffle(self.holdable)
        self.rng.shuffle(self.open_invoices)
        self.status: dict[int, JobStatus] = {}
        self.slots: list[Any] = []
        self.slot_day = NOW.astimezone(ZONE).date() + timedelta(days=1)
        self.calls: dict[str, int] = {}

    async def next_slot(self) -> Any:
        """A free 60-minute slot from tomorrow on (found outside the timing)."""
        while not self.slots:
            async with self.store.uow(self.bid) as uow:
                self.slots = await jobs.technician_slots(uow, self.office, self.slot_day, 60, limit=2000)
            self.rng.shuffle(self.slots)
            if not self.slots:
                self.slot_day += timedelta(days=1)
        slot = self.slots.pop()
        self.slots = [s for s in self.slots if not (s.technician_id == slot.technician_id
                                                    and s.start < slot.end and slot.start < s.end)]
        return slot

    # --- the ten operations: each returns the coroutine to time, given an open unit of work ------------
    async def setup(self, op: str) -> Callable[[Any], Awaitable[Any]]:
        n = self.calls[op] = self.calls.get(op, 0) + 1  # per operation: rotations see every actor and name
        rng = self.rng
        if op == "today_schedule":
            actor = self.office if n % 5 == 0 else self.techs[n % len(self.techs)]
            return lambda uow: jobs.get_schedule(uow, actor)
        if op == "find_contact":
            name = self.names[n % len(self.names)]
            return lambda uow: common.find_contact(uow, self.office, name)
        if op == "job_by_number":
            number = rng.choice(self.job_numbers)
            return lambda uow: jobs.get_job_details(uow, self.owner, number)
        if op == "create_job":
            slot = await self.next_slot()
            contact_id, _ = rng.choice(self.customers)
            title = rng.choice(TITLES)
            return lambda uow: jobs.create_job(uow, self.office, contact_id, title, slot.start, 60,
                                               slot.technician_id)
        if op == "update_status":
            number = self.holdable[n % len(self.holdable)]
            to = JobStatus.SCHEDULED if self.status.get(number) == JobStatus.ON_HOLD else JobStatus.ON_HOLD
            self.status[number] = to
            return lambda uow: jobs.update_job_status(uow, self.office, to, number=number,
                                                      reason="waiting on parts" if to == JobStatus.ON_HOLD else None)
        if op == "create_invoice":  # half for a finished job by number, half "invoice <customer> $149"
            if self.uninvoiced and n % 2 == 0:
                number, title = self.uninvoiced.pop()
                lines = [(title, Decimal(1), rng.choice((18900, 12900, 24500))),
                         ("Labor, per hour", Decimal(rng.randint(1, 2)), 12500)]
                return lambda uow: billing.create_invoice(uow, self.office, job_number=number, title=title,
                                                          lines=lines)
            contact_id, name = rng.choice(self.customers)
            return lambda uow: billing.create_invoice(uow, self.office, customer=name, title="Service plan renewal",
                                                      amount_cents=14900)
        if op == "record_payment":
            number = self.open_invoices[n % len(self.open_invoices)]
            async with self.store.uow(self.bid) as uow:  # the balance, looked up outside the timing
                balance = (await uow.invoices.by_number(number)).balance_cents
            amount = balance if balance <= 5000 else balance // 3
            return lambda uow: billing.record_payment(uow, self.office, amount, number=number, method="card")
        if op == "overdue_invoices":
            return lambda uow: billing.overdue_summary(uow, self.office)  # what the agents ask for
        if op == "stock_check":
            query = STOCK_QUERIES[n % len(STOCK_QUERIES)]
            tech = self.techs[n % len(self.techs)]
            return lambda uow: inventory.check_inventory(uow, tech, query)
        if op == "free_slots":
            day = NOW.astimezone(ZONE).date() + timedelta(days=n % 3)
            return lambda uow: jobs.technician_slots(uow, self.office, day, 60)
        raise ValueError(op)

    async def after(self, op: str, result: Any) -> None:
        if op == "record_payment" and result is not None and result.balance_cents <= 0:
            self.open_invoices.remove(result.number)


ZONE: Any = None


async def run_db(label: str, url: str, scale: int, seed: int, iterations: int, warmup: int,
                 say: Callable[[str], None]) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, Any]]:
    global ZONE
    from zoneinfo import ZoneInfo

    ZONE = ZoneInfo(demo.TIMEZONE)
    store = Store(Settings(database_url=url, redis_url=None), cache=MemoryCache(), clock=Clock(NOW))
    try:
        t0 = time.perf_counter()
        await upgrade(store.engine)
        info = await demo.generate_demo(store, scale=scale, seed=seed, now=NOW)
        gen_s = time.perf_counter() - t0
        c = info.counts
        say(f"[{label}] demo business at scale {scale} in {gen_s:.1f}s (schema + data): {c['contacts']} contacts, "
            f"{c['jobs']} jobs ({c['jobs_today']} today), {c['invoices']} invoices ({c['invoices_overdue']} overdue), "
            f"{c['products']} products ({c['low_stock']} low), {len(info.technician_user_ids)} technicians")
        gc.collect()
        bench = Bench(store, info, seed)
        await bench.prepare()
        times: dict[str, list[float]] = {op: [] for op in OPS}
        cpu: dict[str, list[float]] = {op: [] for op in OPS}
        for round_ in range(warmup + iterations):
            for op in OPS:
                fn = await bench.setup(op)
                cpu_started = time.process_time()
                started = time.perf_counter()
                result = None
                try:
                    async with store.uow(bench.bid) as uow:
                        result = await fn(uow)
                except DomainError as exc:
                    bench.errors[op] += 1
                    if bench.errors[op] <= 3:
                        say(f"[{label}] {op}: {type(exc).__name__}: {exc.message}")
                elapsed = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - cpu_started) * 1000
                if round_ >= warmup:
                    times[op].append(elapsed)
                    cpu[op].append(cpu_ms)
                await bench.after(op, result)
        meta = {"generate_s": round(gen_s, 2), "counts": c, "errors": {k: v for k, v in bench.errors.items() if v}}
        return times, cpu, meta
    finally:
        await store.close()


async def pg_admin(url: str) -> Any:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    return await asyncpg.connect(dsn, timeout=3)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=None, help="demo scale (default 100; 10 with --quick)")
    ap.add_argument("--iterations", type=int, default=None, help="timed rounds per operation (default 300)")
    ap.add_argument("--quick", action="store_true", help="smaller scale and fewer rounds: under a minute")
    ap.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL server (a throw-away database is made on it)")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--seed", type=int, default=365)
    args = ap.parse_args()
    scale = args.scale or (10 if args.quick else 100)
    iterations = args.iterations or (60 if args.quick else 300)
    warmup = 5 if args.quick else 20

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    results: dict[str, dict[str, list[float]]] = {}
    cpus: dict[str, dict[str, list[float]]] = {}
    metas: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="h365-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"], cpus["sqlite"], metas["sqlite"] = await run_db(
                "sqlite", url, scale, args.seed, iterations, warmup, say)
    if not args.no_pg:
        name = f"h365_bench_{uuid.uuid4().hex[:10]}"
        try:
            conn = await pg_admin(args.pg_url)
        except Exception as exc:
            say(f"PostgreSQL is not answering at {args.pg_url} ({type(exc).__name__}: {exc}); PostgreSQL skipped.")
        else:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                base = args.pg_url.rsplit("/", 1)[0]
                url = f"{base}/{name}"
                if not url.startswith("postgresql+asyncpg://"):
                    url = "postgresql+asyncpg://" + url.split("://", 1)[1]
                results["postgres"], cpus["postgres"], metas["postgres"] = await run_db(
                    "postgres", url, scale, args.seed, iterations, warmup, say)
            finally:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.close()

    summary: dict[str, dict[str, dict[str, float]]] = {}
    for db, times in results.items():
        summary[db] = {op: {"p50_ms": round(pct(v, 0.5), 2), "p99_ms": round(pct(v, 0.99), 2),
                            "cpu_p50_ms": round(pct(cpus[db][op], 0.5), 2)} for op, v in times.items()}
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print_table(summary, scale, load)
    for db, meta in metas.items():
        if meta["errors"]:
            say(f"[{db}] operations that answered with a domain error (timed all the same): {meta['errors']}")
    worst = max((v["p99_ms"] for ops in summary.values() for v in ops.values()), default=float("nan"))
    print(json.dumps({"bench": "erp_ops", "scale": scale, "iterations": iterations, "p99_ms_max": worst,
                      "ops": summary, "cpus": os.cpu_count(), "loadavg_1m": load,
                      "generate_s": {db: m["generate_s"] for db, m in metas.items()}}))
    return 0


def print_table(summary: dict[str, dict[str, dict[str, float]]], scale: int, load: list[float]) -> None:
    """p50 and p99 wall time, and the median CPU time the process spent (which contention inflates far less)."""
    dbs = list(summary)
    note = (f"{os.cpu_count()} CPUs, 1-minute load average {load[0]} at the start and {load[1]} at the end "
            "(other processes' load inflates wall times; the CPU column is this process's own work)")
    cols = [("p50_ms", "p50"), ("p99_ms", "p99"), ("cpu_p50_ms", "cpu p50")]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text
        print(f"{'operation':18s}" + "".join(f"{db + ' ' + label:>18s}" for db in dbs for _, label in cols))
        for op in OPS:
            print(f"{op:18s}" + "".join(f"{summary[db][op][key]:18.2f}" for db in dbs for key, _ in cols))
        print(note)
        return
    table = Table(title=f"ERP operations, demo scale {scale}: ms per call, end to end",
                  caption=note)
    table.add_column("operation")
    for db in dbs:
        for _, label in cols:
            table.add_column(f"{db} {label}", justify="right")
    for op in OPS:
        cells = []
        for db in dbs:
            for key, _ in cols:
                value = summary[db][op][key]
                cells.append(f"[red]{value:.2f}[/red]" if key == "p99_ms" and value >= 10 else f"{value:.2f}")
        table.add_row(op, *cells)
    Console(width=150).print(table)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
