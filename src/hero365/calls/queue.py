"""Where due attempts wait for a dialer: arq on Redis (many worker processes, many machines), or an in-process
runner when Redis isn't configured. Either way the database row is the truth: a queue entry only says "look at
attempt N at time T", the dialer's conditional claim makes a duplicate entry harmless, and a periodic sweep
re-enqueues anything due that a queue lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..config import Settings
from ..erp.store.db import Store
from .dialer import Conversation, Dialer, LineCheck, due_attempts, reap_lost
from .telephony.base import Trunk

log = logging.getLogger(__name__)
JOB = "dial_attempt"


class CallQueue(Protocol):
    async def enqueue(self, business_id: int, attempt_id: int, at: datetime | None = None, tag: str = "") -> None:
        ...

    async def aclose(self) -> None: ...


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ArqQueue:
    """Producer side: enqueue a job per attempt and time (arq's job id makes re-enqueueing idempotent)."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        self.redis_url, self.queue_name = redis_url, queue_name
        self._pool: Any = None

    async def _redis(self) -> Any:
        if self._pool is None:
            from arq import create_pool
            from arq.connections import RedisSettings

            self._pool = await create_pool(RedisSettings.from_dsn(self.redis_url), default_queue_name=self.queue_name)
        return self._pool

    async def enqueue(self, business_id: int, attempt_id: int, at: datetime | None = None, tag: str = "") -> None:
        """`tag` distinguishes a deliberate re-enqueue (a campaign resumed, a sweep) from a duplicate; the queue's
        name is in the job id because arq's job keys are global to the Redis database."""
        pool = await self._redis()
        stamp = int(at.timestamp()) if at else 0
        job_id = f"attempt:{attempt_id}:{stamp}{tag}@{self.queue_name}"
        await pool.enqueue_job(JOB, business_id, attempt_id, _job_id=job_id, _queue_name=self.queue_name,
                               _defer_until=at)

    async def queued_attempts(self) -> set[int]:
        """Attempt ids with a job waiting or running in the queue (arq keeps running jobs in its sorted set)."""
        pool = await self._redis()
        members = await pool.zrange(self.queue_name, 0, -1)
        out = set()
        for m in members:
            parts = (m.decode() if isinstance(m, bytes) else str(m)).split(":")
            if len(parts) >= 2 and parts[0] == "attempt" and parts[1].isdigit():
                out.add(int(parts[1]))
        return out

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


class LocalQueue:
    """The in-process runner: each entry is a task that sleeps until due, then runs the dialer, at most
    `concurrency` calls at once. For one machine without Redis (the CLI, tests, the benchmark)."""

    def __init__(self, concurrency: int = 4, clock: Callable[[], datetime] | None = None) -> None:
        self.dialer: Dialer | None = None
        self._limit = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._waiting = 0
        self.reports: list[Any] = []

    async def enqueue(self, business_id: int, attempt_id: int, at: datetime | None = None, tag: str = "") -> None:
        task = asyncio.get_running_loop().create_task(self._run(business_id, attempt_id, at))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, business_id: int, attempt_id: int, at: datetime | None) -> None:
        if at is not None:
            wait = (at - self._clock()).total_seconds()
            if wait > 0:
                self._waiting += 1
                try:
                    await asyncio.sleep(wait)
                finally:
                    self._waiting -= 1
        assert self.dialer is not None, "LocalQueue needs a dialer attached"
        async with self._limit:
            try:
                self.reports.append(await self.dialer.run(business_id, attempt_id))
            except Exception:
                log.exception("attempt %s", attempt_id)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    @property
    def busy(self) -> int:
        """Entries running or due now (not those sleeping until their calling hours or a retry)."""
        return len(self._tasks) - self._waiting

    async def drain(self, limit_s: float | None = None) -> None:
        """Until nothing is queued here (retries included), or `limit_s` seconds."""
        async def wait() -> None:
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

        await asyncio.wait_for(wait(), limit_s)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def make_queue(settings: Settings, clock: Callable[[], datetime] | None = None) -> CallQueue:
    if settings.redis_url:
        return ArqQueue(settings.redis_url, settings.dialer_queue_name)
    return LocalQueue(settings.dialer_concurrency, clock)


def make_trunk(settings: Settings) -> Trunk:
    """The configured trunk: the telephony package's factory when it has one, else the local SIP trunk."""
    from . import telephony

    factory = getattr(telephony, "make_trunk", None)
    if factory is not None:
        return factory(settings)  # type: ignore[no-any-return]
    from .telephony.local_sip import LocalSipTrunk

    return LocalSipTrunk(settings)


def make_conversation(settings: Settings, store: Store) -> Conversation:
    """The agent on answered calls (the bridge to an AgentSession), or a line check when configured so."""
    if settings.dialer_mode == "line_check":
        return LineCheck(settings.dialer_line_check_hold_s)
    from .conversation import AgentConversation

    return AgentConversation(store, settings)


async def sweep(store: Store, queue: ArqQueue, horizon: timedelta = timedelta(seconds=30)) -> int:
    """Reap attempts of dead workers, then enqueue every attempt due soon that has no job in the queue (a lost
    enqueue, a reaper's retry, a resumed campaign). Returns how many were enqueued."""
    for business_id, attempt_id, retry_id in await reap_lost(store):
        log.warning("attempt %s of business %s lost its worker; retry %s", attempt_id, business_id, retry_id)
    due = await due_attempts(store, horizon)
    if not due:
        return 0
    present = await queue.queued_attempts()
    now = store.clock()
    count = 0
    for business_id, attempt_id, at in due:
        if attempt_id not in present:
            await queue.enqueue(business_id, attempt_id, at if at > now else None, tag=f":s{int(now.timestamp())}")
            count += 1
    return count


# ---------------------------------------------------------------- without Redis: the database is the queue

async def serve_local(settings: Settings, concurrency: int, *, store: Store | None = None,
                      trunk: Trunk | None = None, conversation: Conversation | None = None,
                      stop: asyncio.Event | None = None) -> None:
    """`hero365 dialer` on one machine without Redis: every DIALER_SWEEP_SECONDS reap attempts of dead workers
    and hand each due attempt (a gateway's initiate-call, a started campaign, a retry) to an in-process runner.
    Several of these may run at once: the dialer's conditional claim lets exactly one place each call."""
    own_store, own_trunk = store is None, trunk is None
    store = store or Store(settings)
    trunk = trunk or make_trunk(settings)
    start = getattr(trunk, "start", None)
    if own_trunk and start is not None:
        await start()
    runner = LocalQueue(concurrency, store.clock)
    in_hand: set[int] = set()

    async def enqueue(business_id: int, attempt_id: int, at: datetime | None = None, tag: str = "") -> None:
        if attempt_id not in in_hand:  # a retry the dialer queued, or one the poll found: one entry each
            in_hand.add(attempt_id)
            await runner.enqueue(business_id, attempt_id, at, tag)

    runner.dialer = Dialer(store, trunk, worker_id=worker_id(), enqueue=enqueue, settings=settings,
                           conversation=conversation or make_conversation(settings, store))
    if settings.national_dnc_path:
        from .dnc import import_national

        await import_national(store, settings.national_dnc_path)
    horizon = timedelta(seconds=max(1.0, settings.dialer_sweep_seconds) * 2)
    log.info("dialer %s polling the database every %ss (no REDIS_URL)", runner.dialer.worker_id,
             settings.dialer_sweep_seconds)
    try:
        while stop is None or not stop.is_set():
            try:
                for business_id, attempt_id, retry_id in await reap_lost(store):
                    log.warning("attempt %s of business %s lost its worker; retry %s", attempt_id, business_id,
                                retry_id)
                due = await due_attempts(store, horizon)
                in_hand.intersection_update({attempt_id for _, attempt_id, _ in due})  # finished ones leave
                now = store.clock()
                for business_id, attempt_id, at in due:
                    await enqueue(business_id, attempt_id, at if at > now else None)
            except Exception:  # a database hiccup costs one poll, never the dialer
                log.exception("dialer poll failed")
            if stop is None:
                await asyncio.sleep(settings.dialer_sweep_seconds)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.dialer_sweep_seconds)
    finally:
        await runner.aclose()
        if own_trunk:
            await trunk.aclose()
        if own_store:
            await store.close()


# ---------------------------------------------------------------- the arq worker (`hero365 dialer`)

async def _startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    store = Store(settings)
    trunk = make_trunk(settings)
    start = getattr(trunk, "start", None)
    if start is not None:
        await start()
    queue = ArqQueue(settings.redis_url or "", settings.dialer_queue_name)
    dialer = Dialer(store, trunk, worker_id=worker_id(), conversation=make_conversation(settings, store),
                    enqueue=queue.enqueue, settings=settings)
    ctx.update(store=store, trunk=trunk, queue=queue, dialer=dialer)
    if settings.national_dnc_path:
        await _import_national_once(store, queue, settings.national_dnc_path)
    ctx["sweeper"] = asyncio.get_running_loop().create_task(_sweep_forever(store, queue, settings))
    log.info("dialer %s ready on queue %s", dialer.worker_id, settings.dialer_queue_name)


async def _import_national_once(store: Store, queue: ArqQueue, path: Any) -> None:
    """NATIONAL_DNC_PATH is imported when this version of the file (size, mtime) hasn't been yet: the first
    worker to start does it (a Redis lock), the others wait for it rather than dial without the list."""
    from pathlib import Path

    from .dnc import import_national

    file, version = _file_version(Path(path))
    redis = await queue._redis()
    key = f"hero365:national_dnc:{file}"
    async with redis.lock(key + ":lock", timeout=3600, blocking_timeout=3600):
        done = await redis.get(key)
        if (done.decode() if isinstance(done, bytes) else done) == version:
            return
        report = await import_national(store, file)
        log.info("national DNC %s: %d numbers, %d new", file, report.numbers, report.added)
        await redis.set(key, version)


def _file_version(file: Any) -> tuple[Any, str]:
    if not file.is_file():
        raise RuntimeError(f"NATIONAL_DNC_PATH {file} is not a file: not dialling without the national list")
    stat = file.stat()
    return file.resolve(), f"{stat.st_size}:{int(stat.st_mtime)}"


async def _sweep_forever(store: Store, queue: ArqQueue, settings: Settings) -> None:
    while True:
        try:
            await sweep(store, queue)
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(settings.dialer_sweep_seconds)


async def _shutdown(ctx: dict[str, Any]) -> None:
    ctx["sweeper"].cancel()
    await ctx["trunk"].aclose()
    await ctx["queue"].aclose()
    await ctx["store"].close()


async def dial_attempt(ctx: dict[str, Any], business_id: int, attempt_id: int) -> str:
    report = await ctx["dialer"].run(business_id, attempt_id)
    return f"{attempt_id}: {report.state.value if report.state else '-'} {report.detail}"


def run_worker(settings: Settings, concurrency: int) -> None:
    """Block running an arq worker for the dialer queue."""
    from arq.connections import RedisSettings
    from arq.worker import Worker, func

    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set: the dialer worker needs Redis (the CLI runs calls "
                           "in-process without it: hero365 campaign run / hero365 call)")
    # max_tries > 1: a job whose worker died is run again elsewhere, and the conditional claim makes that safe
    worker = Worker(functions=[func(dial_attempt, name=JOB, max_tries=3)], queue_name=settings.dialer_queue_name,
                    redis_settings=RedisSettings.from_dsn(settings.redis_url), max_jobs=concurrency,
                    on_startup=_startup, on_shutdown=_shutdown, ctx={"settings": settings},
                    job_timeout=settings.dialer_job_timeout_seconds, keep_result=60, handle_signals=True,
                    poll_delay=0.1)
    worker.run()
