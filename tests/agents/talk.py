"""Helpers for the intent-by-intent conversation tests: what was said, which tool ran with exactly which
arguments, and what the database holds (every row of every table, read past caches and tenant scopes)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from hero365.erp.store.tables import metadata

Snapshot = dict[str, list[tuple[Any, ...]]]


def said(result) -> str:  # type: ignore[no-untyped-def]
    """Everything the assistant said in one turn."""
    return " ".join(e.item.text_content or "" for e in result.events if e.type == "message")


def calls(result) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    return [(e.item.name, json.loads(e.item.arguments)) for e in result.events if e.type == "function_call"]


def call(result, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The turn's next events are this tool call (with exactly these arguments, when given), its output and
    the spoken reply, which is the tool's own `say`. Returns the tool's output."""
    event = result.expect.next_event().is_function_call(name=name).event()
    if arguments is not None:
        assert json.loads(event.item.arguments) == arguments, (name, event.item.arguments)
    output = json.loads(result.expect.next_event().is_function_call_output().event().item.output)
    message = result.expect.next_event().is_message(role="assistant").event().item
    assert message.text_content == output["say"]
    return output


def asks(result, question: str) -> None:  # type: ignore[no-untyped-def]
    """The brain asked (no tool ran) and the question is this one."""
    assert calls(result) == [], calls(result)
    assert said(result) == question, said(result)


async def snapshot(store) -> Snapshot:  # type: ignore[no-untyped-def]
    """Every row of every ERP table, straight from the database."""
    out: Snapshot = {}
    async with store.engine.connect() as conn:
        for name, table in metadata.tables.items():
            out[name] = sorted((tuple(r) for r in (await conn.execute(sa.select(table))).all()), key=repr)
    return out


def changed(before: Snapshot, after: Snapshot) -> set[str]:
    """The tables whose rows differ."""
    return {t for t in before if before[t] != after[t]}


def added(before: Snapshot, after: Snapshot, table: str) -> list[tuple[Any, ...]]:
    """The rows of a table that weren't there before."""
    return [r for r in after[table] if r not in before[table]]
