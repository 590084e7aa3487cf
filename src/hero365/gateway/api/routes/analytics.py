"""Analytics routes and the dashboard page: owner and office see their business's figures.

Every figure is computed by insights.analytics in SQL over the conversation store (and the dialer's call
attempts for campaign funnels), over local days of the business's time zone. The window is the current
day / week / month by default, or `start`..`end`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ....insights import analytics as an
from ....insights.funnels import funnels as funnel_figures
from ....insights.periods import PeriodError, Window, window
from ....voice.state import AgentKind
from ...errors import ApiError
from ..deps import BusinessViewer, GatewayDep
from ..schemas import ErrorOut

router = APIRouter()
PREFIX = "/api/v1/voice-agents/analytics"
RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (400, 401, 403, 422, 429)}
STATIC = Path(__file__).resolve().parents[2] / "static"

Day = Annotated[date | None, Query(description="YYYY-MM-DD, a local day of the business (inclusive)")]
PeriodQ = Annotated[Literal["day", "week", "month"], Query(
    description="The window when no dates are given: the current day, week (Monday first) or month")]
AgentQ = Annotated[AgentKind | None, Query(description="Only this agent")]


class WindowOut(BaseModel):
    period: str
    start: date
    end: date
    timezone: str


class IntentCount(BaseModel):
    intent: str
    count: int


class FiguresOut(BaseModel):
    agent: str = Field(description="An agent (personal, sales, support, receptionist) or 'all'")
    conversations: int
    avg_duration_s: float | None
    resolved: int
    resolution_rate: float | None = Field(description="Resolved / conversations (no handoff, last turn not failed)")
    turns: int
    tool_calls: int
    tool_errors: int
    tool_error_rate: float | None
    conversions: dict[str, int] = Field(description="Conversations with a booking, reschedule, payment promise")
    conversion_rates: dict[str, float | None]
    outcomes: dict[str, int]
    top_intents: list[IntentCount]
    failed_intents: list[IntentCount]
    latency_ms: dict[str, dict[str, float | int | None]] = Field(
        description="Per stage, to the millisecond: n, p50, p95 (nearest rank). The summary gives every stage "
                    "(response_ms, v2v_ms, brain_ms, tool_ms, stt_ms, tts_ms); per-agent views response and v2v")


class FailedUtterance(BaseModel):
    text: str = Field(description="What the person said, with phone numbers, e-mails and card numbers redacted")
    intent: str | None
    agent: str
    at: str
    session_id: str


class SummaryOut(BaseModel):
    window: WindowOut
    figures: FiguresOut
    failed_utterances: list[FailedUtterance]


class AgentsOut(BaseModel):
    window: WindowOut
    agents: list[FiguresOut]
    all: FiguresOut


class CallsOut(BaseModel):
    window: WindowOut
    phone: list[FiguresOut] = Field(description="Phone conversations (inbound and outbound) per agent")
    funnels: list[dict[str, Any]]
    funnel_source: str
    note: str


class SeriesPoint(BaseModel):
    start: date
    conversations: int
    resolved: int
    tool_calls: int
    tool_errors: int
    outcomes: dict[str, int]
    latency_ms: dict[str, dict[str, float | int | None]]


class SeriesOut(BaseModel):
    window: WindowOut
    bucket: str
    points: list[SeriesPoint]


async def _window(gw: GatewayDep, business_id: int, period: str, start: date | None, end: date | None
                  ) -> tuple[Window, WindowOut]:
    tz = await an.business_zone(gw.store, business_id)
    try:
        win = window(period, gw.store.clock().astimezone(tz).date(), tz, start, end)  # type: ignore[arg-type]
    except PeriodError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    return win, WindowOut(period=period, start=win.first, end=win.last, timezone=str(tz))


def _figures(f: an.Figures) -> FiguresOut:
    return FiguresOut(**f.as_dict())


@router.get(f"{PREFIX}/summary", response_model=SummaryOut, responses=RESPONSES, tags=["analytics"])
async def summary(actor: BusinessViewer, gw: GatewayDep, period: PeriodQ = "week", start: Day = None,
                  end: Day = None, agent: AgentQ = None) -> SummaryOut:
    """Conversations, duration, resolution, tool errors, conversions, intents and latency over a window, with
    the latest failed utterances (redacted)."""
    win, out = await _window(gw, actor.business_id, period, start, end)
    name = agent.value if agent else None
    figs = await an.figures(gw.store, actor.business_id, win, name)
    return SummaryOut(window=out, figures=_figures(figs.get(name or an.ALL, an.Figures(agent=name or "").finish())),
                      failed_utterances=[FailedUtterance(**u) for u in
                                         await an.failed_utterances(gw.store, actor.business_id, win, name)])


@router.get(f"{PREFIX}/agents", response_model=AgentsOut, responses=RESPONSES, tags=["analytics"])
async def by_agent(actor: BusinessViewer, gw: GatewayDep, period: PeriodQ = "week", start: Day = None,
                   end: Day = None) -> AgentsOut:
    """The same figures per agent (personal, sales, support, receptionist), and all together."""
    win, out = await _window(gw, actor.business_id, period, start, end)
    figs = await an.figures(gw.store, actor.business_id, win, latencies=an.HEADLINE)
    return AgentsOut(window=out, agents=[_figures(f) for k, f in figs.items() if k != an.ALL],
                     all=_figures(figs[an.ALL]))


@router.get(f"{PREFIX}/calls", response_model=CallsOut, responses=RESPONSES, tags=["analytics"])
async def calls(actor: BusinessViewer, gw: GatewayDep, period: PeriodQ = "week", start: Day = None,
                end: Day = None) -> CallsOut:
    """Phone conversations per agent (outcomes, conversions) and the outbound campaign funnels."""
    win, out = await _window(gw, actor.business_id, period, start, end)
    figs = await an.figures(gw.store, actor.business_id, win, channel="phone", latencies=an.HEADLINE)
    funnels = await funnel_figures(gw.store, actor.business_id, win)
    return CallsOut(window=out, phone=[_figures(f) for f in figs.values()], funnels=funnels["funnels"],
                    funnel_source=funnels["source"], note=funnels["note"])


@router.get(f"{PREFIX}/series", response_model=SeriesOut, responses=RESPONSES, tags=["analytics"])
async def series(actor: BusinessViewer, gw: GatewayDep, period: PeriodQ = "week", start: Day = None,
                 end: Day = None, agent: AgentQ = None,
                 bucket: Annotated[Literal["day", "week", "month"], Query(description="Bucket size")] = "day",
                 ) -> SeriesOut:
    """Per day / week / month: conversations, outcomes, tool errors and latency percentiles (the dashboard's
    charts)."""
    win, out = await _window(gw, actor.business_id, period, start, end)
    try:
        points = await an.series(gw.store, actor.business_id, win, bucket, agent.value if agent else None)
    except PeriodError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    return SeriesOut(window=out, bucket=bucket, points=[SeriesPoint(**p) for p in points])


@router.get("/dashboard", include_in_schema=False)
async def dashboard() -> FileResponse:
    """The analytics dashboard (static; it reads the API above with the member's bearer token)."""
    return FileResponse(STATIC / "dashboard.html", media_type="text/html")
