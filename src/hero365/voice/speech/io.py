"""Audio I/O for an AgentSession without a LiveKit server: WAV (or PCM) in, WAV out, with timestamps.

`WavAudioInput` plays a recording into the session as a microphone would (10-20 ms frames, paced in
real time if asked, then silence so the VAD hears the speech end); `WavAudioOutput` plays the agent's
speech into a recording, honouring flush / clear_buffer (barge-in) and the playback events the
framework waits on. Both keep wall-clock stamps so benchmarks can measure voice-to-voice latency.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

from .audio import read_wav, resample, write_wav

__all__ = ["OutputSegment", "WavAudioInput", "WavAudioOutput", "frames_from_pcm", "pcm_from_frames"]


def frames_from_pcm(pcm: np.ndarray, sample_rate: int, frame_ms: int = 20) -> list[rtc.AudioFrame]:
    """int16 mono -> AudioFrames of frame_ms (the last one zero-padded to full length)."""
    n = sample_rate * frame_ms // 1000
    pcm = np.asarray(pcm, dtype=np.int16)
    if pcm.size % n:
        pcm = np.concatenate([pcm, np.zeros(n - pcm.size % n, np.int16)])
    return [rtc.AudioFrame(pcm[i : i + n].tobytes(), sample_rate, 1, n) for i in range(0, pcm.size, n)]


def pcm_from_frames(frames: Iterable[rtc.AudioFrame]) -> np.ndarray:
    parts = [np.frombuffer(f.data, dtype=np.int16) for f in frames]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


@dataclass
class _Utterance:
    pcm: np.ndarray
    silence_after: float
    speech_ended_at: float | None = None  # time.time() when its last speech frame was delivered


class WavAudioInput(io.AudioInput):
    """A recording as the session's microphone.

    realtime=True delivers each frame when it would have finished being captured (so latency figures
    are honest); realtime=False delivers as fast as the session reads. `push()` queues further
    utterances; with keep_alive the input idles with silence until the next one (or `close()`),
    otherwise it ends after the last utterance's trailing silence.
    """

    def __init__(self, source: str | Path | np.ndarray | None = None, sample_rate: int | None = None, *,
                 realtime: bool = True, frame_ms: int = 20, trailing_silence: float = 1.5,
                 leading_silence: float = 0.3, out_rate: int | None = None, keep_alive: bool = False,
                 label: str = "wav-in") -> None:
        super().__init__(label=label)
        if frame_ms not in (10, 20, 30, 40):
            raise ValueError("frame_ms must be 10, 20, 30 or 40")
        self.realtime, self.frame_ms, self.keep_alive = realtime, frame_ms, keep_alive
        self.trailing_silence = trailing_silence
        self._rate = out_rate
        self._queue: deque[_Utterance] = deque()
        self._buf = np.zeros(0, np.int16)
        self._current: _Utterance | None = None
        self._speech_left = 0  # samples of speech still in _buf (the rest is silence)
        self._next_at: float | None = None
        self._wake = asyncio.Event()
        self._closed = False
        self.utterances: list[_Utterance] = []
        self.started_at: float | None = None
        self._leading = leading_silence
        if source is not None:
            self.push(source, sample_rate)

    @property
    def sample_rate(self) -> int:
        return self._rate or 16000

    @property
    def speech_ended_at(self) -> float | None:
        """Wall time (time.time()) at which the latest utterance's speech finished being heard."""
        done = [u.speech_ended_at for u in self.utterances if u.speech_ended_at is not None]
        return done[-1] if done else None

    def push(self, source: str | Path | np.ndarray, sample_rate: int | None = None, *,
             trailing_silence: float | None = None) -> None:
        """Queue an utterance (a WAV path, or int16 PCM with its sample_rate)."""
        if isinstance(source, (str, Path)):
            pcm, rate = read_wav(source)
        else:
            if sample_rate is None:
                raise ValueError("sample_rate is required with raw PCM")
            pcm, rate = np.asarray(source, dtype=np.int16).reshape(-1), sample_rate
        if self._rate is None:
            self._rate = rate
        if rate != self._rate:
            pcm = resample(pcm, rate, self._rate)
        u = _Utterance(pcm, self.trailing_silence if trailing_silence is None else trailing_silence)
        self._queue.append(u)
        self.utterances.append(u)
        self._wake.set()

    def close(self) -> None:
        """End the input: the session sees the end of the stream."""
        self._closed = True
        self._wake.set()

    def _silence(self, seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * self.sample_rate), np.int16)

    def _refill(self) -> bool:
        if not self._queue:
            return False
        u = self._queue.popleft()
        lead, self._leading = self._silence(self._leading), 0.0
        self._buf = np.concatenate([self._buf, lead, u.pcm, self._silence(u.silence_after)])
        self._current, self._speech_left = u, lead.size + u.pcm.size
        return True

    async def __anext__(self) -> rtc.AudioFrame:
        if self._rate is None:  # the first frame fixes the rate: later pushes are resampled to it
            self._rate = self.sample_rate
        n = self.sample_rate * self.frame_ms // 1000
        while self._buf.size < n and not self._refill():
            if self._closed:
                raise StopAsyncIteration
            if self.keep_alive and self.realtime:
                self._buf = np.concatenate([self._buf, np.zeros(n, np.int16)])  # an idle, open mic
                break
            if not self.keep_alive:
                if self._buf.size:  # the last partial frame, padded
                    self._buf = np.concatenate([self._buf, np.zeros(n - self._buf.size, np.int16)])
                    break
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        chunk, self._buf = self._buf[:n], self._buf[n:]
        if self.realtime:
            now = time.monotonic()
            if self._next_at is None or now - self._next_at > 0.2:  # first frame, or we fell behind
                self._next_at = now
            self._next_at += self.frame_ms / 1000
            await asyncio.sleep(max(0.0, self._next_at - time.monotonic()))
        if self.started_at is None:
            self.started_at = time.time()
        if self._speech_left > 0:
            self._speech_left -= n
            if self._speech_left <= 0 and self._current is not None:
                self._current.speech_ended_at = time.time()
        return rtc.AudioFrame(chunk.tobytes(), self.sample_rate, 1, n)


#: Audio arriving this late (seconds) after the audio before it ran out counts as a gap in the agent's speech.
GAP_TOLERANCE = 0.02


@dataclass
class OutputSegment:
    """One stretch of agent speech (between flushes), as played."""

    started_at: float  # time.time() of its first frame: "first audio out"
    sample_rate: int
    play_start: float  # time.monotonic() at which it starts playing (after what was queued before it)
    chunks: list[np.ndarray] = field(default_factory=list)
    pushed: float = 0.0  # seconds received
    #: Silence the listener hears inside it: audio that arrived after what came before it had played out
    #: (the voice fell behind), in seconds, and how many times.
    gaps: float = 0.0
    gap_count: int = 0
    played: float | None = None  # seconds heard, once finished
    interrupted: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def pcm(self) -> np.ndarray:
        pcm = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
        played = self.pushed if self.played is None else self.played
        return pcm[: round(played * self.sample_rate)]


class WavAudioOutput(io.AudioOutput):
    """The agent's voice into a recording.

    realtime=True plays each segment at wall-clock speed from its first frame, so clear_buffer()
    (barge-in) keeps only what was heard, pause()/resume() hold the clock (the framework pauses on a
    possible interruption and resumes after a backchannel) and playback_finished comes when the audio
    would have ended; realtime=False finishes playback as soon as a segment is flushed.
    """

    def __init__(self, path: str | Path | None = None, *, sample_rate: int | None = None, realtime: bool = True,
                 label: str = "wav-out") -> None:
        super().__init__(label=label, capabilities=io.AudioOutputCapabilities(pause=True), sample_rate=sample_rate)
        self.path, self.realtime = path, realtime
        self._rate = sample_rate
        self._seg: OutputSegment | None = None
        self._playing: list[OutputSegment] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._clock = 0.0  # monotonic time at which the audio already queued finishes playing
        self._paused_at: float | None = None
        self._changed = asyncio.Event()  # replaced on every pause/resume, waking the playouts
        self.segments: list[OutputSegment] = []

    @property
    def first_frame_at(self) -> float | None:
        """time.time() of the latest segment's first frame."""
        return self.segments[-1].started_at if self.segments else None

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._rate is None:
            self._rate = frame.sample_rate
        if self._seg is None:
            self._clock = max(self._clock, time.monotonic())
            self._seg = OutputSegment(started_at=time.time(), sample_rate=self._rate, play_start=self._clock)
            self.segments.append(self._seg)
            self.on_playback_started(created_at=self._seg.started_at)
        if self._seg.interrupted:
            return  # cleared while still capturing: the rest is never heard
        late = time.monotonic() - (self._seg.play_start + self._seg.pushed + self._seg.gaps)
        if self._seg.pushed and self._paused_at is None and late > GAP_TOLERANCE:
            self._seg.gaps += late
            self._seg.gap_count += 1
            self._clock += late
        pcm = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        if frame.sample_rate != self._rate:
            pcm = resample(pcm, frame.sample_rate, self._rate)
        self._seg.chunks.append(pcm)
        self._seg.pushed += pcm.size / self._rate
        self._clock += pcm.size / self._rate

    def flush(self) -> None:
        super().flush()
        seg, self._seg = self._seg, None
        if seg is None:
            return
        self._playing.append(seg)
        task = asyncio.get_running_loop().create_task(self._playout(seg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _playout(self, seg: OutputSegment) -> None:
        while self.realtime and not seg.done.is_set():
            ends = seg.play_start + seg.pushed + seg.gaps
            timeout = None if self._paused_at is not None else ends - time.monotonic()
            if timeout is not None and timeout <= 0:
                break
            waits = [asyncio.ensure_future(seg.done.wait()), asyncio.ensure_future(self._changed.wait())]
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for w in waits:
                w.cancel()
        if seg.played is None:
            seg.played = seg.pushed
        self._playing.remove(seg)
        self.on_playback_finished(playback_position=seg.played, interrupted=seg.interrupted)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def pause(self) -> None:
        super().pause()
        if self._paused_at is None:
            self._paused_at = time.monotonic()
            self._notify()

    def resume(self) -> None:
        super().resume()
        if self._paused_at is not None:
            held = time.monotonic() - self._paused_at
            for seg in [*self._playing, *([self._seg] if self._seg else [])]:
                seg.play_start += held
            self._clock += held
            self._paused_at = None
            self._notify()

    def clear_buffer(self) -> None:
        """Barge-in: stop now, keep only what was heard."""
        now = self._paused_at or time.monotonic()
        for seg in [*self._playing, *([self._seg] if self._seg else [])]:
            if seg.played is not None:
                continue
            seg.played = min(seg.pushed, max(0.0, now - seg.play_start - seg.gaps)) if self.realtime else seg.pushed
            seg.interrupted = True
            seg.done.set()
        self._clock, self._paused_at = time.monotonic(), None

    def pcm(self) -> np.ndarray:
        """Everything heard so far, segments back to back."""
        parts = [s.pcm() for s in self.segments]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path or self.path or "agent.wav")
        write_wav(target, self.pcm(), self._rate or 24000)
        return target

    async def aclose(self) -> None:
        """Let queued playouts end (at once if not real time), then write the file if a path was given."""
        if self._seg is not None:
            self.flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.path:
            self.save()
