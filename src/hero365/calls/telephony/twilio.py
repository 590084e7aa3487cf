"""Twilio Media Streams: a phone call's audio over a WebSocket, base64 G.711 mu-law at 8 kHz.

Twilio asks the gateway's voice webhook what to do with a call; the answer is TwiML that connects the call's
audio to our WebSocket (`<Connect><Stream url=...>`), with signed parameters saying which business (and for
outbound calls, which contact and purpose) the stream belongs to, so a stranger opening the socket gets
nothing. On the socket Twilio sends `connected`, `start` (stream and call ids, our parameters, the format),
`media` (20 ms of the caller), `dtmf`, `mark` (our audio up to a mark was played) and `stop`; we send
`media` (the agent's voice), `mark` after each stretch of speech, and `clear` on barge-in. Closing the
socket ends the call (the `<Connect>` is the TwiML's last verb).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from xml.sax.saxutils import quoteattr

import jwt

from ...config import Settings
from ...voice.speech.audio import ulaw_decode, ulaw_encode
from .base import CallEvent, CallLeg, CallState
from .phone_audio import PhoneAudioInput, PhoneAudioOutput

log = logging.getLogger(__name__)
STREAM_PATH = "/api/v1/telephony/twilio/stream"
VOICE_PATH = "/api/v1/telephony/twilio/voice"
STATUS_PATH = "/api/v1/telephony/twilio/status"
#: How long the signed stream parameters stay valid (Twilio opens the socket within seconds of the TwiML).
TOKEN_TTL_S = 300


class BadStream(Exception):
    """A media stream we won't serve (bad or missing signed parameters, an unexpected audio format)."""


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the full URL followed by each POST parameter's name and value,
    sorted by name (Twilio's documented scheme)."""
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def valid_signature(auth_token: str, url: str, params: Mapping[str, str], given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(signature(auth_token, url, params), given or "")


def stream_token(secret: str, claims: Mapping[str, Any]) -> str:
    """Signed stream parameters (HS256 with the gateway's secret), bound to one Twilio call."""
    return jwt.encode({**claims, "aud": "twilio-stream", "exp": int(time.time()) + TOKEN_TTL_S}, secret,
                      algorithm="HS256")


def read_stream_token(secret: str, token: str | None) -> dict[str, Any]:
    if not secret:
        raise BadStream("the gateway has no secret to check stream parameters with")
    if not token:
        raise BadStream("the stream carries no signed parameters")
    try:
        return dict(jwt.decode(token, secret, algorithms=["HS256"], audience="twilio-stream"))
    except jwt.PyJWTError as exc:
        raise BadStream(f"bad stream parameters: {exc}") from None


def connect_twiml(stream_url: str, token: str, say_first: str | None = None) -> str:
    """TwiML connecting the call to our WebSocket; the signed token travels as a stream parameter."""
    say = f"<Say>{say_first}</Say>" if say_first else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><Response>' + say +
            f"<Connect><Stream url={quoteattr(stream_url)}>"
            f'<Parameter name="token" value={quoteattr(token)}/></Stream></Connect></Response>')


def stream_url(settings: Settings, request_base: str) -> str:
    """wss://<public host>/api/v1/telephony/twilio/stream (TWILIO_PUBLIC_URL, else the request's own host)."""
    base = (settings.twilio_public_url or request_base).rstrip("/")
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(http):
            base = ws + base[len(http):]
    return base + STREAM_PATH


SendText = Callable[[str], Awaitable[None]]


class TwilioMediaLeg(CallLeg):
    """One Twilio call on a media stream: the caller's audio in, the agent's out, keypad digits, marks."""

    def __init__(self, send_text: SendText, start: Mapping[str, Any]) -> None:
        fmt = start.get("mediaFormat") or {}
        if fmt and (fmt.get("encoding") != "audio/x-mulaw" or int(fmt.get("sampleRate", 8000)) != 8000):
            raise BadStream(f"unexpected media format {fmt}")
        self._send_text = send_text
        self.stream_sid = str(start.get("streamSid", ""))
        self.call_id = str(start.get("callSid", "")) or self.stream_sid
        self.parameters: dict[str, str] = dict(start.get("customParameters") or {})
        self.remote = self.parameters.get("caller", "") or "anonymous"
        self.mic = PhoneAudioInput(label="twilio-in")
        self.speaker = PhoneAudioOutput(self._send_media, idle_silence=False, on_clear=self._clear,
                                        on_segment_sent=self._mark, label="twilio-out")
        self.audio_input, self.audio_output = self.mic, self.speaker
        self._ended: asyncio.Future[CallEvent] = asyncio.get_running_loop().create_future()
        self._marks_sent = 0
        self.marks_played: list[str] = []
        self.digits: list[str] = []
        self._closed = False
        self.on_close: Callable[[], Awaitable[None]] | None = None

    async def _send(self, message: dict[str, Any]) -> None:
        if not self._closed:
            await self._send_text(json.dumps(message))

    async def _send_media(self, frame: bytes) -> None:
        import numpy as np

        payload = base64.b64encode(ulaw_encode(np.frombuffer(frame, dtype="<i2"))).decode()
        await self._send({"event": "media", "streamSid": self.stream_sid, "media": {"payload": payload}})

    def _mark(self) -> None:
        self._marks_sent += 1
        asyncio.ensure_future(self._send({"event": "mark", "streamSid": self.stream_sid,  # noqa: RUF006
                                          "mark": {"name": f"speech-{self._marks_sent}"}}))

    def _clear(self) -> None:
        asyncio.ensure_future(self._send({"event": "clear", "streamSid": self.stream_sid}))  # noqa: RUF006

    def received(self, message: Mapping[str, Any]) -> None:
        """One event from Twilio after `start`."""
        event = message.get("event")
        if event == "media":
            media = message.get("media") or {}
            if media.get("track", "inbound") == "inbound" and media.get("payload"):
                self.mic.push(ulaw_decode(base64.b64decode(media["payload"])))
        elif event == "dtmf":
            digit = str((message.get("dtmf") or {}).get("digit", ""))
            if digit:
                self.digits.append(digit)
                callback = getattr(self, "_dtmf", None)
                if callback is not None:
                    out = callback(digit)
                    if inspect.isawaitable(out):
                        asyncio.ensure_future(out)  # noqa: RUF006
        elif event == "mark":
            self.marks_played.append(str((message.get("mark") or {}).get("name", "")))
        elif event == "stop":
            self._end(CallEvent(CallState.COMPLETED, time.time(), reason="remote hangup"))

    def _end(self, event: CallEvent) -> None:
        if not self._ended.done():
            self._ended.set_result(event)
            self.mic.close()

    @property
    def ended(self) -> bool:
        return self._ended.done()

    async def hangup(self, reason: str = "normal") -> None:
        """Close the stream: with `<Connect>` as the last verb, Twilio ends the call."""
        self._end(CallEvent(CallState.COMPLETED, time.time(), reason=f"local hangup: {reason}"))
        await self.speaker.aclose()
        self._closed = True
        if self.on_close is not None:
            with contextlib.suppress(Exception):
                await self.on_close()

    async def wait_ended(self) -> CallEvent:
        return await asyncio.shield(self._ended)


Receive = Callable[[], Awaitable[str | None]]


async def serve_stream(receive: Receive, send_text: SendText, secret: str,
                       converse: Callable[[TwilioMediaLeg, dict[str, Any]], Awaitable[Any]],
                       on_close: Callable[[], Awaitable[None]] | None = None) -> Any:
    """Run one media stream: wait for `start`, check its signed parameters, run `converse(leg, claims)` while
    feeding it Twilio's events, and end when either side does. Returns what `converse` returned."""
    start: dict[str, Any] | None = None
    while start is None:
        raw = await receive()
        if raw is None:
            return None
        message = json.loads(raw)
        if message.get("event") == "start":
            start = dict(message.get("start") or {})
            start.setdefault("streamSid", message.get("streamSid"))
        elif message.get("event") == "stop":
            return None
    claims = read_stream_token(secret, (start.get("customParameters") or {}).get("token"))
    if claims.get("call_sid") and start.get("callSid") and claims["call_sid"] != start["callSid"]:
        raise BadStream("the signed parameters belong to another call")
    leg = TwilioMediaLeg(send_text, start)
    leg.on_close = on_close
    if claims.get("caller"):
        leg.remote = str(claims["caller"])

    async def pump() -> None:
        while not leg.ended:
            raw = await receive()
            if raw is None:
                leg._end(CallEvent(CallState.COMPLETED, time.time(), reason="stream closed"))
                return
            with contextlib.suppress(ValueError):
                leg.received(json.loads(raw))

    pumping = asyncio.get_running_loop().create_task(pump())
    try:
        return await converse(leg, claims)
    finally:
        pumping.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pumping
        if not leg.ended:
            await leg.hangup("conversation over")
