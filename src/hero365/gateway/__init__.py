"""The gateway: HTTP API and web voice page over the agents (auth, tenancy, permissions, rate limits, audit).

Kept import-light: the migrations import `gateway.tables`, which must not pull in FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..config import Settings
    from ..erp.store.db import Store

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, store: Store | None = None, **kwargs: Any) -> FastAPI:
    """The ASGI app (see gateway.app.create_app)."""
    from .app import create_app as _create

    return _create(settings, store, **kwargs)
