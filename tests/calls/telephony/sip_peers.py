"""Real SIP peers for the telephony tests: baresip (a SIP phone that plays WAVs as the customer's voice and
records what it hears) and sipp (scripted SIP scenarios), each on its own free ports, killed by PID."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import socket
import subprocess
import time
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from calls_helpers import wait_udp_bound

from hero365.voice.speech.audio import read_wav, resample, write_wav

SCENARIOS = Path(__file__).parent / "scenarios"
RATE = 8000


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for UDP and TCP on 127.0.0.1 (baresip listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind(("127.0.0.1", port))
            u.bind(("127.0.0.1", port))
            return port
    raise RuntimeError("no free port")


def free_sip_port() -> int:
    """A port free for SIP over UDP and TCP, with the next one free for TCP too (baresip puts SIP/TLS there)."""
    for _ in range(50):
        port = free_port()
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", port + 1))
            return port
    raise RuntimeError("no free port pair")


def free_range(size: int = 40) -> tuple[int, int]:
    """A run of free UDP ports (RTP) starting at an even number."""
    for _ in range(200):
        start = (free_port() // 2) * 2
        if start + size > 65000:
            continue
        ok = True
        for p in range(start, start + size):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return start, start + size
    raise RuntimeError("no free port range")


def say(text: str, path: Path, *, before: float = 0.3, after: float = 0.0) -> Path:
    """`text` in a human-sounding voice (the project's Piper voice; espeak-ng where it is missing) as an
    8 kHz mono WAV, with silence around it."""
    from hero365.voice.speech.tts import load_piper, piper_missing

    if piper_missing() is None:
        model = load_piper()
        pcm, rate = np.concatenate(list(model.synthesize(text))), model.sample_rate
    else:
        raw = path.with_suffix(".raw.wav")
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(raw), text], check=True, timeout=30)
        pcm, rate = read_wav(raw)
        raw.unlink()
    pcm = resample(pcm, rate, RATE)
    write_wav(path, np.concatenate([np.zeros(int(before * RATE), np.int16), pcm,
                                    np.zeros(int(after * RATE), np.int16)]), RATE)
    return path


def silence(path: Path, seconds: float) -> Path:
    write_wav(path, np.zeros(int(seconds * RATE), np.int16), RATE)
    return path


@pytest.fixture
def sip_tools() -> None:
    missing = [tool for tool in ("baresip", "sipp", "espeak-ng") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install baresip-core sip-tester espeak-ng)")


@dataclass
class Baresip:
    """One baresip process: auto-answers as `user`, plays `source` as its microphone, records what it hears
    into `folder` (sndfile's dump-*-dec.wav), and takes commands on its ctrl_tcp port."""

    folder: Path
    source: Path
    user: str = "bob"
    answer: bool = True
    sip_port: int = field(default_factory=free_sip_port)
    ctrl_port: int = field(default_factory=lambda: free_port(socket.SOCK_STREAM))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.sip_port}"

    def start(self) -> Baresip:
        self.folder.mkdir(parents=True, exist_ok=True)
        low, high = free_range(20)
        (self.folder / "config").write_text(
            f"poll_method epoll\nsip_listen 127.0.0.1:{self.sip_port}\nnet_interface 127.0.0.1\n"
            # no sound card: aubridge is a paced, device-less player (ALSA's null device made the player thread
            # spin a whole core per phone); sndfile still records everything decoded
            f"audio_player aubridge,nowhere\naudio_source aufile,{self.source}\naudio_alert aufile,/dev/null\n"
            f"rtp_ports {low}-{high}\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aubridge.so\n"
            f"module aufile.so\nmodule sndfile.so\nmodule account.so\nmodule menu.so\nmodule_app ctrl_tcp.so\n"
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}\nsnd_path {self.folder}\n")
        mode = "auto" if self.answer else "manual"
        (self.folder / "accounts").write_text(f"<sip:{self.user}@127.0.0.1>;regint=0;answermode={mode}\n")
        self.log = open(self.folder / "baresip.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(["baresip", "-f", str(self.folder)], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # ready when its control port answers
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.ctrl_port), 0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"baresip did not start: {(self.folder / 'baresip.log').read_text()[-800:]}")

    async def command(self, command: str, params: str = "") -> dict[str, Any]:
        """A ctrl_tcp command (netstring-framed JSON), e.g. ("ausrc", "aufile,/x.wav"), ("dial", uri)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.ctrl_port)
        body = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        writer.write(f"{len(body)}:".encode() + body + b",")
        await writer.drain()
        try:
            while True:  # events (CALL_RINGING, ...) arrive on the same connection before the response
                size = int((await asyncio.wait_for(reader.readuntil(b":"), 5))[:-1])
                message = json.loads((await asyncio.wait_for(reader.readexactly(size + 1), 5))[:-1])
                if message.get("response"):
                    return dict(message)
        finally:
            writer.close()

    async def play(self, wav: Path) -> None:
        """Speak: switch the microphone to this WAV (baresip hangs up when a WAV ends: pad it)."""
        out = await self.command("ausrc", f"aufile,{wav}")
        assert out.get("ok"), out

    def heard(self) -> tuple[np.ndarray, int]:
        """Everything baresip heard on its last call (the agent's voice), as PCM; waits for the call's end
        to close the recording (its header is written then)."""
        deadline = time.monotonic() + 5
        while True:
            dumps = sorted(self.folder.glob("dump-*-dec.wav"), key=lambda p: p.stat().st_mtime)
            try:
                assert dumps, f"baresip recorded nothing: {self.log_text()[-800:]}"
                return read_wav(dumps[-1])
            except (AssertionError, EOFError, ValueError, wave.Error):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log_text(self) -> str:
        return (self.folder / "baresip.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None) is not None:
            self.log.close()


@pytest.fixture
def baresip(tmp_path: Path, sip_tools: None) -> Iterator[Any]:
    """`baresip(source_wav, answer=True)` -> a started Baresip; every one started is stopped after the test."""
    started: list[Baresip] = []

    def make(source: Path, *, answer: bool = True, user: str = "bob") -> Baresip:
        b = Baresip(tmp_path / f"baresip{len(started)}", source, user=user, answer=answer)
        started.append(b)
        return b.start()

    yield make
    for b in started:
        b.stop()


@dataclass
class Sipp:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def wait(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def sipp(tmp_path: Path, sip_tools: None) -> Iterator[Any]:
    """`sipp(scenario, *args, remote=None)` -> a running sipp (UAS unless `remote` is given), on free ports."""
    started: list[Sipp] = []

    def run(scenario: str, *args: str, remote: str | None = None, timeout_s: int = 30) -> Sipp:
        port = free_port()
        low, _ = free_range(6)
        log = tmp_path / f"sipp{len(started)}.log"
        cmd = ["sipp", "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port), "-mp", str(low),
               "-m", "1", "-nostdin", "-timeout", f"{timeout_s}s", "-trace_err", "-error_file", str(log), *args]
        if remote:
            cmd.append(remote)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        started.append(Sipp(proc, port, log))
        wait_udp_bound(port)
        return started[-1]

    yield run
    for s in started:
        s.stop()


async def agent_quiet(output: Any, *, after_frames: int, quiet_s: float = 1.2, limit_s: float = 60.0) -> int:
    """Wait until the agent has said something new (more than `after_frames` speech frames sent) and then
    been quiet for `quiet_s`; returns the speech frame count (the customer's cue to answer)."""
    deadline = time.monotonic() + limit_s
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        sent = output.speech_frames_sent
        if sent > after_frames and not output.speaking:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_s:
                return int(sent)
        else:
            quiet_since = None
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the agent did not finish speaking in {limit_s} s")


async def until(ready: Any, limit_s: float = 30.0, step: float = 0.05) -> None:
    """Wait until `ready()` is true (TimeoutError after `limit_s`)."""
    for _ in range(int(limit_s / step)):
        if ready():
            return
        await asyncio.sleep(step)
    raise TimeoutError(f"not ready after {limit_s} s")


def transcribe(pcm: np.ndarray, rate: int) -> str:
    """What was said, by the project's Whisper (tiny.en, offline)."""
    from hero365.voice.speech.stt.whisper import transcribe as whisper

    return whisper(resample(pcm, rate, 16000))


@dataclass
class Customer:
    business_id: int
    contact_id: int
    phone: str
    job_number: int


@pytest.fixture
async def customer(world: Any) -> Customer:
    """Bob Johnson, a customer with a water heater check tomorrow (Tuesday 24th) at 10 AM Chicago time."""
    from hero365.erp.services import contacts, jobs

    async with world.store.uow(world.business_id) as uow:
        bob = await contacts.create_contact(uow, world.owner, "Bob Johnson", "512-555-0101", street="12 Oak St",
                                            city="Austin", state="TX", postal_code="78701")
        job = await jobs.create_job(uow, world.owner, bob.id, "Water heater check",
                                    datetime(2026, 11, 24, 16, 0, tzinfo=UTC), 60, world.tech.user_id)
    return Customer(world.business_id, bob.id, "+15125550101", job.number)


@pytest.fixture
def phone_settings(world: Any) -> Any:
    """The store's settings with the instant espeak voice (the tests time the conversation, not the voice)."""
    return world.store.settings.model_copy(update={"tts": "espeak"})


@pytest.fixture
async def trunk() -> AsyncIterator[Any]:
    from hero365.calls.telephony.local_sip import LocalSipTrunk

    t = await LocalSipTrunk(bind_host="127.0.0.1", bind_port=0, rtp_ports=free_range(40)).start()
    yield t
    await t.aclose()


