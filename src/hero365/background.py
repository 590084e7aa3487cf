"""Background loops that live as long as a block (the gateway's lifespan): started on entry, cancelled on exit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def running(loop: Coroutine[Any, Any, None] | None) -> AsyncIterator[asyncio.Task[None] | None]:
    """Run `loop` as a task for the life of the block, then cancel it and wait; None (a loop turned off) runs
    nothing."""
    task = asyncio.get_running_loop().create_task(loop) if loop is not None else None
    try:
        yield task
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
