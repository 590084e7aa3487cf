"""`GET /metrics`: the Prometheus exposition (this process's `hero365_*` metrics and the database's figures).

Not rate limited and not audited (Prometheus scrapes it every few seconds). It names no business, user or
contact; where the port is reachable by others, set METRICS_TOKEN and give Prometheus the same bearer token.
"""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ....insights import metrics
from ...errors import ApiError
from ..deps import GatewayDep

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request, gw: GatewayDep) -> Response:
    token = gw.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ApiError(401, "unauthorized", "Send the metrics token: 'Authorization: Bearer <METRICS_TOKEN>'.",
                           headers={"WWW-Authenticate": "Bearer"})
    db: metrics.DatabaseMetrics | None = getattr(request.app.state, "db_metrics", None)
    if db is not None:
        await db.refresh()  # at most once per METRICS_DB_CACHE_SECONDS; concurrent scrapes share the read
    body = await asyncio.to_thread(metrics.exposition, db)
    return Response(body, media_type=metrics.CONTENT_TYPE_LATEST)
