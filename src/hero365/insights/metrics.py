"""Prometheus metrics (`hero365_*`): what operators watch. The metric objects live here, with small
functions the rest of the code calls (`turn_answered`, `tool_call`, `session_opened`, ...), so no caller
needs to know label names or buckets.

Two kinds of figures:
- **in-process** counters, gauges and histograms (turns, latencies, tool calls, HTTP requests, live
  sessions), registered in prometheus_client's default registry, so the gateway's `/metrics` and a
  LiveKit worker's `--metrics-port` (LiveKit's exporter) both expose them. Several processes behind one port
  (uvicorn `--workers N`; LiveKit's job processes, for which `hero365 worker --metrics-port` sets it up)
  need `PROMETHEUS_MULTIPROC_DIR`: each process writes files and the exposition merges them.
- **database** figures that outlive processes (conversations and calls by outcome, dialer attempts by
  state), read by `DatabaseMetrics` from the shared database at scrape time, at most once per
  `METRICS_DB_CACHE_SECONDS`, by the gateway only (a worker would only repeat them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "DatabaseMetrics", "HttpMetrics", "exposition", "observe_http", "session_closed",
           "session_opened", "tool_call", "turn_answered", "turn_timed"]

#: Latency buckets (seconds) around what a person notices in a conversation; 2 s is the alert line.
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0)
TOOL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

SESSIONS_ACTIVE = Gauge("hero365_sessions_active", "Live agent sessions in this process (text or voice)",
                        ["kind"], multiprocess_mode="livesum")
TURNS = Counter("hero365_turns", "User turns answered by an agent", ["agent", "channel"])
TURN_VOICE_TO_VOICE = Histogram("hero365_turn_voice_to_voice_seconds",
                                "End of the user's speech to the agent's first audio (voice channels)",
                                ["agent", "channel"], buckets=TURN_BUCKETS)
TURN_RESPONSE = Histogram("hero365_turn_response_seconds",
                          "The user's message to the agent's first reply (processing; every channel)",
                          ["agent", "channel"], buckets=TURN_BUCKETS)
BRAIN = Histogram("hero365_brain_seconds",
                  "The brain's share of a turn (text: reply time less tool time; voice: LLM time to first token)",
                  ["agent"], buckets=TURN_BUCKETS)
TOOL_SECONDS = Histogram("hero365_tool_seconds", "One tool call's time", ["tool"], buckets=TOOL_BUCKETS)
TOOL_CALLS = Counter("hero365_tool_calls", "Tool calls made by agents", ["tool"])
TOOL_ERRORS = Counter("hero365_tool_errors", "Tool calls that answered with an error code", ["tool", "error"])
HTTP_SECONDS = Histogram("hero365_http_request_duration_seconds", "HTTP requests by route template and status",
                         ["method", "route", "status"], buckets=HTTP_BUCKETS)


# ------------------------------------------------------------------------------------------------ sessions

def session_opened(kind: str) -> None:
    SESSIONS_ACTIVE.labels(kind=kind).inc()


def session_closed(kind: str) -> None:
    SESSIONS_ACTIVE.labels(kind=kind).dec()


# ------------------------------------------------------------------------------------------------ turns

def _ms(value: Any) -> float | None:
    return float(value) / 1000 if isinstance(value, int | float) and value >= 0 else None


def turn_answered(state: Any, turn: Any, *, timed: bool) -> None:
    """A turn the agent answered (the conversation recorder's turn row: `response_ms`, `brain_ms`). A voice
    session's brain time comes with its timings (`turn_timed`), so `timed` leaves it to that."""
    agent, channel = state.kind.value, state.channel
    TURNS.labels(agent=agent, channel=channel).inc()
    if (response := _ms(turn.response_ms)) is not None:
        TURN_RESPONSE.labels(agent=agent, channel=channel).observe(response)
    if not timed and (brain := _ms(turn.brain_ms)) is not None:
        BRAIN.labels(agent=agent).observe(brain)


def turn_timed(state: Any, ms: Mapping[str, Any]) -> None:
    """A voice turn's stage timings (milliseconds, as the recorder stores them: `v2v_ms`, `brain_ms`)."""
    agent, channel = state.kind.value, state.channel
    if (v2v := _ms(ms.get("v2v_ms"))) is not None:
        TURN_VOICE_TO_VOICE.labels(agent=agent, channel=channel).observe(v2v)
    if (brain := _ms(ms.get("brain_ms"))) is not None:
        BRAIN.labels(agent=agent).observe(brain)


# ------------------------------------------------------------------------------------------------ tools

def tool_call(tool: str, error: str | None, seconds: float | None = None) -> None:
    """One tool call: counted, timed, and its error code (a domain error's `code`) counted when it failed."""
    TOOL_CALLS.labels(tool=tool).inc()
    if error:
        TOOL_ERRORS.labels(tool=tool, error=error).inc()
    if seconds is not None and seconds >= 0:
        TOOL_SECONDS.labels(tool=tool).observe(seconds)


# ------------------------------------------------------------------------------------------------ HTTP

def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/voice-agents/sessions/{session_id}`), never the raw path: ids in
    paths would make one time series per id. Unmatched paths share one label."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_SECONDS.labels(method=method, route=route, status=str(status)).observe(seconds)


class HttpMetrics:
    """ASGI middleware timing every HTTP request from first byte in to last byte out, labelled by route
    template and the status actually sent (added outermost, it also sees the gateway's own 413s and 500s)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            observe_http(scope["method"], route_template(scope), status, time.perf_counter() - started)


# ------------------------------------------------------------------------------------------------ database

@dataclass
class Snapshot:
    """Counts read from the database at one moment; a family is None when its table isn't there."""

    conversations: dict[tuple[str, str], int] | None = None
    calls: dict[str, int] | None = None
    attempts: dict[str, int] | None = None
    ok: bool = False
    at: float = 0.0


def _call_attempts(name: str = "call_attempts") -> sa.TableClause:
    """A light description of the calling issue's `call_attempts` table (only the columns counted here), so
    this module works before, and without importing, whatever maps it."""
    return sa.table(name, sa.column("state", sa.String), sa.column("outcome", sa.String))


class DatabaseMetrics(Collector):
    """Conversations by agent and outcome, calls by outcome and dialer attempts by state, from the shared
    database (every process's work, across restarts). `refresh()` (async, from the scrape's request) reads at
    most once per `ttl` seconds and concurrent scrapes share one read; `collect()` (sync, in the exposition)
    only returns the last snapshot, so a scrape never waits on, or hammers, the database."""

    def __init__(self, engine: Any, ttl: float = 15.0, calls_table: str = "call_attempts") -> None:
        self.engine, self.ttl, self.calls_table = engine, ttl, calls_table
        self.snapshot = Snapshot()
        self._lock = asyncio.Lock()
        self._has_calls = False

    async def refresh(self, *, force: bool = False) -> Snapshot:
        async with self._lock:
            if not force and self.snapshot.at and time.monotonic() - self.snapshot.at < self.ttl:
                return self.snapshot
            try:
                self.snapshot = await self._read()
            except Exception:  # an unreachable database shows as hero365_db_metrics_up 0, not a failed scrape
                log.exception("metrics: could not read the database")
                self.snapshot = Snapshot(ok=False, at=time.monotonic())
            return self.snapshot

    async def _read(self) -> Snapshot:
        from .tables import conversations as c

        snap = Snapshot(ok=True)
        async with self.engine.connect() as conn:
            if not self._has_calls:  # looked for until it appears (the calling issue's migration may come later)
                self._has_calls = await conn.run_sync(lambda sync: sa.inspect(sync).has_table(self.calls_table))
            rows = await conn.execute(sa.select(c.c.agent, c.c.outcome, sa.func.count())
                                      .where(c.c.outcome.is_not(None)).group_by(c.c.agent, c.c.outcome))
            snap.conversations = {(str(a), str(o)): int(n) for a, o, n in rows}
            if self._has_calls:
                t = _call_attempts(self.calls_table)
                rows = await conn.execute(sa.select(t.c.outcome, sa.func.count())
                                          .where(t.c.outcome.is_not(None)).group_by(t.c.outcome))
                snap.calls = {str(o): int(n) for o, n in rows}
                rows = await conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state))
                snap.attempts = {str(s): int(n) for s, n in rows}
        snap.at = time.monotonic()
        return snap

    def describe(self) -> Iterable[Metric]:
        """Every family this collector can expose (with no samples): what `REGISTRY`-style listings read."""
        return self._families(Snapshot(conversations={}, calls={}, attempts={}))

    def collect(self) -> Iterable[Metric]:
        return self._families(self.snapshot)

    @staticmethod
    def _families(snap: Snapshot) -> list[Metric]:
        up = GaugeMetricFamily("hero365_db_metrics_up", "1 when the last read of the database's figures worked")
        up.add_metric([], 1.0 if snap.ok else 0.0)
        out: list[Metric] = [up]
        if snap.conversations is not None:
            conv = CounterMetricFamily("hero365_conversations", "Ended conversations by agent and outcome",
                                       labels=["agent", "outcome"])
            for (agent, outcome), n in sorted(snap.conversations.items()):
                conv.add_metric([agent, outcome], n)
            out.append(conv)
        if snap.calls is not None:
            calls = CounterMetricFamily("hero365_calls", "Finished outbound call attempts by outcome",
                                        labels=["outcome"])
            for outcome, n in sorted(snap.calls.items()):
                calls.add_metric([outcome], n)
            out.append(calls)
        if snap.attempts is not None:
            attempts = GaugeMetricFamily("hero365_dialer_attempts", "Call attempts by dialer state",
                                         labels=["state"])
            for state, n in sorted(snap.attempts.items()):
                attempts.add_metric([state], n)
            out.append(attempts)
        return out


def exposition(extra: Collector | None = None) -> bytes:
    """The text exposition: this process's metrics (or every process's, in multiprocess mode) and `extra`."""
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry(auto_describe=True)
        multiprocess.MultiProcessCollector(registry)
    body = generate_latest(registry)
    if extra is not None:
        holder = CollectorRegistry(auto_describe=False)
        holder.register(extra)
        body += generate_latest(holder)
    return body


def metrics_run_app(port: int, directory: str | None = None) -> Callable[[Any], None]:
    """LiveKit's `cli.run_app` with its Prometheus exporter on `port`: jobs run in child processes, so their
    metrics are files in `directory` (PROMETHEUS_MULTIPROC_DIR) that the exporter merges at each scrape."""
    from livekit.agents import cli

    def run_app(options: Any) -> None:
        directory_ = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        cli.run_app(replace(options, prometheus_port=port, prometheus_multiproc_dir=directory_))

    return run_app
