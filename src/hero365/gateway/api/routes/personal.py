"""The personal assistant: start a voice session (LiveKit room or the built-in WebSocket channel) and send
text commands to a member's session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ....erp.domain.errors import NotConfigured
from ...errors import ApiError
from ...sessions import LiveSession, SessionFull
from ...turns import open_text_session, run_text_turn
from ..deps import CurrentActor, GatewayDep
from ..schemas import ErrorOut, SendCommandIn, SendCommandOut, StartSessionIn, StartSessionOut

router = APIRouter(prefix="/api/v1/voice-agents/personal", tags=["personal assistant"])
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (400, 401, 403, 404, 422, 429)}
WS_PATH = "/api/v1/voice-agents/personal/ws"


def _livekit_configured(gw: GatewayDep) -> bool:
    s = gw.settings
    return bool(s.livekit_url and s.livekit_api_key and s.livekit_api_secret)


@router.post("/start-session", response_model=StartSessionOut, responses={**ERRORS, 503: {"model": ErrorOut}})
async def start_session(body: StartSessionIn, request: Request, gw: GatewayDep, actor: CurrentActor
                        ) -> StartSessionOut:
    """A voice session for the signed-in member.

    With a LiveKit server configured: a fresh room, the personal agent dispatched into it with the user and
    business in its metadata, and a join token. Without one: a session id and the WebSocket URL of the
    built-in audio channel (append `&token=<your token>`; send 16 kHz int16 mono PCM as binary frames).
    """
    session_id = gw.sessions.new_id()
    request.state.session_id = session_id
    if _livekit_configured(gw):
        from ....voice.dispatch import DispatchMetadata, create_room_and_token, livekit_api

        meta = DispatchMetadata(business_id=actor.business_id, kind="personal", user_id=actor.user_id,
                                session_id=session_id, channel="web", driving=body.driving)
        api = livekit_api(gw.settings)
        try:
            room = await create_room_and_token(api, meta, name=actor.name, settings=gw.settings)
        except NotConfigured:
            raise
        except Exception as exc:
            raise ApiError(502, "livekit_unavailable", "The LiveKit server did not accept the session; try again.",
                           ) from exc
        finally:
            await api.aclose()
        return StartSessionOut(mode="livekit", session_id=session_id, room_name=room["room_name"],
                               access_token=room["access_token"], agent_id=room["agent_name"], url=room["url"])
    live = LiveSession(id=session_id, user_id=actor.user_id, business_id=actor.business_id, kind="voice",
                       actor=actor)
    live.state = {"driving": body.driving}
    try:
        await gw.sessions.add(live)
    except SessionFull:
        raise ApiError(503, "busy", "Too many live sessions on this server; try again shortly.") from None
    base = str(request.base_url).rstrip("/")
    ws_base = "wss://" + base[8:] if base.startswith("https://") else "ws://" + base.removeprefix("http://")
    return StartSessionOut(mode="websocket", session_id=session_id,
                           ws_url=f"{ws_base}{WS_PATH}?session_id={session_id}", sample_rate=16000,
                           speech_input=gw.stt_factory is not None)


@router.post("/send-command", response_model=SendCommandOut, responses={**ERRORS, 503: {"model": ErrorOut}})
async def send_command(body: SendCommandIn, request: Request, gw: GatewayDep, actor: CurrentActor
                       ) -> SendCommandOut:
    """A text turn to the member's agent session: the reply, each tool call, and any change waiting for a yes.

    Omit `session_id` to start a session; pass the returned one to continue it (a proposed change is carried
    out by a "yes" in a later call of the same session). Another user's session id is "not found".
    """
    if body.session_id:
        request.state.session_id = body.session_id
        live = gw.sessions.get(body.session_id, actor)
        if live.kind != "text":
            raise ApiError(409, "voice_session", "That is a voice session: speak (or type) over its WebSocket.")
    else:
        try:
            live = await open_text_session(gw, actor)
        except SessionFull:
            raise ApiError(503, "busy", "Too many live sessions on this server; try again shortly.") from None
        request.state.session_id = live.id
    try:
        out = await run_text_turn(live, body.text)
    except TimeoutError:
        raise ApiError(504, "timeout", "The agent took too long to answer; try again.") from None
    return SendCommandOut(**out)
