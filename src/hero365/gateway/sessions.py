"""Live agent sessions of this gateway process: text sessions for send-command and voice sessions for the
WebSocket channel, each owned by one user in one business.

A session id is a bearer of nothing: every lookup names the acting member, and a session of another user or
business is "not found" (404), never "forbidden" (which would confirm it exists). Sessions idle past
GATEWAY_SESSION_IDLE_SECONDS are closed by a sweeper; at GATEWAY_MAX_SESSIONS the least recently used idle
session makes room, and when none is idle a new one is refused (503) rather than starving the others.
The conversation itself (what was said, the tool calls) is in the conversation store; the pending
confirmation lives in the session's state, so it survives between calls but not a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..erp.domain.errors import NotFound
from ..erp.domain.tenancy import Actor
from ..insights import metrics
from ..insights.redact import redact
from .audit import AuditLog, Entry

log = logging.getLogger(__name__)


class AuditingRecorder:
    """Wraps the conversation recorder: every tool call the agent makes is also an audit record.

    The tool layer already reports each call to `state.recorder.tool(...)`; wrapping that one object audits
    every tool of every agent without touching voice/tools. The audit log is plaintext and append-only, so
    the arguments go in with phone numbers, e-mails and card numbers redacted (the conversation store keeps
    them whole, encrypted).
    """

    def __init__(self, inner: Any, audit: AuditLog, actor: Actor, session_id: str, channel: str) -> None:
        self._inner, self._audit, self._actor = inner, audit, actor
        self._session_id, self._channel = session_id, channel

    def tool(self, name: str, arguments: str, output: Any, error: str | None, seconds: float) -> None:
        pending = False
        if isinstance(output, str) and not error:
            with contextlib.suppress(ValueError, AttributeError):
                pending = bool(json.loads(output).get("pending"))
        outcome = f"error:{error}" if error else "proposed" if pending else "ok"
        self._audit.submit(Entry(kind="tool", action=name, outcome=outcome, business_id=self._actor.business_id,
                                 user_id=self._actor.user_id, subject=str(self._actor.user_id or ""),
                                 detail={"session_id": self._session_id, "channel": self._channel,
                                         "arguments": redact(arguments[:500]), "ms": round(seconds * 1000, 1)}))
        self._inner.tool(name, arguments, output, error, seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class LiveSession:
    id: str
    user_id: int | None
    business_id: int
    kind: str  # "text" | "voice"
    actor: Actor
    state: Any = None
    session: Any = None
    agent: Any = None
    recorder: Any = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    created: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    #: Extra clean-up for voice sessions (closing the socket's I/O).
    on_close: Callable[[], Awaitable[None]] | None = None
    closed: bool = False
    #: A voice session reserved by start-session whose socket has not connected yet.
    attached: bool = False

    @property
    def connected(self) -> bool:
        """A voice session with its socket open: it ends when the socket does, never by eviction."""
        return self.kind == "voice" and self.attached and not self.closed

    def belongs_to(self, actor: Actor) -> bool:
        return self.user_id == actor.user_id and self.business_id == actor.business_id

    def touch(self) -> None:
        self.last_used = time.monotonic()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.on_close is not None:
            with contextlib.suppress(Exception):
                await self.on_close()
        if self.session is not None:
            try:
                await self.session.aclose()
            except Exception:
                log.exception("closing session %s", self.id)
        if self.recorder is not None:
            try:
                await self.recorder.close()
            except Exception:
                log.exception("closing the record of session %s", self.id)


class SessionFull(Exception):
    """Every live session is busy and the cap is reached."""


class SessionRegistry:
    def __init__(self, max_sessions: int, idle_seconds: float) -> None:
        self.max, self.idle = max_sessions, idle_seconds
        self._live: dict[str, LiveSession] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._creating = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._live)

    def start(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def get(self, session_id: str, actor: Actor) -> LiveSession:
        live = self._live.get(session_id)
        if live is None or live.closed or not live.belongs_to(actor):
            raise NotFound("There is no live session with that id (it may have ended or expired).")
        live.touch()
        return live

    def peek(self, session_id: str) -> LiveSession | None:
        return self._live.get(session_id)

    async def add(self, live: LiveSession, opener: Callable[[LiveSession], Awaitable[None]] | None = None) -> None:
        """Register a session (making room if needed), then open it; a failed opening leaves nothing behind."""
        async with self._creating:
            await self._make_room()
            self._live[live.id] = live
            metrics.session_opened(live.kind)
        if opener is not None:
            try:
                await opener(live)
            except BaseException:
                if self._live.pop(live.id, None) is not None:
                    metrics.session_closed(live.kind)
                await live.close()
                raise

    async def _make_room(self) -> None:
        if len(self._live) < self.max:
            return
        idle = sorted((s for s in self._live.values() if not s.lock.locked() and not s.connected),
                      key=lambda s: s.last_used)
        if not idle:
            raise SessionFull
        await self.end(idle[0].id)

    async def end(self, session_id: str) -> None:
        live = self._live.pop(session_id, None)
        if live is not None:
            metrics.session_closed(live.kind)
            await live.close()

    async def sweep(self, now: float | None = None) -> int:
        """Close sessions idle for longer than the limit; returns how many."""
        now = time.monotonic() if now is None else now
        stale = [s.id for s in self._live.values()
                 if now - s.last_used > self.idle and not s.lock.locked() and not s.connected]
        for sid in stale:
            await self.end(sid)
        return len(stale)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(min(30.0, max(1.0, self.idle / 4)))
            try:
                await self.sweep()
            except Exception:
                log.exception("session sweep failed")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for sid in list(self._live):
            await self.end(sid)
