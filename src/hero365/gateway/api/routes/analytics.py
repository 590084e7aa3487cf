"""Analytics routes (auth and validation here; the figures come with the insights issue: 501 until then)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ...errors import ApiError
from ..deps import BusinessViewer
from ..schemas import ErrorOut

router = APIRouter(prefix="/api/v1/voice-agents/analytics", tags=["analytics"])
RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422, 429, 501)}
Day = Annotated[date | None, Query(description="YYYY-MM-DD, in the business's time zone")]
PENDING = "Voice analytics are not implemented yet (they come with the insights issue); no figures are invented."


def _check(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ApiError(422, "invalid_request", "The end date is before the start date.")


@router.get("/summary", responses=RESPONSES)
async def summary(actor: BusinessViewer, start: Day = None, end: Day = None) -> None:
    """Sessions, turns, tool calls, outcomes and call results over a period."""
    _check(start, end)
    raise ApiError(501, "not_implemented", PENDING)


@router.get("/agents", responses=RESPONSES)
async def by_agent(actor: BusinessViewer, start: Day = None, end: Day = None) -> None:
    """The same figures per agent (personal, sales, support, receptionist)."""
    _check(start, end)
    raise ApiError(501, "not_implemented", PENDING)


@router.get("/calls", responses=RESPONSES)
async def calls(actor: BusinessViewer, start: Day = None, end: Day = None) -> None:
    """Outbound and inbound call outcomes."""
    _check(start, end)
    raise ApiError(501, "not_implemented", PENDING)
