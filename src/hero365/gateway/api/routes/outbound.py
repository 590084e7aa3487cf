"""Outbound calls and campaigns: the routes, their auth and validation live here; placing calls is the
outbound issue's work, so every route answers 501 saying so (nothing is dialled, nothing is faked)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from ....erp.domain.errors import NotFound
from ...errors import ApiError
from ..deps import CallPlacer, GatewayDep
from ..schemas import CampaignIn, ErrorOut, InitiateCallIn

router = APIRouter(prefix="/api/v1/voice-agents/outbound", tags=["outbound calls"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 422, 429, 501)}
CampaignId = Annotated[int, Path(ge=1, le=2**53)]
PENDING = "Outbound calling is not implemented yet (it comes with the outbound calls issue): nothing was dialled."


def _not_yet(what: str) -> ApiError:
    return ApiError(501, "not_implemented", f"{what}: {PENDING}")


async def _contacts_exist(gw: GatewayDep, business_id: int, contact_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(contact_ids))
    async with gw.store.uow(business_id) as uow:
        found = await uow.contacts.get_many(wanted)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise NotFound(f"There is no contact {missing[0]} in this business.")


@router.post("/initiate-call", status_code=202, responses=RESPONSES)
async def initiate_call(body: InitiateCallIn, gw: GatewayDep, actor: CallPlacer) -> None:
    """Call one contact with a calling agent (sales or support, by purpose). Checks the caller's role and that
    the contact is this business's; then 501 until the outbound issue lands."""
    await _contacts_exist(gw, actor.business_id, [body.contact_id])
    raise _not_yet("Placing a call")


@router.get("/campaigns", responses=RESPONSES)
async def list_campaigns(actor: CallPlacer) -> None:
    raise _not_yet("Campaigns")


@router.post("/campaigns", status_code=201, responses=RESPONSES)
async def create_campaign(body: CampaignIn, gw: GatewayDep, actor: CallPlacer) -> None:
    """A calling campaign over these contacts (each checked to be this business's)."""
    await _contacts_exist(gw, actor.business_id, body.contact_ids)
    raise _not_yet("Creating a campaign")


@router.get("/campaigns/{campaign_id}", responses=RESPONSES)
async def campaign_detail(campaign_id: CampaignId, actor: CallPlacer) -> None:
    raise _not_yet("Campaigns")


@router.post("/campaigns/{campaign_id}/{action}", responses=RESPONSES)
async def campaign_action(campaign_id: CampaignId, action: Annotated[str, Path(pattern="^(start|pause|cancel)$")],
                          actor: CallPlacer) -> None:
    """Start, pause or cancel a campaign."""
    raise _not_yet("Campaigns")
