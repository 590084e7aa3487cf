"""The built-in audio channel end to end without a browser: a recorded command streamed as 16 kHz PCM over
the WebSocket into a server-side AgentSession (offline VAD, the project's recogniser make_stt, the local
brain, espeak TTS); the transcript, the tool call and the reply come back as events, the agent's voice as PCM,
and the row changes."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hero365.erp.domain.jobs import JobStatus
from hero365.voice.speech.audio import read_wav, resample

SOCKET = "/api/v1/voice-agents/personal/ws"
#: Speech is the same on either database: these run on SQLite only (tenancy and auth run on both).
pytestmark = pytest.mark.parametrize("store", ["sqlite"], indirect=True)


async def _collect(ws: Any, until: Any, within_s: float = 30.0) -> tuple[list[dict[str, Any]], int]:
    events: list[dict[str, Any]] = []
    audio_bytes = 0
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            msg = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
        except TimeoutError:
            break
        if isinstance(msg, bytes):
            audio_bytes += len(msg)
            continue
        events.append(json.loads(msg))
        if until(events):
            break
    return events, audio_bytes


async def test_a_spoken_command_changes_the_job_and_is_answered_in_voice(
        voice_server, voice_app, world, job_one, token, tmp_path: Path) -> None:
    import websockets

    from speech import spoken_wav

    wav = await spoken_wav(f"mark job {'one' if job_one == 1 else job_one} done", tmp_path / "command.wav")
    pcm, rate = read_wav(wav)
    pcm16 = resample(pcm, rate, 16000).astype(np.int16)
    tok = token(world.owner)
    async with websockets.connect(f"ws://{voice_server}{SOCKET}?token={tok}") as ws:
        ready, _ = await _collect(ws, lambda ev: ev[-1]["type"] == "ready")
        assert ready[-1]["speech_input"] is True
        await ws.send(json.dumps({"type": "ptt", "down": True}))
        step = 320  # 20 ms
        for i in range(0, pcm16.size, step):
            await ws.send(pcm16[i:i + step].tobytes())
            await asyncio.sleep(0.004)  # a little faster than real time
        await ws.send(json.dumps({"type": "ptt", "down": False}))
        events, audio = await _collect(
            ws, lambda ev: any(e["type"] == "message" and e["role"] == "assistant" for e in ev)
            and any(e["type"] == "audio_end" for e in ev))
    heard = [e["text"] for e in events if e["type"] == "transcript" and e["final"]]
    assert heard and "job" in heard[0].lower(), events
    tools = [e for e in events if e["type"] == "tool"]
    assert tools, events
    assert tools[0]["name"] == "update_job_status" and tools[0]["arguments"]["status"] == "completed"
    reply = [e["text"] for e in events if e["type"] == "message" and e["role"] == "assistant"]
    assert reply and f"Job {job_one}" in reply[0]
    assert any(e["type"] == "audio_start" and e["sample_rate"] > 0 for e in events)
    assert audio > 16000, "the reply was spoken back as PCM"
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(job_one)
        assert job.status == JobStatus.COMPLETED


async def test_typed_turns_over_the_socket_without_a_recogniser(server, world, job_one, token) -> None:
    """An app with no speech recogniser says so on the socket, and typed turns still work (spoken back)."""
    import websockets

    async with websockets.connect(f"ws://{server}{SOCKET}?token={token(world.owner)}") as ws:
        ready, _ = await _collect(ws, lambda ev: ev[-1]["type"] == "ready")
        assert ready[-1]["speech_input"] is False
        await ws.send("not json")
        await ws.send(json.dumps({"type": "text", "text": f"tell me about job {job_one}"}))
        events, _ = await _collect(ws, lambda ev: any(e["type"] == "message" and e["role"] == "assistant"
                                                      for e in ev))
    assert any(e["type"] == "error" and "Speech recognition is not set up" in e["message"] for e in events)
    assert any(e["type"] == "error" and "JSON" in e["message"] for e in events)
    assert any(e["type"] == "tool" and e["name"] == "get_job_details" for e in events), events


async def test_the_socket_needs_a_valid_token(server) -> None:
    import websockets

    async with websockets.connect(f"ws://{server}{SOCKET}?token=nope") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4401


async def test_the_socket_refuses_a_foreign_origin(server, world, token) -> None:
    import websockets

    url = f"ws://{server}{SOCKET}?token={token(world.owner)}"
    async with websockets.connect(url, origin="http://evil.example") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd.code == 4403
