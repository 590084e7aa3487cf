"""A thread pool that runs the most urgent job first, not the oldest.

Twenty sessions share two cores for synthesis. A reply's first phrase is what its caller is waiting for in
silence; the rest of a reply has the first phrase's playing time as slack. With a FIFO pool, one session's
long reply (ten sentences queued at once) delays every other session's first words; here a job's
`deadline` (seconds from now by which its audio is needed) orders the queue, earliest first.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class UrgentPool:
    """`submit(deadline, fn, *args)`: `workers` threads, earliest deadline first; a job whose future was
    cancelled before it started is skipped."""

    def __init__(self, workers: int, name: str = "urgent") -> None:
        self._queue: queue.PriorityQueue[tuple[float, int, Future[Any], Callable[..., Any], tuple[Any, ...]]] = (
            queue.PriorityQueue())
        self._order = itertools.count()
        self._running = 0
        self._count_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()
        atexit.register(self.shutdown)  # a synthesis cut off by the interpreter's exit aborts the process

    def shutdown(self) -> None:
        """Finish the jobs already queued, then stop the threads (at exit: no synthesis is cut off)."""
        for _ in self._threads:
            self._queue.put((float("inf"), next(self._order), None, None, ()))  # type: ignore[arg-type]
        for thread in self._threads:
            thread.join(timeout=10)

    def submit(self, deadline: float, fn: Callable[..., T], *args: Any) -> Future[T]:
        job: Future[T] = Future()
        self._queue.put((time.monotonic() + deadline, next(self._order), job, fn, args))
        return job

    def running(self) -> int:
        """Jobs running now, plus those waiting (a job counts itself): 1 means it is alone."""
        with self._count_lock:
            return self._running + self._queue.qsize()

    async def run(self, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        """Await `fn(*args)` on the pool; cancelling the await drops the job if it hasn't started."""
        return await asyncio.wrap_future(self.submit(deadline, fn, *args))

    def _work(self) -> None:
        while True:
            _, _, job, fn, args = self._queue.get()
            if job is None:  # shutdown
                return
            if not job.set_running_or_notify_cancel():
                continue
            with self._count_lock:
                self._running += 1
            try:
                job.set_result(fn(*args))
            except BaseException as e:  # handed to the awaiting coroutine
                job.set_exception(e)
            finally:
                with self._count_lock:
                    self._running -= 1
