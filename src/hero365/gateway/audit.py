"""The audit log: who did what, for which business, with what outcome; append-only and hash-chained.

Each business has its own chain (chain 0 holds requests that named no business, e.g. a bad token), so a
business's trail can be verified or handed over on its own and writers for different businesses never wait
on each other. A record's hash covers its fields and the previous record's hash; `verify` recomputes every
chain and names the first record that doesn't fit (changed, removed or re-ordered).

Writes are group-committed by one task per process: a request waits for its own record's commit before its
response goes out (nothing is answered that isn't audited), while 50 concurrent requests cost one
transaction, not 50. Two processes on one database are safe: (chain, seq) is unique, and a writer that loses
the race re-reads the chain head and retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from .tables import audit_log

log = logging.getLogger(__name__)
GENESIS = "0" * 64
_FIELDS = ("chain", "seq", "at", "kind", "action", "business_id", "user_id", "subject", "outcome", "status",
           "request_id", "detail", "prev_hash")


def record_hash(row: dict[str, Any]) -> str:
    """SHA-256 of the record's fields (canonical JSON, times as ISO UTC) and the previous hash."""
    body = {k: (row[k].isoformat() if isinstance(row[k], datetime) else row[k]) for k in _FIELDS}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Entry:
    """One record waiting to be written (its chain position and hash are set at write time)."""

    kind: str
    action: str
    outcome: str
    business_id: int | None = None
    user_id: int | None = None
    subject: str | None = None
    status: int | None = None
    request_id: str | None = None
    detail: dict[str, Any] | None = None
    at: datetime | None = None
    done: asyncio.Future[None] | None = field(default=None, repr=False)


class AuditLog:
    """Appends entries in order, one group commit at a time; `append` returns when the entry is committed."""

    def __init__(self, engine: AsyncEngine, clock: Any) -> None:
        self.engine, self.clock = engine, clock
        self._queue: list[Entry] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.written = 0

    def submit(self, entry: Entry) -> asyncio.Future[None]:
        """Queue an entry without waiting (tool calls inside a turn); the future resolves on commit."""
        loop = asyncio.get_running_loop()
        entry.at = entry.at or self.clock()
        entry.done = loop.create_future()
        if self._closed:
            entry.done.set_exception(RuntimeError("the audit log is closed"))
            return entry.done
        self._queue.append(entry)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())
        return entry.done

    async def append(self, entry: Entry) -> None:
        await self.submit(entry)

    async def _run(self) -> None:
        while self._queue or not self._closed:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch, self._queue = self._queue, []
            try:
                await self._write(batch)
            except Exception as exc:
                log.exception("audit records could not be written (%d lost from this process)", len(batch))
                for e in batch:
                    if e.done is not None and not e.done.done():
                        e.done.set_exception(exc)
                continue
            self.written += len(batch)
            for e in batch:
                if e.done is not None and not e.done.done():
                    e.done.set_result(None)

    async def _write(self, batch: list[Entry]) -> None:
        by_chain: dict[int, list[Entry]] = defaultdict(list)
        for e in batch:
            by_chain[e.business_id or 0].append(e)
        for attempt in range(8):
            try:
                async with self.engine.begin() as conn:
                    rows = []
                    for chain, entries in sorted(by_chain.items()):
                        head = (await conn.execute(
                            sa.select(audit_log.c.seq, audit_log.c.hash).where(audit_log.c.chain == chain)
                            .order_by(audit_log.c.seq.desc()).limit(1))).first()
                        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
                        for e in entries:
                            seq += 1
                            row = {"chain": chain, "seq": seq, "at": e.at, "kind": e.kind, "action": e.action[:200],
                                   "business_id": e.business_id, "user_id": e.user_id,
                                   "subject": (e.subject or None) and e.subject[:200], "outcome": e.outcome[:60],
                                   "status": e.status, "request_id": e.request_id,
                                   "detail": json.dumps(e.detail, sort_keys=True, default=str) if e.detail else None,
                                   "prev_hash": prev}
                            row["at"] = _normal(row["at"])
                            row["hash"] = prev = record_hash(row)
                            rows.append(row)
                    await conn.execute(audit_log.insert(), rows)
                return
            except (IntegrityError, DBAPIError) as exc:  # another process appended to the chain: re-read the head
                if attempt == 7 or (isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError)
                                    and "locked" not in str(exc).lower()):
                    raise
                await asyncio.sleep(0.005 * (attempt + 1))

    async def close(self) -> None:
        """Write what is queued, then stop."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def _normal(at: datetime) -> datetime:
    """Microsecond-precise UTC, as the database gives it back (so the hash recomputes identically)."""
    from datetime import UTC

    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass
class Problem:
    """The first record of a chain that does not fit."""

    chain: int
    record_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"chain {self.chain} (business {self.chain or 'none'}): record id {self.record_id}, seq {self.seq}: " \
               f"{self.reason}"


@dataclass
class Verdict:
    chains: int = 0
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    heads: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(engine: AsyncEngine, business_id: int | None = None) -> Verdict:
    """Recompute every chain (or one business's): each record's hash, its link to the previous, no gaps."""
    verdict = Verdict()
    stmt = sa.select(audit_log).order_by(audit_log.c.chain, audit_log.c.seq)
    if business_id is not None:
        stmt = stmt.where(audit_log.c.chain == business_id)
    async with engine.connect() as conn:
        result = await conn.stream(stmt.execution_options(yield_per=2000))
        chain, seq, prev, broken = None, 0, GENESIS, False
        async for r in result.mappings():
            if r["chain"] != chain:
                if chain is not None:
                    verdict.heads[chain] = prev
                chain, seq, prev, broken = r["chain"], 0, GENESIS, False
                verdict.chains += 1
            verdict.records += 1
            if broken:
                continue
            reason = None
            if r["seq"] != seq + 1:
                reason = f"sequence jumps from {seq} to {r['seq']} (records were removed)"
            elif r["prev_hash"] != prev:
                reason = "its link to the previous record is wrong (a record before it was changed or removed)"
            elif record_hash(dict(r)) != r["hash"]:
                reason = "its content does not match its hash (the record was changed)"
            if reason:
                verdict.problems.append(Problem(r["chain"], r["id"], r["seq"], reason))
                broken = True
            seq, prev = r["seq"], r["hash"]
        if chain is not None:
            verdict.heads[chain] = prev
    return verdict
