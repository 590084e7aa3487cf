"""Do-not-call lists: the business's own (opt-outs land here at once) and the imported national one.

The national file is streamed: millions of lines, any common format (one number per line, or CSV whose first
column or a column of 10 digits is the number; '#' comments), normalised to E.164 and inserted in batches with
ON CONFLICT DO NOTHING, so importing the same file twice changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..erp.domain.contacts import normalize_phone
from ..erp.domain.errors import DomainError
from ..erp.store.db import Store
from . import repo
from . import tables as t

_DIGITS = re.compile(r"\+?\d[\d\s().-]{6,18}\d")
BATCH = 10_000


@dataclass
class ImportReport:
    lines: int = 0
    numbers: int = 0
    added: int = 0
    rejected: int = 0


def numbers_in(path: Path) -> Iterator[str | None]:
    """Each line's number in E.164, or None for a line that holds none (counted as rejected)."""
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            found = _DIGITS.search(line)
            if not found:
                yield None
                continue
            fast = _nanp(found.group(0))
            if fast is not None:
                yield fast
                continue
            try:
                yield normalize_phone(found.group(0))
            except DomainError:
                yield None


def _nanp(text: str) -> str | None:
    """A plain North American number (NXX-NXX-XXXX, optionally with 1 / +1) straight to E.164: the national
    file is hundreds of millions of these, and the general parser is ~20x slower; anything else goes to it."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789":
        return "+1" + digits
    return None


async def import_national(store: Store, path: Path) -> ImportReport:
    """Stream `path` into national_dnc (idempotent), one transaction per batch of plain executemany INSERT ...
    ON CONFLICT DO NOTHING (the driver's fast path); "added" is the table's growth, counted once at each end."""
    report = ImportReport()
    batch: set[str] = set()
    insert = (sqlite.insert if store.is_sqlite else postgresql.insert)(t.national_dnc).on_conflict_do_nothing()
    count = sa.select(sa.func.count()).select_from(t.national_dnc)
    async with store.engine.connect() as conn:
        before = int((await conn.execute(count)).scalar_one())

    async def flush() -> None:
        if not batch:
            return
        at = store.clock()
        async with store.engine.begin() as conn:
            await conn.execute(insert, [{"number": n, "imported_at": at} for n in sorted(batch)])
        batch.clear()

    for number in numbers_in(path):
        report.lines += 1
        if number is None:
            report.rejected += 1
            continue
        report.numbers += 1
        batch.add(number)
        if len(batch) >= BATCH:
            await flush()
    await flush()
    async with store.engine.connect() as conn:
        report.added = int((await conn.execute(count)).scalar_one()) - before
    return report


async def opt_out_number(store: Store, business_id: int, number: str, source: str,
                         contact_id: int | None = None) -> list[int]:
    """"Stop calling me" (words or DTMF 9): the number on the business's list, the contact flagged, and every
    queued attempt to that number cancelled, in one transaction. Returns the cancelled attempts' ids."""
    from ..erp.domain.contacts import Interaction, InteractionKind

    async with store.uow(business_id) as uow:
        await repo.add_business_dnc(uow, number, source)
        if contact_id is not None:
            contact = await uow.contacts.get(contact_id)
            if contact is not None and not contact.do_not_call:
                contact.opt_out(store.clock(), source)
                uow.contacts.add_interaction(Interaction(
                    business_id=business_id, contact_id=contact_id, kind=InteractionKind.OPT_OUT,
                    summary=f"Asked not to be called ({source})", created_at=store.clock(), channel="phone"))
        return await repo.cancel_queued(uow, number=number, reason=f"opted out: {source}")


async def add_to_business_list(store: Store, business_id: int, raw: str, source: str) -> str:
    number = normalize_phone(raw)
    async with store.uow(business_id) as uow:
        await repo.add_business_dnc(uow, number, source)
        await repo.cancel_queued(uow, number=number, reason=f"added to the do-not-call list: {source}")
    return number
