"""Outbound calls through Twilio: the REST API places the call with TwiML connecting its audio to the
gateway's media stream; the call's fate comes back as status callbacks (ringing, busy, no-answer, failed)
or as the stream opening (answered).

The dial waits in this process for one of those, so the dialer must run in the gateway's process (the
in-process queue of `hero365 serve`): the stream and the callbacks arrive at this gateway and are matched
to the waiting dial by a nonce inside the signed stream parameters / callback URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from ...config import Settings
from ...erp.domain.errors import NotConfigured
from .base import CallEvent, CallLeg, CallNotConnected, CallState, DialRequest, StateCallback, Trunk, kind_for
from .twilio import STATUS_PATH, VOICE_PATH, TwilioMediaLeg, connect_twiml, stream_token, stream_url

log = logging.getLogger(__name__)
#: Twilio's final call statuses before an answer, as attempt states.
FINAL_STATUS = {"busy": CallState.BUSY, "no-answer": CallState.NO_ANSWER, "canceled": CallState.NO_ANSWER,
                "failed": CallState.FAILED}


@dataclass
class PendingDial:
    """A call placed and not yet answered or ended: what the stream and the callbacks resolve."""

    on_state: StateCallback | None
    result: asyncio.Future[TwilioMediaLeg | CallEvent] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())
    call_sid: str | None = None
    rang: bool = False


#: nonce -> the dial waiting for it (this process only).
PENDING: dict[str, PendingDial] = {}


async def _emit(callback: StateCallback | None, event: CallEvent) -> None:
    if callback is not None:
        out = callback(event)
        if inspect.isawaitable(out):
            await out


async def status_callback(nonce: str, params: dict[str, str]) -> bool:
    """A (signature-checked) status callback: ringing is reported, a final status ends the dial. False when no
    dial here is waiting for it."""
    pending = PENDING.get(nonce)
    if pending is None:
        return False
    status = params.get("CallStatus", "")
    if status == "ringing" and not pending.rang:
        pending.rang = True
        await _emit(pending.on_state, CallEvent(CallState.RINGING, time.time()))
    elif status in FINAL_STATUS and not pending.result.done():
        code = params.get("SipResponseCode")
        pending.result.set_result(CallEvent(FINAL_STATUS[status], time.time(),
                                            sip_code=int(code) if code and code.isdigit() else None, reason=status))
    return True


def stream_answered(nonce: str, leg: TwilioMediaLeg) -> bool:
    """The call's media stream opened (the callee answered): hand the leg to the waiting dial."""
    pending = PENDING.get(nonce)
    if pending is None or pending.result.done():
        return False
    pending.result.set_result(leg)
    return True


class TwilioTrunk(Trunk):
    """Places calls with Twilio's REST API; inbound Twilio calls arrive through the gateway's voice webhook."""

    name = "twilio"

    def __init__(self, settings: Settings, secret: str | None = None) -> None:
        self.settings = settings
        self._secret = secret

    @property
    def secret(self) -> str:
        if self._secret is None:
            from ...gateway.auth import load_secret

            self._secret = load_secret(self.settings) or ""
        return self._secret

    def _check(self) -> tuple[str, str, str]:
        s = self.settings
        missing = [name for name, value in (("TWILIO_ACCOUNT_SID", s.twilio_account_sid),
                                            ("TWILIO_AUTH_TOKEN", s.twilio_auth_token),
                                            ("TWILIO_PUBLIC_URL", s.twilio_public_url), ("CALLER_ID", s.caller_id))
                   if not value]
        if missing:
            raise NotConfigured(f"Outbound calls through Twilio need {', '.join(missing)} set.")
        return s.twilio_account_sid, s.twilio_auth_token, s.twilio_public_url  # type: ignore[return-value]

    async def dial(self, request: DialRequest, on_state: StateCallback | None = None) -> CallLeg:
        sid, token, public = self._check()
        if request.contact_id is None:
            raise CallNotConnected(CallEvent(CallState.FAILED, time.time(), reason="a call needs its contact"))
        nonce = secrets.token_urlsafe(16)
        pending = PendingDial(on_state)
        PENDING[nonce] = pending
        claims = {"business_id": request.business_id, "direction": "outbound", "contact_id": request.contact_id,
                  "purpose": request.purpose, "agent": kind_for(request.purpose, request.agent).value,
                  "attempt_id": request.attempt_id, "dial": nonce}
        twiml = connect_twiml(stream_url(self.settings, public), stream_token(self.secret, claims))
        form = [("To", request.to), ("From", request.caller_id or self.settings.caller_id or ""), ("Twiml", twiml),
                ("Timeout", str(int(request.ring_timeout_s))),
                ("StatusCallback", f"{public.rstrip('/')}{STATUS_PATH}?dial={quote(nonce)}"),
                ("StatusCallbackMethod", "POST"),
                *[("StatusCallbackEvent", e) for e in ("initiated", "ringing", "answered", "completed")]]
        base = self.settings.twilio_api_base.rstrip("/")
        try:
            await _emit(on_state, CallEvent(CallState.DIALING, time.time()))
            async with aiohttp.ClientSession(auth=aiohttp.BasicAuth(sid, token),
                                             timeout=aiohttp.ClientTimeout(total=15)) as http:
                async with http.post(f"{base}/2010-04-01/Accounts/{sid}/Calls.json", data=form) as resp:
                    body = await resp.json(content_type=None)
                if resp.status >= 300:
                    event = CallEvent(CallState.FAILED, time.time(), reason=f"Twilio {resp.status}: "
                                      f"{body.get('message') or body}")
                    await _emit(on_state, event)
                    raise CallNotConnected(event)
                pending.call_sid = body.get("sid")
                try:
                    outcome = await asyncio.wait_for(asyncio.shield(pending.result), request.ring_timeout_s + 10)
                except TimeoutError:
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        await http.post(f"{base}/2010-04-01/Accounts/{sid}/Calls/{pending.call_sid}.json",
                                        data={"Status": "canceled"})
                    outcome = CallEvent(CallState.NO_ANSWER, time.time(), reason="no answer (cancelled)")
        except aiohttp.ClientError as exc:
            event = CallEvent(CallState.FAILED, time.time(), reason=f"Twilio unreachable: {exc}")
            await _emit(on_state, event)
            raise CallNotConnected(event) from None
        finally:
            PENDING.pop(nonce, None)
        if isinstance(outcome, CallEvent):
            await _emit(on_state, outcome)
            raise CallNotConnected(outcome)
        outcome.remote = request.to
        await _emit(on_state, CallEvent(CallState.ANSWERED, time.time()))
        return outcome

    async def serve_inbound(self, handler: Any) -> None:
        raise NotImplementedError(f"Twilio calls arrive at the gateway: point the number's voice webhook at "
                                  f"POST {VOICE_PATH}?business_id=N on `hero365 serve`.")
