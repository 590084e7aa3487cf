"""Play one conversation script through the real agents and judge it by the database and what was said."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from conversation_world import NOW, ZONE, World, store_at
from hero365.calls import tables as ct
from hero365.calls.bridge import outbound_state
from hero365.erp.domain.tenancy import Actor
from hero365.erp.services.businesses import actor_for
from hero365.erp.store.tables import metadata
from hero365.voice.agents import agent_for, identify_caller
from hero365.voice.session import text_session
from hero365.voice.state import AgentKind, SessionState

#: Tables whose change is not "something written" for `unchanged`: bookkeeping and the call's own record.
BOOKKEEPING = {"activity_log", "idempotency_keys", "counters", "interactions"}
NEW_CALLER = "+15125550999"
Rows = dict[str, dict[Any, dict[str, Any]]]
Transcript = list[tuple[str, str]]


@dataclass
class Script:
    id: str
    kind: str
    turns: list[str]
    expect: dict[str, Any]
    user: str | None = None
    customer: str | None = None
    phone: str | None = None
    purpose: str | None = None
    driving: bool = False
    at: str | None = None
    why: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def load_scripts(path: Path) -> list[Script]:
    out = []
    for raw in json.loads(path.read_text()):
        known = {k: raw.pop(k) for k in list(raw) if k in Script.__dataclass_fields__}
        out.append(Script(**known, extra=raw))
    return out


async def _rows(store: Any) -> Rows:
    out: Rows = {}
    async with store.engine.connect() as conn:
        for name, table in [*metadata.tables.items(), ("call_attempts", ct.call_attempts)]:
            key = "id" if "id" in table.c else None
            rows = (await conn.execute(sa.select(table))).mappings().all()
            out[name] = {(r[key] if key else i): dict(r) for i, r in enumerate(rows)}
    return out


def _moment(script: Script) -> datetime:
    if not script.at:
        return NOW
    hh, mm = (int(x) for x in script.at.split(":"))
    return datetime.combine(NOW.astimezone(ZONE).date(), time(hh, mm), ZONE)


async def _state(store: Any, world: World, script: Script) -> SessionState:
    if script.kind in ("technician", "owner"):
        user = world.users[script.user] if script.user else world.owner_id
        actor: Actor = await actor_for(store, user, world.business_id)
        return SessionState(store=store, actor=actor, kind=AgentKind.PERSONAL, driving=script.driving)
    if script.kind == "known_caller":
        phone = world.contacts[script.customer or ""][1]
        return await identify_caller(store, world.business_id, phone, channel="phone")
    if script.kind == "new_caller":
        return await identify_caller(store, world.business_id, script.phone or NEW_CALLER, channel="phone")
    if script.kind == "outbound":
        contact_id, phone = world.contacts[script.customer or ""]
        state = await outbound_state(store, world.business_id, contact_id, script.purpose or "appointment_reminder")
        state.handoff["called_number"] = phone
        return state
    raise ValueError(f"unknown kind {script.kind!r}")


async def play(path: Path, world: World, script: Script) -> tuple[Transcript, Rows, Rows, dict[str, Any]]:
    """Run the script; returns what was said, the rows before and after, and facts about the session."""
    at = _moment(script)
    store = store_at(path, at)
    transcript: Transcript = []
    facts: dict[str, Any] = {"ended": None, "error": None, "caller": None}
    try:
        state = await _state(store, world, script)
        facts["caller"] = state.actor.contact_id
        before = await _rows(store)
        session = text_session(state)
        async with session:
            agent = agent_for(state)
            await session.start(agent)
            await asyncio.wait_for(agent.ready.wait(), 10)
            for item in session.history.items:
                if item.type == "message" and item.role == "assistant" and item.text_content:
                    transcript.append(("agent", item.text_content))
            for turn in script.turns:
                if state.ended:
                    break
                transcript.append(("user", turn))
                result = await asyncio.wait_for(session.run(user_input=turn), 30)
                for e in result.events:
                    if e.type == "message" and e.item.text_content:
                        transcript.append(("agent", e.item.text_content))
            facts["ended"] = state.ended
        after = await _rows(store)
    except Exception as exc:  # a crash is a failed script, with its reason
        facts["error"] = f"{type(exc).__name__}: {exc}"
        before = after = {}
    finally:
        await store.close()
    return transcript, before, after, facts


def _any(phrase: str, text: str) -> bool:
    return any(p.strip().lower() in text.lower() for p in phrase.split("|"))


def _local(value: Any) -> datetime | None:
    return value.astimezone(ZONE) if isinstance(value, datetime) else None


class _Judge:
    def __init__(self, script: Script, world: World, before: Rows, after: Rows, facts: dict[str, Any]) -> None:
        self.script, self.world, self.before, self.after, self.facts = script, world, before, after, facts
        self.users = {v: k for k, v in world.users.items()}

    def contact_id(self, name: str) -> int | None:
        if name == "caller":
            return self.facts["caller"]  # type: ignore[no-any-return]
        for cid, row in self.after["contacts"].items():
            if row["name"].lower() == name.lower():
                return int(cid)
        return None

    def phones_of(self, who: str) -> set[str]:
        if who == "on_call":
            return {"+15125550150"}
        if who in self.world.users:
            user = self.after["users"].get(self.world.users[who], {})
            return {user.get("phone")} - {None}
        cid = self.contact_id(who)
        return {r["number"] for r in self.after["contact_phones"].values() if r["contact_id"] == cid}

    def changed(self, table: str) -> list[tuple[bool, dict[str, Any]]]:
        out = []
        for key, row in self.after[table].items():
            old = self.before[table].get(key)
            if old != row:
                out.append((old is None, row))
        return out

    def job_matches(self, want: dict[str, Any], new: bool, row: dict[str, Any]) -> str | None:
        """None when the row matches, else why not."""
        if want.get("new") and not new:
            return "not new"
        if "number" in want and row["number"] != want["number"]:
            return "other number"
        if "customer" in want and row["contact_id"] != self.contact_id(want["customer"]):
            return "other customer"
        text = f"{row['title']} {row.get('description') or ''}".lower()
        for word in want.get("title_has", []):
            if not _any(word, text):
                return f"title {row['title']!r} lacks {word!r}"
        start = _local(row["scheduled_start"])
        if "date" in want and (start is None or start.date().isoformat() != want["date"]):
            return f"on {start}"
        if "between" in want:
            lo, hi = (time.fromisoformat(x) for x in want["between"])
            if start is None or not (lo <= start.time() < hi):
                return f"at {start and start.time()}"
        if "status" in want and str(getattr(row["status"], "value", row["status"])) != want["status"]:
            return f"status {row['status']}"
        if "technician" in want and self.users.get(row["technician_id"]) != want["technician"]:
            return f"technician {self.users.get(row['technician_id'])}"
        if want.get("emergency") is not None and bool(row.get("priority") == "emergency") != want["emergency"]:
            return f"priority {row.get('priority')}"
        return None

    def check(self, transcript: Transcript) -> list[str]:
        e, failures = self.script.expect, []
        said = [text for who, text in transcript if who == "agent"]
        for want in e.get("jobs", []):
            rows = self.changed("jobs")
            why = [self.job_matches(want, new, row) for new, row in rows]
            if None not in why:
                seen = [(r["number"], w) for (_, r), w in zip(rows, why, strict=True)]
                failures.append(f"no job like {want} (changed: {seen})")
        for number in e.get("unchanged_jobs", []):
            rows = [r for _, r in self.changed("jobs") if r["number"] == number]
            if rows:
                failures.append(f"job {number} changed")
        for want in e.get("contacts", []):
            if not any(self.contact_matches(want, row) for row in self.after["contacts"].values()):
                failures.append(f"no contact like {want}")
        texts = [row for new, row in self.changed("outbox") if new and str(getattr(row["channel"], "value",
                                                                                     row["channel"])) == "sms"]
        for want in e.get("texts", []):
            phones = self.phones_of(want.get("to", "")) if want.get("to") else None
            if not any((phones is None or r["to"] in phones)
                       and all(_any(w, r["body"]) for w in want.get("has", [])) for r in texts):
                failures.append(f"no text like {want} (texts: {[(r['to'], r['body'][:60]) for r in texts]})")
        if e.get("no_texts") and texts:
            failures.append(f"texts were queued: {[r['body'][:60] for r in texts]}")
        for want in e.get("invoices", []):
            if not any(self.money_row(want, new, row, "invoice") for new, row in self.changed("invoices")):
                failures.append(f"no invoice like {want}")
        for want in e.get("estimates", []):
            if not any(self.money_row(want, new, row, "estimate") for new, row in self.changed("estimates")):
                failures.append(f"no estimate like {want}")
        for want in e.get("payments", []):
            invoices = self.after["invoices"]
            if not any(new and invoices[r["invoice_id"]]["contact_id"] == self.contact_id(want.get("customer", ""))
                       and ("amount" not in want or r["amount_cents"] == round(want["amount"] * 100))
                       for new, r in self.changed("payments")):
                failures.append(f"no payment like {want}")
        for want in e.get("notes", []):
            jobs = {r["id"]: r["number"] for r in self.after["jobs"].values()}
            if not any(new and jobs.get(r["job_id"]) == want.get("job", jobs.get(r["job_id"]))
                       and all(_any(w, r["text"]) for w in want.get("has", []))
                       for new, r in self.changed("job_notes")):
                failures.append(f"no note like {want}")
        if "queued_calls" in e:
            want = e["queued_calls"]
            cid = self.contact_id(want["customer"])
            left = sum(1 for r in self.after["call_attempts"].values() if r["contact_id"] == cid and
                       r["state"] == "queued")
            if left != want.get("count", 0):
                failures.append(f"{left} calls still queued to {want['customer']}")
        if e.get("unchanged"):
            touched = [t for t in self.after if t not in BOOKKEEPING and self.changed(t)]
            if touched:
                failures.append(f"wrote to {touched}")
        if e.get("ended") and not self.facts["ended"]:
            failures.append("the call did not end")
        for phrase in e.get("said", []):
            if not any(_any(phrase, s) for s in said):
                failures.append(f"never said {phrase!r}")
        for phrase in e.get("last_said", []):
            if not said or not _any(phrase, said[-1]):
                failures.append(f"last reply lacks {phrase!r}")
        for phrase in e.get("not_said", []):
            if any(_any(phrase, s) for s in said):
                failures.append(f"said {phrase!r}")
        if "max_words" in e:
            longest = max((len(s.split()) for s in said), default=0)
            if longest > e["max_words"]:
                failures.append(f"a reply of {longest} words (max {e['max_words']})")
        return failures

    def contact_matches(self, want: dict[str, Any], row: dict[str, Any]) -> bool:
        if "name" in want and want["name"].lower() not in row["name"].lower():
            return False
        if "phone" in want and want["phone"] not in {r["number"] for r in self.after["contact_phones"].values()
                                                      if r["contact_id"] == row["id"]}:
            return False
        for key, column in (("street_has", "street"), ("city", "city"), ("postal_code", "postal_code")):
            if key in want and not _any(str(want[key]), str(row.get(column) or "")):
                return False
        if "do_not_call" in want and bool(row["do_not_call"]) != want["do_not_call"]:
            return False
        if "notes_has" in want:
            notes = " ".join(r["summary"] for r in self.after["interactions"].values() if r["contact_id"] == row["id"])
            if not all(_any(w, notes) for w in want["notes_has"]):
                return False
        return True

    def money_row(self, want: dict[str, Any], new: bool, row: dict[str, Any], kind: str) -> bool:
        if want.get("new") and not new:
            return False
        if "customer" in want and row["contact_id"] != self.contact_id(want["customer"]):
            return False
        if "status" in want and str(getattr(row["status"], "value", row["status"])) != want["status"]:
            return False
        if "total" in want:
            lines = self.after[f"{kind}_lines"].values()
            sub = sum(float(r["quantity"]) * r["unit_price_cents"] for r in lines if r[f"{kind}_id"] == row["id"])
            total = round(sub * (1 + row["tax_rate_bp"] / 10000))
            if abs(total - round(want["total"] * 100)) > 1:
                return False
        return True


def judge(script: Script, world: World, transcript: Transcript, before: Rows, after: Rows,
          facts: dict[str, Any]) -> list[str]:
    """Why the script is not complete (empty when it is)."""
    if facts["error"]:
        return [f"crashed: {facts['error']}"]
    return _Judge(script, world, before, after, facts).check(transcript)

