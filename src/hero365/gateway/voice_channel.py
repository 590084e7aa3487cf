"""The built-in audio channel: a browser's microphone over a WebSocket into a server-side AgentSession, and
the agent's voice back, without a LiveKit server.

Wire protocol (one socket per session):
- client -> server: binary messages of 16 kHz int16 little-endian mono PCM (any length); JSON text
  messages `{"type": "ptt", "down": true|false}` (press-to-talk; on release the server closes the turn) and
  `{"type": "text", "text": ...}` (a typed turn into the same voice session).
- server -> client: JSON events `ready`, `transcript` (user, interim/final), `message` (assistant),
  `tool` (each tool call: name, arguments, what it said, error, proposed), `pending` (the change waiting for
  a yes, or null), `state`, `audio_start` {sample_rate} / `audio_end` / `audio_clear` (barge-in), `error`;
  and the agent's speech as binary int16 mono PCM at the announced rate, for WebAudio to play.

The session itself is `voice.audio_session.voice_session` (offline VAD turns, barge-in, backchannel filter)
with these two I/O objects attached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

IN_RATE = 16000
FRAME_MS = 20
#: At most this much unheard microphone audio is queued (a client sending faster than real time loses the rest).
MAX_QUEUED_S = 10.0
#: Silence fed after a press-to-talk release, so the VAD hears the speech end without waiting for the mic.
RELEASE_SILENCE_S = 0.8


class SocketAudioInput(io.AudioInput):
    """The browser's microphone: PCM pushed from the socket, cut into 20 ms frames."""

    def __init__(self, sample_rate: int = IN_RATE) -> None:
        super().__init__(label="web-mic")
        self.sample_rate = sample_rate
        self._n = sample_rate * FRAME_MS // 1000
        self._rest = b""
        self._queue: asyncio.Queue[rtc.AudioFrame | None] = asyncio.Queue()
        self._max_frames = int(MAX_QUEUED_S * 1000 / FRAME_MS)
        self.received_s = 0.0

    def push(self, pcm: bytes) -> None:
        self._rest += pcm  # a stream of bytes: an odd byte waits for its partner in the next message
        step = self._n * 2
        while len(self._rest) >= step:
            chunk, self._rest = self._rest[:step], self._rest[step:]
            if self._queue.qsize() >= self._max_frames:
                continue  # flooded: drop rather than grow without bound
            self._queue.put_nowait(rtc.AudioFrame(chunk, self.sample_rate, 1, self._n))
            self.received_s += FRAME_MS / 1000

    def silence(self, seconds: float = RELEASE_SILENCE_S) -> None:
        self._rest = b""
        self.push(bytes(int(seconds * self.sample_rate) * 2))

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def __anext__(self) -> rtc.AudioFrame:
        frame = await self._queue.get()
        if frame is None:
            self._queue.put_nowait(None)
            raise StopAsyncIteration
        return frame


class SocketAudioOutput(io.AudioOutput):
    """The agent's voice to the browser: each segment announced, its PCM sent as it is made, and playback
    reported finished when it would have ended at real-time speed (or at once on barge-in)."""

    def __init__(self, send_json: Callable[[dict[str, Any]], Awaitable[None]],
                 send_bytes: Callable[[bytes], Awaitable[None]]) -> None:
        super().__init__(label="web-speaker", capabilities=io.AudioOutputCapabilities(pause=False))
        self._send_json, self._send_bytes = send_json, send_bytes
        self._seg: dict[str, Any] | None = None
        self._clock = 0.0  # monotonic time at which everything sent so far has played
        self._tasks: set[asyncio.Task[None]] = set()
        self._playing: list[dict[str, Any]] = []
        self.sent_s = 0.0

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._seg is None:
            self._clock = max(self._clock, time.monotonic())
            self._seg = {"rate": frame.sample_rate, "start": self._clock, "pushed": 0.0, "done": asyncio.Event(),
                         "played": None}
            self.on_playback_started(created_at=time.time())
            await self._send_json({"type": "audio_start", "sample_rate": frame.sample_rate})
        seg = self._seg
        if seg["done"].is_set():
            return
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        if frame.sample_rate != seg["rate"]:
            from ..voice.speech.audio import resample

            pcm = resample(pcm, frame.sample_rate, seg["rate"])
        seconds = pcm.size / seg["rate"]
        seg["pushed"] += seconds
        self._clock += seconds
        self.sent_s += seconds
        await self._send_bytes(pcm.astype("<i2").tobytes())

    def flush(self) -> None:
        super().flush()
        seg, self._seg = self._seg, None
        if seg is None:
            return
        self._playing.append(seg)
        task = asyncio.get_running_loop().create_task(self._playout(seg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _playout(self, seg: dict[str, Any]) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(seg["done"].wait(), max(0.0, seg["start"] + seg["pushed"] - time.monotonic()))
        interrupted = seg["played"] is not None
        with contextlib.suppress(ValueError):
            self._playing.remove(seg)
        with contextlib.suppress(Exception):
            await self._send_json({"type": "audio_end", "interrupted": interrupted})
        self.on_playback_finished(playback_position=seg["played"] if interrupted else seg["pushed"],
                                  interrupted=interrupted)

    def clear_buffer(self) -> None:
        """Barge-in: the page drops what it has queued; the position is what had been heard by now."""
        now = time.monotonic()
        for seg in [*self._playing, *([self._seg] if self._seg else [])]:
            if not seg["done"].is_set():
                seg["played"] = min(seg["pushed"], max(0.0, now - seg["start"]))
                seg["done"].set()
        self._clock = now
        task = asyncio.get_running_loop().create_task(self._send_json({"type": "audio_clear"}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        if self._seg is not None:
            self.flush()
        for seg in self._playing:
            seg["done"].set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def event_forwarder(session: Any, state: Any, emit: Callable[[dict[str, Any]], None]) -> None:
    """Forward the session's transcript, replies, tool calls, pending confirmations and states as events."""
    from .turns import pending_of, tool_report

    def transcribed(ev: Any) -> None:
        emit({"type": "transcript", "role": "user", "text": ev.transcript, "final": bool(ev.is_final)})

    def item_added(ev: Any) -> None:
        item = ev.item
        if getattr(item, "type", None) == "message" and item.text_content:
            emit({"type": "message", "role": item.role, "text": item.text_content})

    def tools_done(ev: Any) -> None:
        outputs = {o.call_id: o for o in ev.function_call_outputs if o is not None}
        for call in ev.function_calls:
            emit({"type": "tool", **tool_report(call, outputs.get(call.call_id))})
        emit({"type": "pending", "pending": pending_of(state)})

    def agent_state(ev: Any) -> None:
        emit({"type": "state", "agent": ev.new_state})

    session.on("user_input_transcribed", transcribed)
    session.on("conversation_item_added", item_added)
    session.on("function_tools_executed", tools_done)
    session.on("agent_state_changed", agent_state)


def dumps(event: dict[str, Any]) -> str:
    return json.dumps(event, default=str)
