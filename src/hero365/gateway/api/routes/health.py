"""Liveness and readiness probes (not rate limited, not audited: orchestrators call them every few seconds)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..deps import GatewayDep
from ..schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> HealthOut:
    """The process is up and answering."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def readyz(gw: GatewayDep) -> JSONResponse:
    """The database and the cache answer (and Redis rate limits, when configured)."""
    checks = {"database": await gw.store.ping(), "cache": await gw.store.cache.ping()}
    ping = getattr(gw.limiter, "ping", None)
    if ping is not None:
        checks["rate_limits"] = await ping()
    ok = all(checks.values())
    return JSONResponse(HealthOut(status="ok" if ok else "unavailable", checks=checks).model_dump(),
                        status_code=200 if ok else 503)
