"""Analytics over the conversation store: per agent and per period, computed by the database.

Every figure is a GROUP BY over the business's conversations in a window of local days (counts, sums,
averages; latency percentiles by nearest rank from per-millisecond histograms; the same SQL on SQLite and
PostgreSQL). Python only folds the grouped rows. What someone said is shown only redacted (failed utterances).
Campaign funnels are in funnels.py.

Definitions (also in the README):
- resolved: ended without a handoff to a person and without the last turn failing (recorder.close);
- a failed turn: a tool error, or the brain did not understand ("out_of_scope" / "not_understood");
- conversions: conversations that completed a booking (create_job, book_consultation), a reschedule
  (reschedule_appointment, reschedule_job) or a payment promise (payment_promise);
- tool error rate: tool calls that returned an error / tool calls.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..erp.store.db import Store
from .crypto import attach
from .periods import Period, Window
from .redact import redact
from .tables import conversation_events, conversation_turns, conversations, map_insights

ALL = "all"
CONVERSIONS: dict[str, tuple[str, ...]] = {
    "booking": ("create_job", "book_consultation"),
    "reschedule": ("reschedule_appointment", "reschedule_job"),
    "payment_promise": ("payment_promise",),
}
LATENCIES = ("response_ms", "v2v_ms", "brain_ms", "tool_ms", "stt_ms", "tts_ms")
#: What the per-agent views show: the whole reply, and voice to voice.
HEADLINE = ("response_ms", "v2v_ms")
PERCENTILES = (50, 95)
TOP = 10


@dataclass
class Figures:
    """One agent's (or all agents') figures over a window."""

    agent: str
    conversations: int = 0
    avg_duration_s: float | None = None
    resolved: int = 0
    resolution_rate: float | None = None
    turns: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    tool_error_rate: float | None = None
    conversions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CONVERSIONS, 0))
    conversion_rates: dict[str, float | None] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    failed_intents: list[tuple[str, int]] = field(default_factory=list)
    latency_ms: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    _duration_sum: float = 0.0
    _duration_n: int = 0

    def finish(self) -> Figures:
        n = self.conversations
        self.avg_duration_s = round(self._duration_sum / self._duration_n, 2) if self._duration_n else None
        self.resolution_rate = round(self.resolved / n, 4) if n else None
        self.tool_error_rate = round(self.tool_errors / self.tool_calls, 4) if self.tool_calls else None
        self.conversion_rates = {k: round(v / n, 4) if n else None for k, v in self.conversions.items()}
        return self

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        out["top_intents"] = [{"intent": i, "count": c} for i, c in self.top_intents]
        out["failed_intents"] = [{"intent": i, "count": c} for i, c in self.failed_intents]
        return out


async def business_zone(store: Store, business_id: int) -> ZoneInfo:
    async with store.uow(business_id) as uow:
        return ZoneInfo((await uow.business()).timezone)


def in_window(business_id: int, win: Window, agent: str | None, channel: str | None = None) -> list[Any]:
    c = conversations.c
    where = [c.business_id == business_id, c.started_at >= win.start, c.started_at < win.end]
    if agent:
        where.append(c.agent == agent)
    if channel:
        where.append(c.channel == channel)
    return where


def turns_joined() -> Any:
    """Turns with their conversation. The conversation's business filter scopes them (a turn is written in its
    conversation's business, checked by the store); repeating it on the turns' own business_id led PostgreSQL,
    with stale statistics after a bulk load, to a bitmap AND over the business's whole index per conversation."""
    return conversation_turns.join(conversations, conversation_turns.c.conversation_id == conversations.c.id)


def count_if(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def figures(store: Store, business_id: int, win: Window, agent: str | None = None,
                  channel: str | None = None, latencies: tuple[str, ...] = LATENCIES) -> dict[str, Figures]:
    """Figures per agent, plus ALL for every agent together (or only `agent` and ALL when one is named);
    `channel` keeps one channel's conversations (phone, web, text); `latencies` names the timings to give
    percentiles of (each is one more pass over the turns)."""
    map_insights()
    c, t = conversations.c, conversation_turns.c
    where = in_window(business_id, win, agent, channel)
    turn_where = where  # turns are the conversation's business's: see turns_joined
    out: dict[str, Figures] = defaultdict(lambda: Figures(agent=""))
    async with store.engine.connect() as conn:
        rows = await conn.execute(sa.select(
            c.agent, sa.func.count(c.id), sa.func.coalesce(sa.func.sum(c.duration_s), 0.0),
            sa.func.count(c.duration_s), sa.func.coalesce(count_if(c.resolved == sa.true()), 0),
            sa.func.coalesce(sa.func.sum(c.turns), 0), sa.func.coalesce(sa.func.sum(c.tool_calls), 0),
            sa.func.coalesce(sa.func.sum(c.tool_errors), 0)).where(*where).group_by(c.agent))
        for name, n, dur_sum, dur_n, resolved, turns, calls, errors in rows:
            for key in (name, ALL):
                f = out[key]
                f.conversations += n
                f._duration_sum += float(dur_sum)
                f._duration_n += dur_n
                f.resolved += int(resolved)
                f.turns += int(turns)
                f.tool_calls += int(calls)
                f.tool_errors += int(errors)
        for name, result, n in await conn.execute(sa.select(c.agent, c.outcome, sa.func.count(c.id)).where(
                *where).group_by(c.agent, c.outcome)):
            for key in (name, ALL):
                out[key].outcomes[result or "open"] = out[key].outcomes.get(result or "open", 0) + n
        # a CASE with bound values can't be repeated in GROUP BY (PostgreSQL numbers each copy's parameters
        # apart and then sees two expressions): label it in a subquery and group the outer query by the label
        kind = sa.case(*((t.action.in_(acts), k) for k, acts in CONVERSIONS.items()), else_=None)
        inner = (sa.select(c.agent.label("agent"), t.conversation_id.label("cid"), kind.label("kind"))
                 .select_from(turns_joined()).where(*turn_where).subquery())
        for name, conversion, n in await conn.execute(
                sa.select(inner.c.agent, inner.c.kind, sa.func.count(sa.distinct(inner.c.cid)))
                .where(inner.c.kind.is_not(None)).group_by(inner.c.agent, inner.c.kind)):
            for key in (name, ALL):
                out[key].conversions[conversion] += n
        intents: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for name, intent, n, failed in await conn.execute(
                sa.select(c.agent, t.intent, sa.func.count(t.id), count_if(t.failed == sa.true()))
                .select_from(turns_joined()).where(*turn_where, t.intent.is_not(None)).group_by(c.agent, t.intent)):
            for key in (name, ALL):
                intents[key][intent][0] += n
                intents[key][intent][1] += int(failed or 0)
        for key, by_intent in intents.items():
            ranked = sorted(by_intent.items(), key=lambda kv: (-kv[1][0], kv[0]))
            out[key].top_intents = [(i, v[0]) for i, v in ranked[:TOP]]
            failed = sorted(((i, v[1]) for i, v in by_intent.items() if v[1]), key=lambda kv: (-kv[1], kv[0]))
            out[key].failed_intents = failed[:TOP]
        if latencies:
            timings = (sa.select(c.agent.label("g"), *(t[m] for m in latencies)).select_from(turns_joined())
                       .where(*turn_where))
            for group, by_metric in (await _percentiles(conn, timings, latencies, with_all=True)).items():
                out[group].latency_ms = by_metric
    out.setdefault(ALL, Figures(agent=ALL))
    for key, f in out.items():
        f.agent = key
        f.finish()
    return dict(sorted(out.items(), key=lambda kv: (kv[0] == ALL, kv[0])))


async def _percentiles(conn: Any, source: Any, metrics: tuple[str, ...], with_all: bool = False,
                       ps: tuple[int, ...] = PERCENTILES) -> dict[Any, dict[str, dict[str, float | int | None]]]:
    """Nearest-rank percentiles (to the millisecond) of each metric column of `source` (a SELECT with a group
    column `g`), per group, and for ALL groups together when asked.

    The database returns a histogram, not the rows: per metric, group and whole millisecond, a count (one
    GROUP BY each over the source materialized once, in one round trip). The rank walk runs over those few
    hundred distinct values, and ALL merges the groups' histograms instead of sorting everything again."""
    source = source.cte("timings").prefix_with("MATERIALIZED")
    parts = []
    for m in metrics:
        ms = sa.func.round(source.c[m])
        parts.append(sa.select(sa.literal_column(f"'{m}'").label("m"), source.c.g, ms.label("v"),
                               sa.func.count().label("n")).where(source.c[m].is_not(None)).group_by(source.c.g, ms))
    hist: dict[Any, dict[str, dict[float, int]]] = defaultdict(lambda: defaultdict(dict))
    for m, g, v, n in await conn.execute(sa.union_all(*parts)):
        for key in (g, ALL) if with_all else (g,):
            hist[key][m][float(v)] = hist[key][m].get(float(v), 0) + int(n)
    out: dict[Any, dict[str, dict[str, float | int | None]]] = {}
    for key, by_metric in hist.items():
        out[key] = {m: _ranks(counts, ps) for m, counts in by_metric.items()}
    return out


def _ranks(counts: dict[float, int], ps: tuple[int, ...]) -> dict[str, float | int | None]:
    """From value -> count: n and, for each p, the smallest value whose cumulative count reaches p% of n."""
    n = sum(counts.values())
    entry: dict[str, float | int | None] = {"n": n}
    ordered = sorted(counts.items())
    for p in ps:
        rank, seen = max(1, (p * n + 99) // 100), 0
        for value, count in ordered:
            seen += count
            if seen >= rank:
                entry[f"p{p}"] = value
                break
    return entry


async def failed_utterances(store: Store, business_id: int, win: Window, agent: str | None = None,
                            limit: int = TOP) -> list[dict[str, Any]]:
    """The latest failed turns: what the person said (redacted), the intent, the agent, when."""
    map_insights()
    attach(store)
    c, t, e = conversations.c, conversation_turns.c, conversation_events.c
    joined = turns_joined().join(conversation_events, sa.and_(e.conversation_id == t.conversation_id,
                                                               e.seq == t.user_seq))
    # driven from the turns' own (business_id, at) index, newest first, whatever the planner's statistics say:
    # the turns said in the window (by when they were said), each joined to its conversation and its words
    where = [t.business_id == business_id, t.at >= win.start, t.at < win.end, t.failed == sa.true(),
             c.business_id == business_id]
    if agent:
        where.append(c.agent == agent)
    stmt = (sa.select(e.text, t.intent, c.agent, t.at, c.session_id).select_from(joined).where(*where)
            .order_by(t.at.desc(), t.id.desc()).limit(limit))
    async with store.engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [{"text": redact(text or ""), "intent": intent, "agent": name, "at": at.isoformat(), "session_id": sid}
            for text, intent, name, at, sid in rows]


async def series(store: Store, business_id: int, win: Window, bucket: Period,
                 agent: str | None = None) -> list[dict[str, Any]]:
    """Per bucket (local day / week / month): conversations, resolved, outcomes, tool errors and latency."""
    map_insights()
    c, t = conversations.c, conversation_turns.c
    spans = win.buckets(bucket)
    index = _bucket_of(c.started_at, [lo for _, lo, _ in spans[1:]], 0)
    where = in_window(business_id, win, agent)
    points = [{"start": first.isoformat(), "conversations": 0, "resolved": 0, "tool_calls": 0, "tool_errors": 0,
               "outcomes": {}, "latency_ms": {}} for first, _, _ in spans]
    base = sa.select(index.label("b"), c.id, c.resolved, c.tool_calls, c.tool_errors, c.outcome).where(
        *where).subquery()  # grouped by the label: see figures()
    async with store.engine.connect() as conn:
        for i, n, resolved, calls, errors in await conn.execute(sa.select(
                base.c.b, sa.func.count(base.c.id), count_if(base.c.resolved == sa.true()),
                sa.func.sum(base.c.tool_calls), sa.func.sum(base.c.tool_errors)).group_by(base.c.b)):
            if i is not None:
                points[i].update(conversations=n, resolved=int(resolved or 0), tool_calls=int(calls or 0),
                                 tool_errors=int(errors or 0))
        for i, result, n in await conn.execute(sa.select(base.c.b, base.c.outcome, sa.func.count(base.c.id))
                                               .group_by(base.c.b, base.c.outcome)):
            if i is not None:
                points[i]["outcomes"][result or "open"] = n
        timings = sa.select(index.label("g"), t.response_ms, t.v2v_ms).select_from(turns_joined()).where(*where)
        for i, by_metric in (await _percentiles(conn, timings, ("response_ms", "v2v_ms"))).items():
            if i is not None:
                points[i]["latency_ms"] = by_metric
    return points


def _bucket_of(column: Any, bounds: list[Any], first: int) -> Any:
    """The bucket number of `column` (rows are already inside the window): a balanced CASE over the buckets'
    start times, so each row takes about log2(buckets) comparisons, not one per bucket."""
    if not bounds:
        return sa.literal(first)
    mid = len(bounds) // 2
    return sa.case((column < bounds[mid], _bucket_of(column, bounds[:mid], first)),
                   else_=_bucket_of(column, bounds[mid + 1:], first + mid + 1))
