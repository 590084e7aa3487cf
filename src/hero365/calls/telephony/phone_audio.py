"""A phone line as an AgentSession's microphone and speaker: 8 kHz in and out, 16 kHz to the session.

Any carrier that moves 8 kHz PCM (RTP with G.711, Twilio's base64 mu-law) plugs in with two calls:
`PhoneAudioInput.push()` for each chunk heard, and a `send` function `PhoneAudioOutput` calls with one
20 ms frame (160 samples, int16 little-endian) every 20 ms of wall time. Pacing lives here, not in the
carrier, so barge-in is exact: `clear_buffer()` drops what has not gone out yet and reports how much was
heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

from ...voice.speech.audio import StreamResampler

log = logging.getLogger(__name__)

PHONE_RATE = 8000
AGENT_RATE = 16000  # what the VAD and the recogniser take
FRAME_MS = 20
FRAME_SAMPLES = PHONE_RATE * FRAME_MS // 1000
#: Heard audio not yet read by the session beyond this is dropped (a stalled session must not grow memory).
MAX_BACKLOG_S = 10.0
#: A line quiet this long (no packets: silence suppression, a dropped stream) is fed as silence so the
#: VAD's clock keeps moving and a turn can end.
QUIET_GAP_S = 0.1

PcmTap = Callable[[np.ndarray], None]
FrameSink = Callable[[bytes], Awaitable[None] | None]


class PhoneAudioInput(io.AudioInput):
    """The caller's voice: 8 kHz PCM from the line, resampled to 16 kHz frames for the session.

    `taps` see the 8 kHz audio as it arrives (the voicemail detector, tests); `discard()` forgets what was
    heard so far (the session starts after the answering-machine check, not on the "hello" it consumed)."""

    def __init__(self, label: str = "phone-in") -> None:
        super().__init__(label=label)
        self._resampler = StreamResampler(PHONE_RATE, AGENT_RATE)
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0
        self._wake = asyncio.Event()
        self._closed = False
        self._last_read = time.monotonic()
        self.taps: list[PcmTap] = []
        self.heard_s = 0.0

    @property
    def sample_rate(self) -> int:
        return AGENT_RATE

    def push(self, pcm8k: bytes | np.ndarray) -> None:
        """Audio from the line (int16 mono at 8 kHz, any length)."""
        if self._closed:
            return
        pcm = np.frombuffer(pcm8k, dtype="<i2") if isinstance(pcm8k, bytes | bytearray) else np.asarray(pcm8k)
        pcm = pcm.astype(np.int16, copy=False)
        if pcm.size == 0:
            return
        self.heard_s += pcm.size / PHONE_RATE
        for tap in list(self.taps):
            try:
                tap(pcm)
            except Exception:  # a listener's bug must not cut the caller off
                log.exception("phone audio tap failed")
        up = self._resampler.push(pcm)
        if up.size:
            self._queue.append(up)
            self._queued += up.size
            while self._queued > MAX_BACKLOG_S * AGENT_RATE and self._queue:
                self._queued -= self._queue.popleft().size
            self._wake.set()

    def discard(self) -> None:
        """Forget the audio heard but not yet read."""
        self._queue.clear()
        self._queued = 0
        self._last_read = time.monotonic()

    def close(self) -> None:
        """The line is gone: the session sees the end of its input."""
        self._closed = True
        self._wake.set()

    async def __anext__(self) -> rtc.AudioFrame:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), QUIET_GAP_S)
            if not self._queue and not self._closed:  # nothing came: the time that passed was silence
                gap = time.monotonic() - self._last_read
                if gap >= QUIET_GAP_S:
                    n = int(min(gap, 1.0) * AGENT_RATE)
                    self._last_read = time.monotonic()
                    return rtc.AudioFrame(bytes(n * 2), AGENT_RATE, 1, n)
        chunk = self._queue.popleft()
        self._queued -= chunk.size
        self._last_read = time.monotonic()
        return rtc.AudioFrame(chunk.astype("<i2").tobytes(), AGENT_RATE, 1, chunk.size)


@dataclass
class _Segment:
    """One stretch of agent speech (between flushes)."""

    total: int = 0  # frames queued
    sent: int = 0  # frames that went out
    flushed: bool = False
    done: bool = False
    interrupted: bool = False


class PhoneAudioOutput(io.AudioOutput):
    """The agent's voice onto the line: resampled to 8 kHz, cut into 20 ms frames, one sent every 20 ms.

    Between segments the line carries silence frames when `idle_silence` (RTP peers expect a steady
    stream; Twilio does not need it). pause()/resume() hold the frames (the framework pauses on a possible
    interruption); clear_buffer() drops them (barge-in) and `on_clear` tells the carrier (Twilio's "clear").
    """

    def __init__(self, send: FrameSink, *, idle_silence: bool = True,
                 on_clear: Callable[[], None] | None = None, on_segment_sent: Callable[[], None] | None = None,
                 label: str = "phone-out") -> None:
        super().__init__(label=label, capabilities=io.AudioOutputCapabilities(pause=True), sample_rate=None)
        self._send, self.idle_silence, self._on_clear = send, idle_silence, on_clear
        self._on_segment_sent = on_segment_sent
        self._frames: deque[tuple[bytes, _Segment]] = deque()
        self._partial = np.zeros(0, np.int16)
        self._seg: _Segment | None = None
        self._segments: list[_Segment] = []  # started and not yet finished
        self._resampler: StreamResampler | None = None
        self._paused = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self.frames_sent = 0
        self.speech_frames_sent = 0
        self.first_speech_at: float | None = None
        self._drained = asyncio.Event()

    def start(self) -> None:
        """Start the 20 ms clock (done on the first frame otherwise)."""
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._clock())

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        self.start()
        if self._seg is None:
            self._seg = _Segment()
            self._segments.append(self._seg)
            self._resampler = StreamResampler(frame.sample_rate, PHONE_RATE)
            self.on_playback_started(created_at=time.time())
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        assert self._resampler is not None
        if self._resampler.src_rate != frame.sample_rate:  # a voice changed rate mid-segment
            self._partial = np.concatenate([self._partial, self._resampler.flush()])
            self._resampler = StreamResampler(frame.sample_rate, PHONE_RATE)
        self._queue_pcm(self._resampler.push(pcm), self._seg)

    def _queue_pcm(self, pcm: np.ndarray, seg: _Segment, pad: bool = False) -> None:
        if seg.interrupted:
            return
        buf = np.concatenate([self._partial, pcm]) if self._partial.size else pcm
        n = buf.size // FRAME_SAMPLES * FRAME_SAMPLES
        for i in range(0, n, FRAME_SAMPLES):
            self._frames.append((buf[i : i + FRAME_SAMPLES].astype("<i2").tobytes(), seg))
            seg.total += 1
        self._partial = buf[n:]
        if pad and self._partial.size:
            last = np.concatenate([self._partial, np.zeros(FRAME_SAMPLES - self._partial.size, np.int16)])
            self._frames.append((last.astype("<i2").tobytes(), seg))
            seg.total += 1
            self._partial = np.zeros(0, np.int16)

    def flush(self) -> None:
        super().flush()
        seg, self._seg = self._seg, None
        if seg is None:
            return
        if self._resampler is not None:
            self._queue_pcm(self._resampler.flush(), seg, pad=True)
        seg.flushed = True
        self._maybe_finished(seg)

    def _maybe_finished(self, seg: _Segment) -> None:
        if seg.done or not (seg.flushed and (seg.sent >= seg.total or seg.interrupted)):
            return
        seg.done = True
        with contextlib.suppress(ValueError):
            self._segments.remove(seg)
        if self._on_segment_sent is not None and seg.total and not seg.interrupted:
            self._on_segment_sent()  # a carrier that reports playback (Twilio's marks) is told here
        self.on_playback_finished(playback_position=seg.sent * FRAME_MS / 1000, interrupted=seg.interrupted)

    def pause(self) -> None:
        super().pause()
        self._paused = True

    def resume(self) -> None:
        super().resume()
        self._paused = False

    def clear_buffer(self) -> None:
        """Barge-in: what has not gone out is dropped; playback ends where the caller stopped hearing it."""
        self._frames.clear()
        self._partial = np.zeros(0, np.int16)
        self._paused = False
        for seg in list(self._segments):
            seg.interrupted = True
            self._maybe_finished(seg)
        if self._on_clear is not None:
            self._on_clear()

    @property
    def speaking(self) -> bool:
        """Agent audio is still queued for the line."""
        return bool(self._frames) or any(not s.done for s in self._segments)

    async def _clock(self) -> None:
        """Send one frame per 20 ms, on an absolute schedule (no drift; a late loop doesn't burst)."""
        silence = bytes(FRAME_SAMPLES * 2)
        step = FRAME_MS / 1000
        next_at = time.monotonic()
        while not self._closed:
            frame: bytes | None = None
            if self._frames and not self._paused:
                frame, seg = self._frames.popleft()
                seg.sent += 1
                self.speech_frames_sent += 1
                if self.first_speech_at is None:
                    self.first_speech_at = time.time()
                self._maybe_finished(seg)
            elif self.idle_silence:
                frame = silence
            if frame is not None:
                try:
                    out = self._send(frame)
                    if out is not None:
                        await out
                except Exception:
                    log.exception("could not send a frame to the line")
                self.frames_sent += 1
            if not self.speaking:
                self._drained.set()
            next_at += step
            delay = next_at - time.monotonic()
            if delay < -0.1:  # the loop stalled: start again from now rather than catch up in a burst
                next_at, delay = time.monotonic(), 0.0
            await asyncio.sleep(max(0.0, delay))

    async def drain(self, limit_s: float = 30.0) -> None:
        """Wait until everything queued has gone out (a goodbye is heard before the hang-up)."""
        if not self.speaking or self._closed:
            return
        self._drained.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), limit_s)

    async def aclose(self) -> None:
        self._closed = True
        for seg in list(self._segments):
            seg.flushed, seg.interrupted = True, seg.sent < seg.total
            self._maybe_finished(seg)
        self._frames.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
