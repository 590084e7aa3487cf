"""Answering-machine detection on the first seconds of an answered call (8 kHz audio as it arrives).

People answer with a short "Hello?" and wait; a machine talks on ("Hi, you've reached Bob, I can't come
to the phone right now, please leave a message...") and then beeps. So, frame by frame (20 ms):

- HUMAN: speech that stops (a pause of `human_pause_s`) before `machine_greeting_s` of greeting; or nobody
  says anything for `silence_s` (people who answer silently are treated as people: the agent speaks).
- MACHINE: a greeting running past `machine_greeting_s` without such a pause, or a beep.
- The beep: a steady pure tone (Goertzel power at a beep frequency holding most of the frame's energy)
  for at least `beep_min_s`; `beep_ended` is set when it stops, which is when a message should start.
  Machines that don't beep: `greeting_ended` (a long pause after the greeting) is the cue instead.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field

import numpy as np

RATE = 8000
FRAME = 160  # 20 ms
#: Tones answering machines and voicemail systems beep with (Hz): ~1 kHz above all, and a few others.
BEEP_FREQS = (1000.0, 440.0, 850.0, 950.0, 1400.0)


class Verdict(enum.StrEnum):
    UNDECIDED = "undecided"
    HUMAN = "human"
    MACHINE = "machine"


def goertzel_power(frame: np.ndarray, freq: float, rate: int = RATE) -> float:
    """Power of `frame` at `freq`: the Goertzel recurrence's result, |sum x[n] e^(-2 pi i f n / rate)|^2,
    computed as that one DFT term with numpy (no per-sample Python loop)."""
    x = np.asarray(frame, dtype=np.float64)
    return float(abs(np.dot(x, _basis(freq, x.size, rate))) ** 2)


_BASES: dict[tuple[float, int, int], np.ndarray] = {}


def _basis(freq: float, n: int, rate: int) -> np.ndarray:
    key = (freq, n, rate)
    if key not in _BASES:
        _BASES[key] = np.exp(-2j * np.pi * freq * np.arange(n) / rate)
    return _BASES[key]


def tone_ratio(frame: np.ndarray, freq: float) -> float:
    """Share of the frame's energy at `freq` (1.0 for a pure tone at that frequency, ~0 for speech)."""
    x = np.asarray(frame, dtype=np.float64)
    energy = float(np.dot(x, x))
    if energy <= 0:
        return 0.0
    return goertzel_power(x, freq) / (energy * x.size / 2)


@dataclass
class AmdResult:
    verdict: Verdict
    reason: str
    greeting_s: float = 0.0
    beep_at_s: float | None = None


@dataclass
class AnsweringMachineDetector:
    """Feed it the line's audio (`feed`); await `decided` / `beep_ended` / `greeting_ended`."""

    speech_dbfs: float = -38.0
    machine_greeting_s: float = 3.0
    human_pause_s: float = 0.8
    silence_s: float = 4.0
    beep_min_s: float = 0.12
    beep_ratio: float = 0.6
    end_pause_s: float = 1.5
    beep_freqs: tuple[float, ...] = BEEP_FREQS
    result: AmdResult = field(default_factory=lambda: AmdResult(Verdict.UNDECIDED, ""))
    decided: asyncio.Event = field(default_factory=asyncio.Event)
    beep_ended: asyncio.Event = field(default_factory=asyncio.Event)
    greeting_ended: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._rest = np.zeros(0, np.int16)
        self._t = 0.0  # seconds heard
        self._speech_started: float | None = None
        self._last_speech: float | None = None
        self._tone_run = 0.0
        self._tone_freq: float | None = None
        self.beep_at: float | None = None
        self._threshold = (10 ** (self.speech_dbfs / 20) * 32768) ** 2

    @property
    def verdict(self) -> Verdict:
        return self.result.verdict

    def feed(self, pcm: np.ndarray) -> None:
        buf = np.concatenate([self._rest, np.asarray(pcm, np.int16)])
        n = buf.size // FRAME * FRAME
        for i in range(0, n, FRAME):
            self._frame(buf[i : i + FRAME])
        self._rest = buf[n:]

    def _decide(self, verdict: Verdict, reason: str) -> None:
        if self.result.verdict != Verdict.UNDECIDED:
            return
        greeting = (self._last_speech or 0.0) - (self._speech_started or 0.0) if self._speech_started else 0.0
        self.result = AmdResult(verdict, reason, round(max(greeting, 0.0), 2), self.beep_at)
        self.decided.set()

    def _frame(self, frame: np.ndarray) -> None:
        self._t += FRAME / RATE
        x = frame.astype(np.float64)
        loud = float(np.dot(x, x)) / x.size > self._threshold
        tone = self._tone(frame) if loud else None
        if tone is not None:
            self._tone_run += FRAME / RATE
            if self._tone_run >= self.beep_min_s and self.beep_at is None:
                self.beep_at = round(self._t - self._tone_run, 2)
                self._decide(Verdict.MACHINE, f"beep at {tone:.0f} Hz")
                self.result.beep_at_s = self.beep_at
        else:
            if self.beep_at is not None and self._tone_run >= self.beep_min_s:
                self.beep_ended.set()
            self._tone_run = 0.0
        if loud and tone is None:  # speech (a tone is not a greeting)
            if self._speech_started is None:
                self._speech_started = self._t
            self._last_speech = self._t
        elif loud:
            self._last_speech = self._t
        if self.verdict == Verdict.UNDECIDED:
            if self._speech_started is None:
                if self._t >= self.silence_s:
                    self._decide(Verdict.HUMAN, f"no greeting in {self.silence_s:.0f} s (answered silently)")
            else:
                assert self._last_speech is not None
                talking = self._last_speech - self._speech_started
                paused = self._t - self._last_speech
                if paused >= self.human_pause_s and talking < self.machine_greeting_s:
                    self._decide(Verdict.HUMAN, f"{talking:.1f} s greeting, then a pause")
                elif talking >= self.machine_greeting_s:
                    self._decide(Verdict.MACHINE, f"greeting longer than {self.machine_greeting_s:.0f} s")
        if (self._last_speech is not None and self._t - self._last_speech >= self.end_pause_s
                and self.verdict == Verdict.MACHINE):
            self.greeting_ended.set()

    def _tone(self, frame: np.ndarray) -> float | None:
        best = max(self.beep_freqs, key=lambda f: tone_ratio(frame, f))
        return best if tone_ratio(frame, best) >= self.beep_ratio else None

    async def wait_decided(self, limit_s: float = 8.0) -> AmdResult:
        """The verdict, or UNDECIDED -> HUMAN after `timeout` (better to talk to a machine than hang up on a
        person)."""
        try:
            await asyncio.wait_for(self.decided.wait(), limit_s)
        except TimeoutError:
            self._decide(Verdict.HUMAN, f"undecided after {limit_s:.0f} s")
        return self.result

    async def wait_for_message_cue(self, limit_s: float = 20.0) -> str:
        """After a MACHINE verdict: when to start speaking. "beep" once a beep has ended, "pause" when the
        greeting ended without one, "timeout" otherwise."""
        waits = {asyncio.ensure_future(self.beep_ended.wait()): "beep",
                 asyncio.ensure_future(self.greeting_ended.wait()): "pause"}
        try:
            done, _ = await asyncio.wait(waits, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if self.beep_ended.is_set():
            return "beep"
        if done:
            # the greeting paused: give a late beep a moment to come
            try:
                await asyncio.wait_for(self.beep_ended.wait(), 1.0)
                return "beep"
            except TimeoutError:
                return "pause"
        return "timeout"
