"""The WebSocket of the built-in audio channel (protocol in gateway.voice_channel).

Browsers can't set headers on a WebSocket, so the token comes as `?token=`; the same checks as every HTTP
request follow (signature, expiry, membership, rate limit), plus the Origin (a page on another site can't
ride a user's token). Refusals close the socket with 44xx codes that mirror the HTTP statuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from ....erp.domain.errors import DomainError
from ...audit import Entry
from ...auth import AuthError, verify_async
from ...errors import ApiError
from ...ratelimit import limits_for
from ...sessions import LiveSession, SessionFull
from ...turns import open_agent
from ...voice_channel import SocketAudioInput, SocketAudioOutput, dumps, event_forwarder
from ..deps import Gateway, resolve_actor
from ..schemas import SESSION_ID

router = APIRouter()
log = logging.getLogger("hero365.gateway")
MAX_MESSAGE = 64 * 1024


def _origin_ok(ws: WebSocket, gw: Gateway) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:  # not a browser: the token alone decides
        return True
    host = ws.headers.get("host", "")
    allowed = {o.strip() for o in gw.settings.cors_origins.split(",") if o.strip()}
    return origin in allowed or origin.split("://", 1)[-1] == host


async def _speech(gw: Gateway) -> dict[str, Any]:
    """The process's VAD and TTS (loaded once, in a thread: model files), shared by its voice sessions."""
    if gw.speech is None:
        from ....voice.audio_session import make_vad
        from ....voice.speech.tts import make_tts

        vad, tts = await asyncio.gather(asyncio.to_thread(make_vad), asyncio.to_thread(make_tts, gw.settings))
        gw.speech = {"vad": vad, "tts": tts}
    return gw.speech


async def _recogniser(gw: Gateway, actor: Any) -> Any:
    if gw.stt_factory is None:
        return None
    made = gw.stt_factory(actor)
    return await made if inspect.isawaitable(made) else made


@router.websocket("/api/v1/voice-agents/personal/ws")
async def voice_socket(ws: WebSocket, token: Annotated[str, Query(max_length=8192)] = "",
                       session_id: Annotated[str | None, Query(pattern=SESSION_ID)] = None) -> None:
    gw: Gateway = ws.app.state.gateway
    rid = ws.scope.get("state", {}).get("request_id")

    def audit(outcome: str, actor: Any = None, **detail: Any) -> None:
        gw.audit.submit(Entry(kind="socket", action="WS /api/v1/voice-agents/personal/ws", outcome=outcome,
                              business_id=getattr(actor, "business_id", None), user_id=getattr(actor, "user_id", None),
                              request_id=rid, detail={k: v for k, v in detail.items() if v is not None} or None))

    async def refuse(code: int, reason: str, outcome: str, actor: Any = None) -> None:
        audit(outcome, actor, session_id=session_id)
        await ws.accept()  # accepted first, so the page can read the close code and reason
        await ws.close(code=code, reason=reason[:120])

    if not _origin_ok(ws, gw):
        return await refuse(4403, "This page's origin may not use the voice channel.", "bad_origin")
    try:
        claims = await verify_async(gw.tokens, token) if token else None
        if claims is None:
            raise AuthError("missing_token", "Sign in: pass ?token=<your token>.")
        actor = await resolve_actor(gw, claims, None)
    except AuthError as exc:
        return await refuse(4401, exc.message, exc.code)
    except ApiError as exc:
        return await refuse(4000 + exc.status_code, exc.message, exc.code)
    s = gw.settings
    decision = await gw.limiter.hit(limits_for(str(actor.user_id), actor.business_id, s.rate_limit_user_per_minute,
                                               s.rate_limit_business_per_minute))
    if not decision.allowed:
        return await refuse(4429, f"Too many requests; try again in {int(decision.retry_after) + 1} s.", "rate_limited",
                            actor)
    try:
        if session_id:
            live = gw.sessions.get(session_id, actor)
            if live.kind != "voice" or live.attached:
                return await refuse(4409, "That session is not a voice session waiting for its socket.", "conflict",
                                    actor)
        else:
            live = LiveSession(id=gw.sessions.new_id(), user_id=actor.user_id, business_id=actor.business_id,
                               kind="voice", actor=actor)
            await gw.sessions.add(live)
    except DomainError as exc:
        return await refuse(4404, exc.message, exc.code, actor)
    except SessionFull:
        return await refuse(4503, "Too many live sessions on this server; try again shortly.", "busy", actor)
    live.attached = True
    await ws.accept()
    audit("connected", actor, session_id=live.id)
    await _run(ws, gw, live, actor)
    audit("closed", actor, session_id=live.id)


async def _run(ws: WebSocket, gw: Gateway, live: LiveSession, actor: Any) -> None:
    from ....voice.audio_session import DEFAULT_TURN, voice_session
    from ....voice.state import SessionState

    outgoing: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    async def sender() -> None:
        while (msg := await outgoing.get()) is not None:
            try:
                await (ws.send_bytes(msg) if isinstance(msg, bytes) else ws.send_text(msg))
            except Exception:
                return

    def emit(event: dict[str, Any]) -> None:
        outgoing.put_nowait(dumps(event))

    async def send_json(event: dict[str, Any]) -> None:
        emit(event)

    async def send_bytes(data: bytes) -> None:
        outgoing.put_nowait(data)

    sending = asyncio.get_running_loop().create_task(sender())
    mic = SocketAudioInput()
    speaker = SocketAudioOutput(send_json, send_bytes)
    driving = bool(live.state.get("driving")) if isinstance(live.state, dict) else False
    live.state = SessionState(store=gw.store, actor=actor, channel="web", session_id=live.id, driving=driving)
    try:
        speech = await _speech(gw)
        stt = await _recogniser(gw, actor)
        # no recogniser: typed turns only, and nothing to filter backchannels from
        tuning = DEFAULT_TURN if stt is not None else dataclasses.replace(DEFAULT_TURN, filter_backchannels=False)
        session = voice_session(live.state, stt, speech["tts"], speech["vad"], audio_in=mic, audio_out=speaker,
                                tuning=tuning, settings=gw.settings)
        event_forwarder(session, live.state, emit)

        async def on_close() -> None:
            mic.close()
            await speaker.aclose()

        live.on_close = on_close
        await open_agent(gw, live, session, "web")
        emit({"type": "ready", "session_id": live.id, "speech_input": stt is not None,
              "sample_rate": mic.sample_rate})
        if stt is None:
            emit({"type": "error", "message": "Speech recognition is not set up on this server: use the text box."})
        await _receive(ws, gw, live, actor, mic, emit)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("voice session %s failed", live.id)
        emit({"type": "error", "message": "internal error"})
    finally:
        await gw.sessions.end(live.id)
        outgoing.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sending, 2)
        with contextlib.suppress(Exception):
            await ws.close()


async def _receive(ws: WebSocket, gw: Gateway, live: LiveSession, actor: Any, mic: SocketAudioInput,
                   emit: Any) -> None:
    s = gw.settings
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        live.touch()
        data, text = message.get("bytes"), message.get("text")
        if data is not None:
            if len(data) > MAX_MESSAGE:
                await ws.close(code=1009, reason="audio message too large")
                return
            mic.push(data)
            continue
        try:
            event = json.loads(text or "")
            kind = event.get("type")
        except (ValueError, AttributeError):
            emit({"type": "error", "message": "Send JSON events or binary PCM audio."})
            continue
        if kind == "ptt" and not event.get("down"):
            mic.silence()  # the button is up: the speech ends here
        elif kind == "text" and isinstance(event.get("text"), str) and 0 < len(event["text"].strip()) <= 500:
            decision = await gw.limiter.hit(limits_for(str(actor.user_id), actor.business_id,
                                                       s.rate_limit_user_per_minute, s.rate_limit_business_per_minute))
            if not decision.allowed:
                emit({"type": "error", "message": "Too many requests; wait a moment."})
                continue
            live.session.interrupt()
            live.session.generate_reply(user_input=event["text"].strip())
        elif kind != "ptt":
            emit({"type": "error", "message": f"Unknown event {str(kind)[:40]!r}."})
