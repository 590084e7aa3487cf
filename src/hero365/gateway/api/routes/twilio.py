"""Twilio: the voice webhook (TwiML connecting the call to our media stream) and the media stream itself.

Point a Twilio number's "A call comes in" webhook at POST /api/v1/telephony/twilio/voice?business_id=N.
With TWILIO_AUTH_TOKEN set, every webhook must carry a valid X-Twilio-Signature (403 otherwise); the stream
is opened only with the signed parameters that TwiML gave it. Protocol details in calls.telephony.twilio.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request, Response, WebSocket, WebSocketDisconnect

from ....calls.telephony.twilio import (
    STATUS_PATH,
    STREAM_PATH,
    VOICE_PATH,
    BadStream,
    TwilioMediaLeg,
    connect_twiml,
    serve_stream,
    stream_token,
    stream_url,
    valid_signature,
)
from ...audit import Entry
from ...errors import ApiError
from ..deps import Gateway

router = APIRouter(tags=["telephony"])
log = logging.getLogger("hero365.gateway.twilio")


def _twiml(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/xml")


def _say_and_hang_up(text: str) -> Response:
    return _twiml(f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>{text}</Say><Hangup/></Response>')


def _not_configured() -> ApiError:
    return ApiError(403, "twilio_not_configured", "Twilio is not configured on this gateway: set TWILIO_AUTH_TOKEN "
                    "(and TWILIO_PUBLIC_URL) so its webhooks can be verified.")


def _bad_signature() -> ApiError:
    return ApiError(403, "bad_signature", "X-Twilio-Signature does not match this request.")


def _signed_url(gw: Gateway, request: Request) -> str:
    """The URL Twilio signed: the public one it was configured with, not what a proxy forwarded to us."""
    if gw.settings.twilio_public_url:
        query = f"?{request.url.query}" if request.url.query else ""
        return gw.settings.twilio_public_url.rstrip("/") + request.url.path + query
    return str(request.url)


@router.post(VOICE_PATH, summary="Twilio voice webhook: connects the call to the receptionist's media stream")
async def voice(request: Request, business_id: Annotated[int, Query(ge=1, le=2**31 - 1)]) -> Response:
    gw: Gateway = request.app.state.gateway
    params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    token = gw.settings.twilio_auth_token
    audit = {"call_sid": params.get("CallSid")}
    given = request.headers.get("X-Twilio-Signature")
    if not token:  # an unsigned webhook would let anyone on the internet open calls into a business
        raise _not_configured()
    if not valid_signature(token, _signed_url(gw, request), params, given):
        gw.audit.submit(Entry(kind="twilio", action=f"POST {VOICE_PATH}", outcome="bad_signature",
                              business_id=business_id, status=403, detail=audit))
        raise _bad_signature()
    async with gw.store.directory() as uow:
        business = await uow.directory.business(business_id)
    if business is None:
        return _say_and_hang_up("Sorry, this number is not set up to take calls yet. Goodbye.")
    if not gw.tokens.secret:
        log.error("Twilio stream parameters can't be signed: the gateway has no JWT secret")
        return _say_and_hang_up("Sorry, we can't take calls right now. Please try again later.")
    signed = stream_token(gw.tokens.secret, {"business_id": business_id, "direction": "inbound",
                                             "caller": params.get("From") or None,
                                             "call_sid": params.get("CallSid") or None})
    gw.audit.submit(Entry(kind="twilio", action=f"POST {VOICE_PATH}", outcome="connected", business_id=business_id,
                          status=200, detail=audit))
    return _twiml(connect_twiml(stream_url(gw.settings, str(request.base_url)), signed))


@router.post(STATUS_PATH, status_code=204, summary="Twilio status callback for an outbound call")
async def status(request: Request, dial: Annotated[str, Query(min_length=8, max_length=64)]) -> Response:
    from ....calls.telephony.twilio_outbound import status_callback

    gw: Gateway = request.app.state.gateway
    params = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    token, given = gw.settings.twilio_auth_token, request.headers.get("X-Twilio-Signature")
    if not token:
        raise _not_configured()
    if not valid_signature(token, _signed_url(gw, request), params, given):
        raise _bad_signature()
    known = await status_callback(dial, params)
    if not known:
        log.info("status %s for a call no dial here is waiting for", params.get("CallStatus"))
    return Response(status_code=204)


@router.websocket(STREAM_PATH)
async def media_stream(ws: WebSocket) -> None:
    gw: Gateway = ws.app.state.gateway
    await ws.accept()

    async def receive() -> str | None:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return None
        return message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")

    async def converse(leg: TwilioMediaLeg, claims: dict[str, Any]) -> Any:
        from ....calls.bridge import answer_call, shared_speech

        business_id = int(claims["business_id"])
        gw.audit.submit(Entry(kind="twilio", action=f"WS {STREAM_PATH}", outcome="started", business_id=business_id,
                              detail={"call_sid": leg.call_id, "direction": claims.get("direction")}))
        if claims.get("direction") == "outbound":  # the dialer waiting for this call talks on it
            from ....calls.telephony.twilio_outbound import stream_answered

            if not stream_answered(str(claims.get("dial", "")), leg):
                raise BadStream("no dial in this process is waiting for that call (run the dialer in the gateway)")
            return await leg.wait_ended()
        return await answer_call(leg, gw.store, business_id, gw.settings, speech=await shared_speech(gw.settings))

    async def close() -> None:
        with contextlib.suppress(Exception):
            await ws.close()

    try:
        await serve_stream(receive, ws.send_text, gw.tokens.secret or "", converse, on_close=close)
    except BadStream as exc:
        gw.audit.submit(Entry(kind="twilio", action=f"WS {STREAM_PATH}", outcome="refused", detail={"why": str(exc)}))
        with contextlib.suppress(Exception):
            await ws.close(code=4403, reason=str(exc)[:120])
    except WebSocketDisconnect:
        pass
    finally:
        await close()
