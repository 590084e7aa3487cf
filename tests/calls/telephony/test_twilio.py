"""Twilio Media Streams against the gateway on a real socket: the voice webhook's TwiML and signature check,
then a WebSocket client speaking Twilio's protocol (connected, start, media, dtmf, mark, stop)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np
import pytest
import websockets
from sip_peers import free_port, transcribe, until

from hero365.config import Settings
from hero365.gateway import create_app
from hero365.gateway import tables as _audit_tables  # noqa: F401  (the audit log is part of the test schema)
from hero365.voice.speech.audio import ulaw_decode, ulaw_encode

AUTH_TOKEN = "twilio-auth-token-for-tests"
CALL_SID = "CA0123456789abcdef0123456789abcdef"
pytestmark = pytest.mark.timeout(90)


def twilio_sign(url: str, params: dict[str, str]) -> str:
    """How Twilio signs a webhook (written out here, independently of the code under test)."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(AUTH_TOKEN.encode(), data.encode("utf-8"), hashlib.sha1).digest()).decode()


@pytest.fixture
async def gateway(world: Any) -> AsyncIterator[tuple[str, Any]]:
    import uvicorn

    port = free_port(1)  # SOCK_STREAM
    settings = Settings(database_url=world.store.settings.database_url, redis_url=None, jwt_secret="s" * 48,
                        tts="espeak", twilio_auth_token=AUTH_TOKEN, twilio_public_url=f"http://127.0.0.1:{port}",
                        rate_limit_user_per_minute=10_000, rate_limit_business_per_minute=10_000)
    app = create_app(settings, store=world.store, stt_factory=None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.get_running_loop().create_task(server.serve())
    await until(lambda: server.started, 10)
    try:
        yield f"127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


def webhook_params(caller: str) -> dict[str, str]:
    return {"AccountSid": "AC" + "0" * 32, "CallSid": CALL_SID, "From": caller, "To": "+15125550000",
            "Direction": "inbound", "CallStatus": "ringing"}


async def test_the_voice_webhook_checks_the_signature_and_connects_a_stream(gateway: Any, customer: Any) -> None:
    address, _ = gateway
    url = f"http://{address}/api/v1/telephony/twilio/voice?business_id={customer.business_id}"
    params = webhook_params(customer.phone)
    async with httpx.AsyncClient() as http:
        forged = await http.post(url, content=urlencode(params), headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "AAAA"})
        unsigned = await http.post(url, data=params)
        signed = await http.post(url, data=params, headers={"X-Twilio-Signature": twilio_sign(url, params)})
    assert forged.status_code == 403 and unsigned.status_code == 403
    assert signed.status_code == 200 and signed.headers["content-type"].startswith("application/xml")
    stream = re.search(r'<Stream url="([^"]+)"><Parameter name="token" value="([^"]+)"/>', signed.text)
    assert stream and stream.group(1) == f"ws://{address}/api/v1/telephony/twilio/stream"


async def connect_stream(address: str, customer: Any) -> tuple[str, str]:
    url = f"http://{address}/api/v1/telephony/twilio/voice?business_id={customer.business_id}"
    params = webhook_params(customer.phone)
    async with httpx.AsyncClient() as http:
        twiml = (await http.post(url, data=params, headers={"X-Twilio-Signature": twilio_sign(url, params)})).text
    found = re.search(r'<Stream url="([^"]+)"><Parameter name="token" value="([^"]+)"/>', twiml)
    assert found, twiml
    return found.group(1), found.group(2)


def start_event(token: str, call_sid: str = CALL_SID) -> str:
    return json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "accountSid": "AC" + "0" * 32, "streamSid": "MZ1", "callSid": call_sid, "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"token": token}}})


async def test_a_known_caller_talks_to_the_receptionist_over_the_media_stream(gateway: Any, customer: Any,
                                                                              world: Any) -> None:
    address, _ = gateway
    ws_url, token = await connect_stream(address, customer)
    heard: list[np.ndarray] = []
    marks: list[str] = []
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(start_event(token))
        silence = base64.b64encode(ulaw_encode(np.zeros(160, np.int16))).decode()

        async def caller_line() -> None:  # the caller's side: 20 ms of (quiet) audio every 20 ms
            for seq in range(2, 10_000):
                await ws.send(json.dumps({"event": "media", "sequenceNumber": str(seq), "streamSid": "MZ1", "media": {
                    "track": "inbound", "chunk": str(seq), "timestamp": str(seq * 20), "payload": silence}}))
                await asyncio.sleep(0.02)

        line = asyncio.create_task(caller_line())
        try:
            async def listen() -> None:
                async for raw in ws:
                    msg = json.loads(raw)
                    assert msg["streamSid"] == "MZ1"
                    if msg["event"] == "media":
                        heard.append(ulaw_decode(base64.b64decode(msg["media"]["payload"])))
                    elif msg["event"] == "mark":
                        marks.append(msg["mark"]["name"])
                        await ws.send(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": msg["mark"]}))
                        return  # the greeting has been sent in full

            await asyncio.wait_for(listen(), 40)
            await ws.send(json.dumps({"event": "dtmf", "streamSid": "MZ1", "sequenceNumber": "9999",
                                      "dtmf": {"track": "inbound_track", "digit": "9"}}))
            async for raw in ws:  # the goodbye, then the server closes the stream (ending the call)
                msg = json.loads(raw)
                if msg["event"] == "media":
                    heard.append(ulaw_decode(base64.b64decode(msg["media"]["payload"])))
        except websockets.ConnectionClosed:
            pass
        finally:
            line.cancel()
    assert marks == ["speech-1"]
    words = transcribe(np.concatenate(heard), 8000).lower()
    assert "bob" in words and "automated assistant" in words, words
    assert "call list" in words or "hear from us" in words, words
    async with world.store.uow(customer.business_id) as uow:
        contact = await uow.contacts.get(customer.contact_id)
    assert contact.do_not_call  # keypad 9 on the Twilio call
    from hero365.insights.tables import conversations

    async with world.store.engine.connect() as conn:
        rows = (await conn.execute(conversations.select())).mappings().all()
    assert [(r["agent"], r["channel"], r["contact_id"]) for r in rows] == [("receptionist", "phone",
                                                                            customer.contact_id)]


async def test_a_stream_without_valid_signed_parameters_is_refused(gateway: Any, customer: Any) -> None:
    address, _ = gateway
    ws_url, token = await connect_stream(address, customer)
    for bad in ("not-a-token", token[:-4] + "AAAA"):
        async with websockets.connect(ws_url) as ws:
            await ws.send(start_event(bad))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    async with websockets.connect(ws_url) as ws:  # a real token, replayed on another call
        await ws.send(start_event(token, call_sid="CA" + "f" * 32))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and "another call" in closed.value.rcvd.reason


class FakeTwilio:
    """Twilio's side of an outbound call, on 127.0.0.1: the REST API (Calls.json, basic auth), signed status
    callbacks to the gateway, and the media stream Twilio opens once the callee answers."""

    def __init__(self, busy: set[str]) -> None:
        self.busy = busy
        self.created: list[Any] = []
        self.heard: list[np.ndarray] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.hang_up = asyncio.Event()

    async def create_call(self, request: Any) -> Any:
        from aiohttp import BasicAuth, web

        auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        if (auth.login, auth.password) != ("AC" + "1" * 32, AUTH_TOKEN):
            return web.json_response({"code": 20003, "message": "Authenticate", "status": 401}, status=401)
        form = await request.post()
        self.created.append(form)
        if not form.get("To", "").startswith("+") or "<Stream" not in form.get("Twiml", ""):
            return web.json_response({"code": 21211, "message": "Invalid 'To'", "status": 400}, status=400)
        sid = f"CA{len(self.created):032d}"
        task = asyncio.get_running_loop().create_task(self.ring(sid, form))
        self.tasks.add(task)
        return web.json_response({"sid": sid, "status": "queued", "to": form["To"]}, status=201)

    async def callback(self, url: str, sid: str, status: str) -> None:
        params = {"CallSid": sid, "CallStatus": status, "AccountSid": "AC" + "1" * 32}
        async with httpx.AsyncClient() as http:
            r = await http.post(url, data=params, headers={"X-Twilio-Signature": twilio_sign(url, params)})
        assert r.status_code == 204, r.text

    async def ring(self, sid: str, form: Any) -> None:
        await self.callback(form["StatusCallback"], sid, "ringing")
        if form["To"] in self.busy:
            await self.callback(form["StatusCallback"], sid, "busy")
            return
        url, token = re.search(r'<Stream url="([^"]+)"><Parameter name="token" value="([^"]+)"/>',
                               form["Twiml"]).groups()  # type: ignore[union-attr]
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
            await ws.send(start_event(token, call_sid=sid))
            silence = base64.b64encode(ulaw_encode(np.zeros(160, np.int16))).decode()

            async def talk() -> None:
                while not self.hang_up.is_set():
                    await ws.send(json.dumps({"event": "media", "streamSid": "MZ1",
                                              "media": {"track": "inbound", "payload": silence}}))
                    await asyncio.sleep(0.02)
                await ws.send(json.dumps({"event": "stop", "streamSid": "MZ1", "stop": {"callSid": sid}}))

            talking = asyncio.get_running_loop().create_task(talk())
            with contextlib.suppress(websockets.ConnectionClosed):
                async for raw in ws:
                    msg = json.loads(raw)
                    if msg["event"] == "media":
                        self.heard.append(ulaw_decode(base64.b64decode(msg["media"]["payload"])))
                    elif msg["event"] == "mark":
                        self.hang_up.set()  # heard the agent's first words: hang up
            talking.cancel()


@pytest.fixture
async def twilio_api() -> AsyncIterator[tuple[FakeTwilio, str]]:
    from aiohttp import web

    fake = FakeTwilio(busy={"+15125550199"})
    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Calls.json", fake.create_call)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port(1)
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield fake, f"http://127.0.0.1:{port}"
    for task in fake.tasks:
        task.cancel()
    await runner.cleanup()


async def test_an_outbound_twilio_call_rings_answers_and_the_agent_speaks_on_its_stream(
        gateway: Any, twilio_api: Any, customer: Any, world: Any) -> None:
    from hero365.calls.bridge import PhoneSpeech, run_call
    from hero365.calls.telephony.base import CallNotConnected, CallState, DialRequest
    from hero365.calls.telephony.twilio_outbound import TwilioTrunk
    from hero365.voice.audio_session import make_vad
    from hero365.voice.speech.tts import make_tts

    _, app = gateway
    fake, api_base = twilio_api
    settings = app.state.gateway.settings.model_copy(update={
        "twilio_account_sid": "AC" + "1" * 32, "twilio_api_base": api_base, "caller_id": "+15125550000"})
    trunk = TwilioTrunk(settings)
    states: list[CallState] = []
    with pytest.raises(CallNotConnected) as busy:
        await trunk.dial(DialRequest(attempt_id=1, business_id=customer.business_id, to="+15125550199",
                                     contact_id=customer.contact_id), lambda ev: states.append(ev.state))
    assert busy.value.event.state == CallState.BUSY and states == [CallState.DIALING, CallState.RINGING,
                                                                   CallState.BUSY]
    states.clear()
    leg = await trunk.dial(DialRequest(attempt_id=2, business_id=customer.business_id, to=customer.phone,
                                       contact_id=customer.contact_id, ring_timeout_s=20),
                           lambda ev: states.append(ev.state))
    assert states == [CallState.DIALING, CallState.RINGING, CallState.ANSWERED] and leg.audio_input is not None
    created = fake.created[-1]
    assert created["To"] == customer.phone and created["From"] == "+15125550000" and created["Timeout"] == "20"
    assert created.getall("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    speech = PhoneSpeech(tts=make_tts(settings, sample_rate=8000), vad=make_vad(), settings=settings)
    report = await asyncio.wait_for(run_call(leg, world.store, customer.business_id, customer.contact_id,
                                             "appointment_reminder", settings=settings, speech=speech), 60)
    assert report.hung_up_by == "remote" and report.amd is not None and report.amd.verdict == "human"
    words = transcribe(np.concatenate(fake.heard), 8000).lower()
    assert "automated assist" in words and "appointment" in words, words
