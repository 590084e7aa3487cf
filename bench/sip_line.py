"""The local SIP trunk's own costs: call set-up against a real SIP peer (sipp's built-in answering UAS on
127.0.0.1), how steadily 20 ms RTP frames leave, and the 8 <-> 16 kHz audio work per second of call.

    .venv/bin/python bench/sip_line.py [--calls 200] [--concurrency 10]

Prints a table and a final JSON line {"bench": "sip_line", ...}. Figures, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from hero365.calls.telephony.base import CallNotConnected, DialRequest
from hero365.calls.telephony.local_sip import LocalSipTrunk
from hero365.calls.telephony.phone_audio import PhoneAudioOutput
from hero365.voice.speech.audio import StreamResampler, tone


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def setup_times(calls: int, concurrency: int) -> tuple[list[float], int]:
    """INVITE -> 200 OK -> ACK and RTP open, per call (ms); each call then hung up with BYE."""
    port = free_port()
    peer = await asyncio.create_subprocess_exec("sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port),
                                                "-nostdin", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(0.5)
    trunk = await LocalSipTrunk(bind_port=0, rtp_ports=(40000, 40000 + 4 * concurrency + 40)).start()
    times: list[float] = []
    failed = 0
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        nonlocal failed
        async with gate:
            t0 = time.perf_counter()
            try:
                leg = await trunk.dial(DialRequest(attempt_id=i, business_id=1, to=f"sip:bench@127.0.0.1:{port}",
                                                   ring_timeout_s=10))
            except CallNotConnected:
                failed += 1
                return
            times.append((time.perf_counter() - t0) * 1000)
            await leg.hangup("bench")

    try:
        await asyncio.gather(*(one(i) for i in range(calls)))
    finally:
        await trunk.aclose()
        peer.terminate()
        await asyncio.wait_for(peer.wait(), 10)
    return times, failed


async def pacing(seconds: float = 3.0) -> list[float]:
    """Gaps between consecutive frames sent to the line (ms) while the agent speaks."""
    sent: list[float] = []
    out = PhoneAudioOutput(lambda frame: sent.append(time.perf_counter()), idle_silence=True)
    pcm = tone(300, seconds, 16000, 0.3)
    from livekit import rtc

    await out.capture_frame(rtc.AudioFrame(pcm.tobytes(), 16000, 1, pcm.size))
    out.flush()
    await out.wait_for_playout()
    await out.aclose()
    return [(b - a) * 1000 for a, b in itertools.pairwise(sent)]


def audio_cost(seconds: float = 10.0) -> tuple[float, float]:
    """CPU ms per second of call: the caller's 8 kHz up to 16 kHz, and a 22.05 kHz voice down to 8 kHz."""
    up = StreamResampler(8000, 16000)
    chunk = tone(300, 0.02, 8000, 0.3)
    t0 = time.perf_counter()
    for _ in range(int(seconds * 50)):
        up.push(chunk)
    up_ms = (time.perf_counter() - t0) * 1000 / seconds
    down = StreamResampler(22050, 8000)
    voice = tone(300, 0.1, 22050, 0.3)
    t0 = time.perf_counter()
    for _ in range(int(seconds * 10)):
        down.push(voice)
    return up_ms, (time.perf_counter() - t0) * 1000 / seconds


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        print("sipp is not installed (apt-get install sip-tester)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    times, failed = await setup_times(args.calls, args.concurrency)
    wall = time.perf_counter() - t0
    gaps = await pacing()
    up_ms, down_ms = audio_cost()
    figures = {
        "calls": len(times), "failed": failed, "calls_per_s": round(len(times) / wall, 1),
        "setup_p50_ms": round(pct(times, 50), 2), "setup_p99_ms": round(pct(times, 99), 2),
        "frame_gap_p50_ms": round(pct(gaps, 50), 2), "frame_gap_p99_ms": round(pct(gaps, 99), 2),
        "frame_gap_max_ms": round(max(gaps), 2) if gaps else None,
        "upsample_ms_per_s": round(up_ms, 3), "downsample_ms_per_s": round(down_ms, 3),
    }
    table = Table(title=f"Local SIP trunk: {args.calls} calls to sipp, {args.concurrency} at a time")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [("calls answered / failed", f"{len(times)} / {failed}"), ("calls per second", f"{figures['calls_per_s']}"),
            ("set-up p50 / p99 (INVITE -> answered, RTP open)",
             f"{figures['setup_p50_ms']} / {figures['setup_p99_ms']} ms"),
            ("RTP frame gap p50 / p99 / max (want 20 ms)",
             f"{figures['frame_gap_p50_ms']} / {figures['frame_gap_p99_ms']} / {figures['frame_gap_max_ms']} ms"),
            ("8 -> 16 kHz, CPU per second of call", f"{figures['upsample_ms_per_s']} ms"),
            ("22.05 -> 8 kHz voice, CPU per second", f"{figures['downsample_ms_per_s']} ms")]
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    print(json.dumps({"bench": "sip_line", **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
