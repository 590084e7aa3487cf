"""Key rotation for the conversation store: add a key, re-encrypt every stored value under it, retire the old.

Re-encryption walks each encrypted column in id order, a batch per transaction: a crash part-way leaves
every row readable (old and new keys both decrypt) and a re-run carries on. Values written before
encryption existed are encrypted on the way. A value no configured key opens is counted and left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from ..erp.store.db import Store
from .crypto import Keyring, KeysError, attach, key_file, load_keys, write_key_file

#: Every encrypted column: table -> columns.
ENCRYPTED: dict[str, tuple[str, ...]] = {"conversation_events": ("text", "arguments"),
                                         "conversations": ("recording_ref",)}


@dataclass
class Rotation:
    """What a re-encryption pass did."""

    rows: int = 0
    values: int = 0
    unreadable: int = 0
    per_table: dict[str, int] = field(default_factory=dict)


def new_key() -> str:
    return Fernet.generate_key().decode()


async def reencrypt(store: Store, ring: Keyring, batch: int = 500, only_old: bool = False) -> Rotation:
    """Every encrypted value under the ring's newest key (batches of `batch` rows, one transaction each);
    `only_old` leaves the values the newest key already opens as they are."""
    report = Rotation()
    for name, columns in ENCRYPTED.items():
        raw = sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in columns))
        last, changed_rows = 0, 0
        while True:
            async with store.engine.begin() as conn:
                rows = (await conn.execute(sa.select(raw).where(raw.c.id > last).order_by(raw.c.id)
                                           .limit(batch))).all()
                if not rows:
                    break
                updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
                for row in rows:
                    new: dict[str, Any] = {}
                    for col in columns:
                        value = getattr(row, col)
                        if value is None or (only_old and ring.primary_opens(value)):
                            continue
                        try:
                            rotated = ring.rotate(value)
                        except InvalidToken:
                            report.unreadable += 1
                            continue
                        new[col] = rotated
                        report.values += 1
                    if new:
                        updates.setdefault(tuple(sorted(new)), []).append({"_id": row.id, **new})
                for cols, params in updates.items():
                    await conn.execute(sa.update(raw).where(raw.c.id == sa.bindparam("_id")).values(
                        {c: sa.bindparam(c) for c in cols}), params)
                    changed_rows += len(params)
                last = rows[-1].id
        report.per_table[name] = changed_rows
        report.rows += changed_rows
    return report


def _file_ring(store: Store) -> Keyring:
    if store.settings.conversation_keys:
        raise KeysError("CONVERSATION_KEYS is set, so the keys live in your configuration, not in a file: put a "
                        "new key (`hero365 keys new`) first in CONVERSATION_KEYS, restart, then run "
                        "`hero365 keys rotate --reencrypt-only`.")
    return Keyring(load_keys(store.settings), key_file(store.settings))


async def rotate(store: Store, batch: int = 500) -> tuple[Keyring, Rotation]:
    """Add a new newest key to the key file, then re-encrypt every value under it (old keys still decrypt)."""
    ring = _file_ring(store)
    ring = Keyring([new_key(), *ring.keys], ring.path)
    assert ring.path is not None
    write_key_file(ring.path, ring.keys)
    attach(store, ring)
    report = await reencrypt(store, ring, batch)
    await reencrypt_recordings(store, ring, report, batch=batch)
    return ring, report


async def reencrypt_recordings(store: Store, ring: Keyring, report: Rotation, only_old: bool = False,
                               batch: int = 500) -> None:
    """Call recording files under the newest key too (each file rewritten beside itself, then renamed). A file
    no configured key opens is counted apart: it is already lost, so it does not hold back a retire."""
    import asyncio

    from ..calls.recording import reencrypt_all

    files = await asyncio.to_thread(reencrypt_all, store.settings, ring, only_old, batch)
    report.per_table["recordings"] = files.files
    report.per_table["recordings_unreadable"] = files.unreadable


async def retire(store: Store, batch: int = 500) -> tuple[Keyring, Rotation]:
    """Re-encrypt anything still under an older key, then keep only the newest key in the key file.

    Run it once every process has picked up the rotated file (they re-read it within seconds)."""
    ring = _file_ring(store)
    report = await reencrypt(store, ring, batch, only_old=True)
    await reencrypt_recordings(store, ring, report, only_old=True, batch=batch)
    if report.unreadable:
        raise KeysError(f"{report.unreadable} value(s) open with none of the keys; nothing retired.")
    kept = Keyring(ring.keys[:1], ring.path)
    assert kept.path is not None
    write_key_file(kept.path, kept.keys)
    attach(store, kept)
    return kept, report


async def key_usage(store: Store, ring: Keyring) -> dict[str, int]:
    """How many stored values each key opens (by fingerprint), plus plaintext and unreadable ones."""
    from .crypto import TOKEN_PREFIX, fingerprint

    fernets = [(fingerprint(k), Fernet(k.encode())) for k in ring.keys]
    counts = {fp: 0 for fp, _ in fernets} | {"plaintext": 0, "unreadable": 0}
    for name, columns in ENCRYPTED.items():
        raw = sa.table(name, *(sa.column(c, sa.Text) for c in columns))
        async with store.engine.connect() as conn:
            result = await conn.stream(sa.select(raw))
            async for row in result:
                for value in row:
                    if value is None:
                        continue
                    if not value.startswith(TOKEN_PREFIX):
                        counts["plaintext"] += 1
                        continue
                    for fp, f in fernets:
                        try:
                            f.decrypt(value.encode())
                            counts[fp] += 1
                            break
                        except InvalidToken:
                            continue
                    else:
                        counts["unreadable"] += 1
    return counts
